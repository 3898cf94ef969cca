// The cart of pending edits: edits wait here until the user applies them in one batch.

import { postJson, runPath } from "./api.js";
import { formatInt, toast } from "./dom.js";
import { emit, state } from "./state.js";

const storageKey = () => `dataerrors-cart:${state.runKey}`;
export const cartKey = (split, id) => `${split}:${id}`;
// Fields of each edit kept across reloads. Texts stay in memory only, so that a cart of a whole
// split still fits in the browser's storage, and thumbnail URLs are rebuilt on loading.
const STORED_FIELDS = ["split", "id", "action", "label", "label_name", "dep"];
let storedWarningShown = false;
let onlyInMemory = false; // the last save did not fit the browser's storage

export function loadCart() {
  state.cart = new Map();
  try {
    for (const values of JSON.parse(sessionStorage.getItem(storageKey()) || "[]")) {
      if (!Array.isArray(values)) continue; // an entry of an older console version
      const edit = Object.fromEntries(STORED_FIELDS.map((field, index) => [field, values[index]]));
      edit.thumbnail_url = thumbnailUrl(edit.split, edit.id);
      state.cart.set(cartKey(edit.split, edit.id), edit);
    }
  } catch { /* a damaged entry starts an empty cart */ }
  emit("cart");
}

// The thumbnail URL of a sample of the current run, or null when its split has no images.
function thumbnailUrl(split, id) {
  const template = state.run?.split_info.find((info) => info.name === split)?.thumbnail_url_template;
  return template ? template.replace("{id}", encodeURIComponent(id)) : null;
}

function saveCart() {
  const stored = JSON.stringify([...state.cart.values()].map((edit) => STORED_FIELDS.map((field) => edit[field] ?? null)));
  try {
    sessionStorage.setItem(storageKey(), stored);
    onlyInMemory = false;
  } catch {
    onlyInMemory = true;
    // Over the browser's storage quota: the cart still works, but only until the page is left.
    sessionStorage.removeItem(storageKey());
    if (!storedWarningShown) {
      toast(`The cart holds ${formatInt(state.cart.size)} edits, more than the browser keeps across a reload. Apply them before you reload or leave the page.`, { error: true, seconds: 10 });
      storedWarningShown = true;
    }
  }
  emit("cart");
}

// Put one edit per sample into the cart; a later edit of the same sample replaces the earlier one.
// action: relabel | remove | mark_for_labeling | restore; label: class index for relabel, or
// "suggested" to take each sample's suggested label.
export function addToCart(samples, action, label = null) {
  let added = 0;
  for (const sample of samples) {
    const target = label === "suggested" ? sample.suggested_label : label;
    if (action === "relabel" && (target === null || target === undefined || target < 0)) continue;
    state.cart.set(cartKey(state.split, sample.id), {
      split: state.split, id: sample.id, action, label: action === "relabel" ? target : null,
      thumbnail_url: sample.thumbnail_url || null, text: sample.text || null,
      label_name: sample.label_name, dep: sample.dep,
    });
    added += 1;
  }
  saveCart();
  return added;
}

// Whether the cart contains edits that a reload would lose (more than session storage takes).
export const cartIsOnlyInMemory = () => onlyInMemory && state.cart.size > 0;

export function removeFromCart(key) {
  state.cart.delete(key);
  saveCart();
}

export function clearCart() {
  state.cart.clear();
  saveCart();
}

export const pendingEdit = (split, id) => state.cart.get(cartKey(split, id)) || null;

// Store the cart as one batch per split; returns the batch numbers.
export async function applyCart(note = null) {
  const bySplit = new Map();
  for (const edit of state.cart.values()) {
    if (!bySplit.has(edit.split)) bySplit.set(edit.split, []);
    bySplit.get(edit.split).push({ id: edit.id, action: edit.action, label: edit.label });
  }
  const batches = [];
  for (const [split, edits] of bySplit) {
    const result = await postJson(`${runPath(state.runKey)}/edits`, { split, edits, note });
    batches.push(result.batch);
    for (const edit of edits) state.cart.delete(cartKey(split, edit.id));
    saveCart();
  }
  emit("edits-applied", batches);
  return batches;
}
