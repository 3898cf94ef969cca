// Start the console: pick the run and split, switch views, route keys to the active view.

import { getJson, runPath } from "./api.js";
import { cartIsOnlyInMemory, loadCart } from "./cart.js";
import { initCoverage, showCoverage } from "./coverage.js";
import { closeDetail, handleDetailKey, initDetail, isDetailOpen } from "./detail.js";
import { el, formatInt, isTyping, reportError, toast } from "./dom.js";
import { initEdits, showEdits } from "./edits.js";
import { createSelection, initMap, showMap } from "./map.js";
import { initMetrics, showMetrics } from "./metrics.js";
import { handleSamplesKey, initSamples, resetSamples } from "./samples.js";
import { emptyFilters, on, state } from "./state.js";
import { readHash, writeHash } from "./url.js";

const VIEWS = ["samples", "map", "metrics", "coverage", "edits"];
const SHOW = { samples: () => {}, map: showMap, metrics: showMetrics, coverage: showCoverage, edits: showEdits };

const runPicker = document.getElementById("run-picker");
const splitPicker = document.getElementById("split-picker");

async function start() {
  initSamples(document.getElementById("view-samples"));
  initMap(document.getElementById("view-map"));
  initMetrics(document.getElementById("view-metrics"));
  initCoverage(document.getElementById("view-coverage"));
  initEdits(document.getElementById("view-edits"));
  initDetail(document.getElementById("detail"));
  bindChrome();
  const wanted = readHash();
  try {
    const body = await getJson("/api/runs");
    state.runs = body.runs;
    if (!body.runs.length) {
      document.querySelector("main").replaceChildren(el("div", { class: "panel message" },
        `No runs under ${body.root}. Log a run with dataerrors.init(...), or try \`dataerrors demo\`.`));
      return;
    }
    runPicker.replaceChildren(...body.runs.map((run) => el("option", { value: run.key }, run.key)));
    const runKey = body.runs.some((run) => run.key === wanted.run) ? wanted.run : body.runs[0].key;
    const ignored = [...wanted.ignored];
    if (wanted.run && runKey !== wanted.run) ignored.push(`run=${wanted.run} (not under this root), with its sort and filters`);
    // Sort and filters of a link that names another run would not fit this one.
    const fits = wanted.run === null || wanted.run === runKey;
    if (fits) Object.assign(state, { sort: wanted.sort, order: wanted.order });
    await selectRun(runKey, wanted.split, fits ? wanted.filters : null, fits ? wanted.shape : null);
    if (wanted.view && !VIEWS.includes(wanted.view)) ignored.push(`view=${wanted.view}`);
    const splitKept = !wanted.split || wanted.split === state.split;
    if (fits && !splitKept) ignored.push(`split=${wanted.split} (not analyzed), with its filters`);
    if (fits && splitKept) {
      if (wanted.sort !== state.sort) ignored.push(`sort=${wanted.sort}`);
      for (const key of ["label", "predicted"]) {
        for (const index of wanted.filters[key]) if (!state.filters[key].includes(index)) ignored.push(`${key}=${index} (no such class)`);
      }
      if (wanted.shape && !state.filters.selection) ignored.push("shape (no map selection could be made from it)");
    }
    if (ignored.length) toast(`Left out of the address, because the console cannot use these values: ${ignored.join(", ")}.`, { error: true, seconds: 8 });
    showView(VIEWS.includes(wanted.view) ? wanted.view : "samples");
  } catch (error) { reportError(error); }
}

