// The Edits view: the cart of pending edits, the applied batches with undo, and the exports.

import { getJson, postJson, query, runPath, splitPath } from "./api.js";
import { applyCart, clearCart, removeFromCart } from "./cart.js";
import { el, formatInt, reportError, thumbnail, toast } from "./dom.js";
import { describeEdit } from "./samples.js";
import { emit, on, state } from "./state.js";

let root = null;
// The cart list shows this many edits; a larger cart is applied whole all the same.
const MAX_CART_ITEMS_SHOWN = 500;

export function initEdits(container) {
  root = container;
  on("cart", () => { if (!root.hidden) renderCart(); });
  on("edits-applied", () => { if (!root.hidden) loadLog(); });
}

export function showEdits() {
  root.replaceChildren(el("div", { class: "two-col" },
    el("div", { class: "panel", id: "cart" }),
    el("div", { class: "stack" },
      el("div", { class: "panel", id: "exports" }),
      el("div", { class: "panel", id: "edit-log" }))));
  renderCart();
  renderExports();
  loadLog();
}

function renderCart() {
  const panel = root.querySelector("#cart");
  if (!panel) return;
  const edits = [...state.cart.entries()];
  const note = el("input", { type: "text", placeholder: "Note for this batch (optional)", "aria-label": "Note", style: "flex:1", maxlength: 500 });
  const apply = el("button", { class: "primary", id: "apply-edits", disabled: !edits.length }, `Apply ${formatInt(edits.length)} edit(s)`);
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    try {
      const batches = await applyCart(note.value.trim() || null);
      toast(`Stored as batch ${batches.join(", ")}.`);
    } catch (error) { reportError(error); apply.disabled = false; }
  });
  panel.replaceChildren(
    el("h2", {}, "Pending edits"),
    edits.length ? el("div", {}, edits.slice(0, MAX_CART_ITEMS_SHOWN).map(([key, edit]) => el("div", { class: "cart-item" },
      edit.thumbnail_url ? thumbnail(edit.thumbnail_url, { alt: `sample ${edit.id}` }) : el("div", { class: "thumb-missing" }, edit.text ? "text" : "–"),
      el("div", {}, el("b", {}, `Sample ${edit.id}`), el("span", { class: "muted" }, ` · ${edit.split} · given ${edit.label_name ?? "–"}`),
        el("div", {}, describeEdit(edit))),
      el("button", { class: "secondary", title: "Take out of the cart", onclick: () => removeFromCart(key) }, "✕"))),
      edits.length > MAX_CART_ITEMS_SHOWN ? el("div", { class: "muted" }, `… and ${formatInt(edits.length - MAX_CART_ITEMS_SHOWN)} more.`) : null)
      : el("div", { class: "muted message" }, "The cart is empty. Select samples in the Samples view or open one, then relabel, remove or mark them."),
    el("div", { class: "actions" }, note, apply,
      el("button", { class: "secondary", disabled: !edits.length, onclick: clearCart }, "Empty cart")));
}

async function loadLog() {
  const panel = root.querySelector("#edit-log");
  if (!panel) return;
  try {
    const log = await getJson(`${runPath(state.runKey)}/edits`);
    const done = { relabel: "relabeled", remove: "removed", mark_for_labeling: "marked for labeling" };
    const counts = Object.entries(log.counts).map(([split, actions]) =>
      `${split}: ${Object.entries(actions).map(([action, n]) => `${formatInt(n)} ${done[action] ?? action}`).join(", ") || "no edits"}`);
    panel.replaceChildren(
      el("h2", {}, "Applied edits"),
      el("div", { class: "small muted" }, `Now: ${counts.join(" · ")}. Edits are recorded as ${state.run.user}.`),
      log.batches.length ? el("div", { id: "batches" }, log.batches.map(batchItem)) : el("div", { class: "muted" }, "No edits yet."));
  } catch (error) { reportError(error); }
}