// filters: the sample filters to start the split with (from the address), or null for none.
// shape: the outline of a map selection to add to those filters, or null.
async function selectRun(runKey, split = null, filters = null, shape = null) {
  state.runKey = runKey;
  runPicker.value = runKey;
  state.run = await getJson(runPath(runKey));
  const analyzed = state.run.split_info.filter((info) => info.is_analyzed);
  splitPicker.replaceChildren(...state.run.split_info.map((info) =>
    el("option", { value: info.name, disabled: !info.is_analyzed }, `${info.name} (${formatInt(info.n_samples)})`)));
  document.getElementById("run-status").textContent = `${state.run.task.replace("_", " ")} · ${state.run.n_classes} classes · ${state.run.status}`;
  loadCart();
  if (!analyzed.length) {
    document.getElementById("view-samples").replaceChildren(el("div", { class: "panel message" },
      `Run ${runKey} is not analyzed yet. Run \`dataerrors analyze\` on its folder.`));
    return;
  }
  const known = analyzed.some((info) => info.name === split);
  const inRange = (indices) => indices.filter((index) => index >= 0 && index < state.run.n_classes);
  if (filters) filters = { ...filters, label: inRange(filters.label), predicted: inRange(filters.predicted) };
  // Filters for an unknown split are dropped; a link that names no split filters the first one.
  const chosen = known ? split : analyzed[0].name;
  if (!known && split !== null) filters = null;
  const selectionInfo = filters && shape ? await restoreSelection(chosen, shape) : null;
  if (selectionInfo) filters = { ...filters, selection: selectionInfo.selection };
  state.split = null;  // another run: its split starts from these filters, not the last run's
  selectSplit(chosen, filters, selectionInfo);
}

// Select the points inside a shape from the address again; null if the split has no map or the
// server rejects the shape.
async function restoreSelection(split, shape) {
  try {
    return await createSelection(split, shape);
  } catch (error) {
    console.error(error);
    return null;
  }
}

// filters, selectionInfo: the sample filters and their map selection for a newly chosen split.
function selectSplit(split, filters = null, selectionInfo = null) {
  const changed = state.split !== split;
  state.split = split;
  splitPicker.value = split;
  if (changed) {
    state.filters = filters || emptyFilters();
    state.selectionInfo = selectionInfo;
    state.offset = 0;
  }
  const sortable = state.run.split_info.find((info) => info.name === split)?.sortable_columns || [];
  if (!sortable.includes(state.sort)) Object.assign(state, { sort: "dep", order: "desc" });
  closeDetail();
  resetSamples();
  writeHash();
  if (state.view !== "samples") SHOW[state.view]();
}

function showView(view) {
  state.view = view;
  for (const name of VIEWS) {
    document.getElementById(`view-${name}`).hidden = name !== view;
    document.querySelector(`.tabs [data-view="${name}"]`).setAttribute("aria-selected", String(name === view));
  }
  writeHash();
  if (state.split) SHOW[view]();
}

function bindChrome() {
  for (const tab of document.querySelectorAll(".tabs [data-view]")) tab.addEventListener("click", () => showView(tab.dataset.view));
  runPicker.addEventListener("change", () => selectRun(runPicker.value).catch(reportError));
  splitPicker.addEventListener("change", () => selectSplit(splitPicker.value));
  on("show-view", showView);
  on("select-split", (split) => { if (split !== state.split) selectSplit(split); });
  on("cart", () => {
    const badge = document.getElementById("cart-badge");
    badge.hidden = state.cart.size === 0;
    badge.textContent = formatInt(state.cart.size);
  });
  const help = document.getElementById("help");
  document.getElementById("help-button").addEventListener("click", () => { help.hidden = false; });
  help.querySelector("[data-close]").addEventListener("click", () => { help.hidden = true; });
  document.addEventListener("keydown", onKey);
  // The console writes the address without adding history entries, so a hash change comes from
  // the user (an edited address, Back to an earlier link): open what it names.
  window.addEventListener("hashchange", () => location.reload());
  // A cart too large for session storage is lost on leaving the page: let the browser ask first.
  window.addEventListener("beforeunload", (event) => { if (cartIsOnlyInMemory()) event.preventDefault(); });
}

function onKey(event) {
  const help = document.getElementById("help");
  if (!help.hidden) {
    if (event.key === "Escape" || event.key === "?") { help.hidden = true; event.preventDefault(); }
    return;
  }
  if (event.metaKey || event.ctrlKey || event.altKey) return;
  if (isTyping(event)) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  if (event.key === "?") { help.hidden = false; event.preventDefault(); return; }
  const viewIndex = Number(event.key) - 1;
  if (viewIndex >= 0 && viewIndex < VIEWS.length && !isDetailOpen()) { showView(VIEWS[viewIndex]); event.preventDefault(); return; }
  const used = isDetailOpen() ? handleDetailKey(event) : state.view === "samples" && handleSamplesKey(event);
  if (used) event.preventDefault();
}

start();