function batchItem(batch) {
  const details = el("div", { class: "small", hidden: true });
  const undo = el("button", { class: "danger", disabled: batch.undoes !== null || batch.undone_by !== null, title: "Undo this batch" }, "Undo");
  undo.addEventListener("click", async () => {
    try {
      await postJson(`${runPath(state.runKey)}/edits/${batch.batch}/undo`, {});
      toast(`Batch ${batch.batch} undone.`);
      emit("edits-applied", []);
    } catch (error) { reportError(error); }
  });
  // An undone batch can be applied again once, as a new batch.
  // Its edits become the newest, so they also win over later batches that edited the same samples.
  const reapply = el("button", { class: "secondary", title: "Apply this batch's edits again, as a new batch (newer than every batch so far)" }, "Apply again");
  reapply.addEventListener("click", async () => {
    try {
      const result = await postJson(`${runPath(state.runKey)}/edits/${batch.batch}/reapply`, {});
      toast(`Batch ${batch.batch} applied again as batch ${result.batch}.`);
      emit("edits-applied", []);
    } catch (error) { reportError(error); }
  });
  const show = el("button", { class: "secondary" }, "Show edits");
  show.addEventListener("click", async () => {
    if (!details.hidden) { details.hidden = true; return; }
    try {
      const edits = await getJson(`${runPath(state.runKey)}/edits/history`, { batch: batch.batch });
      details.replaceChildren(...edits.map((edit) => el("div", {}, `${edit.split} · sample ${edit.id}: ${edit.action.replaceAll("_", " ")}${edit.label_name ? ` → ${edit.label_name}` : ""}`)));
      details.hidden = false;
    } catch (error) { reportError(error); }
  });
  const what = batch.undoes !== null ? `undo of batch ${batch.undoes}`
    : `${formatInt(batch.n_edits)} edit(s)${batch.reapplies !== null ? `, batch ${batch.reapplies} applied again` : ""}`;
  const canReapply = batch.undone_by !== null && batch.reapplied_by === null;
  return el("div", { class: `batch${batch.undone_by !== null ? " undone" : ""}` },
    el("div", { class: "toolbar" }, el("b", {}, `Batch ${batch.batch}`), el("span", {}, what),
      el("span", { class: "muted" }, `${batch.created_at.replace("T", " ").slice(0, 19)} UTC · ${batch.author}`),
      batch.undone_by !== null ? el("span", { class: "flag" }, `undone by ${batch.undone_by}`) : null,
      batch.reapplied_by !== null ? el("span", { class: "flag" }, `applied again as ${batch.reapplied_by}`) : null,
      batch.n_edits ? show : null, batch.undoes === null && batch.undone_by === null ? undo : null, canReapply ? reapply : null),
    batch.note ? el("div", { class: "small muted" }, batch.note) : null, details);
}

function renderExports() {
  const panel = root.querySelector("#exports");
  const links = state.run.splits.map((split) => {
    const base = `${splitPath(state.runKey, split)}/exports`;
    return el("div", { class: "stack", style: "margin-bottom:12px" },
      el("h3", {}, split),
      el("div", { class: "exports" },
        el("a", { class: "button", href: `${base}/cleaned-labels${query({ format: "csv" })}`, download: true, dataset: { export: `cleaned-csv-${split}` } }, "Cleaned labels CSV"),
        el("a", { class: "button", href: `${base}/cleaned-labels${query({ format: "parquet" })}`, download: true }, "Cleaned labels Parquet"),
        labelStudioLink(split, "marked", "Label Studio: marked"),
        labelStudioLink(split, "flagged", "Label Studio: flagged")));
  });
  panel.replaceChildren(el("h2", {}, "Export"),
    el("div", { class: "small muted", style: "margin-bottom:10px" },
      "Cleaned labels apply the applied edits (removed samples left out). Label Studio tasks carry the image, the given label and our suggestion as a prediction; the worst come first. Import them with this labeling config: ",
      el("a", { href: `${runPath(state.runKey)}/exports/label-studio-config`, download: true }, "label config (XML)"), "."),
    ...links);
}

// The sample filter flag of each Label Studio sample set, and what to say when no sample has it.
const LABEL_STUDIO_SETS = {
  marked: ["marked_for_labeling", "is marked for labeling. Mark samples (m) and apply the cart first."],
  flagged: ["likely_mislabeled", "is flagged as likely mislabeled."],
};

// A download link of the split's Label Studio tasks that first counts the samples, so that an
// empty set gets a message instead of a file with no tasks.
function labelStudioLink(split, samples, text) {
  const href = `${splitPath(state.runKey, split)}/exports/label-studio${query({ samples })}`;
  const [flag, emptyMessage] = LABEL_STUDIO_SETS[samples];
  const link = el("a", { class: "button", href, download: true, dataset: { export: `label-studio-${samples === "marked" ? "" : `${samples}-`}${split}` } }, text);
  let counted = false; // set for the click that downloads, after the count
  link.addEventListener("click", async (event) => {
    if (counted) { counted = false; return; }
    event.preventDefault();
    try {
      const page = await getJson(`${splitPath(state.runKey, split)}/samples`, { flag: [flag], limit: 1 });
      if (!page.n_matching) { toast(`No sample of split ${split} ${emptyMessage}`, { error: true }); return; }
      counted = true;
      link.click();
    } catch (error) { reportError(error); }
  });
  return link;
}
