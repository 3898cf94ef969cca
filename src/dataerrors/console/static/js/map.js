// The Map view: a WebGL scatter of the 2D map, lasso or box selection evaluated on the server,
// and the cluster list.

import { getBinary, getJson, postJson, splitPath } from "./api.js";
import { openDetail } from "./detail.js";
import { depColor, el, formatFloat, formatInt, reportError } from "./dom.js";
import { attachLasso } from "./lasso.js";
import { filterParams } from "./filters.js";
import { simplifyShape } from "./shape.js";
import { on, setFilters, showView, splitInfo, state } from "./state.js";

const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
  "#9d755d", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#393b79"];
const DEP_SCALE = [[0, depColor(0)], [0.5, depColor(0.5)], [1, depColor(1)]];
// Above this many categories the legend would be unreadable: one trace, colours only.
const MAX_LEGEND_CATEGORIES = 30;
const COLOR_OPTIONS = [["dep", "DEP"], ["label", "Given label"], ["predicted", "Prediction"], ["cluster", "Cluster"]];

let root = null;
let meta = null;
let columns = null;     // column name -> Float32Array
let colorBy = "dep";
let selection = null;   // createSelection result
let traceRows = [];     // per trace, the map rows of its points
let loadedFor = null;
let lasso = null;       // the drawing layer of the current plot
let polygon = null;     // outline of the current selection, in map coordinates
let drawnRows = null;   // Uint32Array of the rows drawn (all of them, or a sample of a large map)
let matching = null;    // {rows, mask over all rows} of the matching rows while Samples filters are set
let matchingFor = null; // the filters `matching` was computed for
let matchingRequest = 0; // number of the latest /map/matching request; older replies are dropped
// Pixels around a click within which the nearest point is opened.
const CLICK_RADIUS = 8;
// Above this many points the scatter draws a sample, so the browser stays responsive.
// Selections are still tested on the server over every point.
const DISPLAY_MAX_POINTS = 250000;

export function initMap(container) {
  root = container;
  on("filters", () => { if (state.view === "map") updateMatching(); });
  // Edit flags (edited, relabeled, removed...) match other rows once edits are applied.
  on("edits-applied", () => { matchingFor = null; if (state.view === "map") updateMatching(); });
}

// Recompute the rows that match the Samples filters and draw the map again if they changed.
function updateMatching() {
  if (!columns || !meta?.available || !loadedFor) return;
  refreshMatching().then((changed) => { if (changed) redraw(); }).catch(reportError);
}

export async function showMap() {
  const key = `${state.runKey}|${state.split}|${state.run?.version}`;
  if (loadedFor === key) {
    updateMatching();
    return;
  }
  loadedFor = key;
  // Nothing of the previous run or split may survive: its mask and columns have other rows.
  meta = null;
  columns = null;
  drawnRows = null;
  matching = null;
  matchingFor = null;
  // A selection shown in Samples, made here or restored from the address, is the map's selection.
  const applied = state.filters.selection && state.selectionInfo?.polygon ? state.selectionInfo : null;
  selection = applied;
  polygon = applied?.polygon || null;
  lasso = null;
  root.replaceChildren(el("div", { class: "message" }, "Loading the map…"));
  try {
    meta = await getJson(`${splitPath(state.runKey, state.split)}/map`);
    if (!meta.available) {
      root.replaceChildren(el("div", { class: "panel message" }, meta.message));
      return;
    }
    const response = await getBinary(`${splitPath(state.runKey, state.split)}/map/points`);
    const buffer = await response.arrayBuffer();
    columns = {};
    meta.columns.forEach((name, index) => {
      columns[name] = new Float32Array(buffer, index * meta.n_points * 4, meta.n_points);
    });
    drawnRows = displayRows();
    await refreshMatching();
    render();
  } catch (error) {
    loadedFor = null;
    root.replaceChildren(el("div", { class: "panel message" }, error.message));
    reportError(error);
  }
}

// Show new filter results on the same plot, so its zoom, mouse mode and lasso stay.
function redraw() {
  if (!root.querySelector("#map-plot")) { render(); return; }
  renderFilterNote();
  renderSelection();
  draw();
}

function render() {
  const colorSelect = el("select", { "aria-label": "Colour by", id: "map-color" },
    COLOR_OPTIONS.filter(([name]) => name in columns).map(([name, text]) => el("option", { value: name }, text)));
  colorSelect.value = colorBy in columns ? colorBy : "dep";
  colorSelect.addEventListener("change", () => { colorBy = colorSelect.value; draw(); });
  root.replaceChildren(el("div", { class: "map-layout" },
    el("div", { class: "panel" },
      el("div", { class: "toolbar" },
        el("label", {}, "Colour by ", colorSelect),
        el("div", { class: "segmented", role: "group", "aria-label": "Mouse mode" },
          [["lasso", "Lasso"], ["box", "Box"], ["pan", "Zoom / pan"]].map(([mode, text]) => el("button", {
            class: "chip-toggle", dataset: { mode }, "aria-pressed": String(mode === "lasso"), onclick: () => setMode(mode),
          }, text))),
        el("span", { class: "muted", id: "map-count" }, pointCountText())),
      el("div", { id: "map-filter-slot" }),
      el("div", { class: "map-canvas" }, el("div", { id: "map-plot" }))),
    el("div", { class: "stack" },
      el("div", { class: "panel", id: "map-selection" }),
      el("div", { class: "panel" }, el("h3", {}, "Clusters by mean DEP"), el("div", { class: "cluster-list", id: "cluster-list" })))));
  renderFilterNote();
  renderSelection();
  loadClusters();
  draw();
}

function renderFilterNote() {
  const slot = root.querySelector("#map-filter-slot");
  if (!slot) return;
  slot.replaceChildren(matching ? el("div", { class: "toolbar", id: "map-filter-note" },
    el("span", {}, `${formatInt(matching.rows.length)} of ${formatInt(meta.n_points)} samples match the Samples filters and are coloured; the others are grey.`),
    el("button", { class: "secondary", onclick: () => setFilters({ selection: state.filters.selection }, { replace: true }) }, "Clear filters")) : "");
}

function draw() {
  const plot = root.querySelector("#map-plot");
  const [colored, grey] = splitByFilters();
  const traces = colorBy === "dep" ? [depTrace(colored)] : categoryTraces(colorBy, colored);
  if (grey) {
    traces.unshift({ type: "scattergl", mode: "markers", name: "outside the filters", showlegend: false,
      x: gather(columns.x, grey), y: gather(columns.y, grey), marker: { color: "#d5d9e0", size: markerSize() }, hoverinfo: "none" });
    traceRows.unshift(grey);
  }
  const layout = {
    margin: { l: 30, r: 10, t: 10, b: 30 }, dragmode: "zoom", hovermode: "closest",
    xaxis: { zeroline: false, showgrid: false }, yaxis: { zeroline: false, showgrid: false, scaleanchor: "x" },
    legend: { itemsizing: "constant", font: { size: 12 } }, plot_bgcolor: "#fff", uirevision: `${state.split}`,
    shapes: polygonShapes(),
  };
  window.Plotly.react(plot, traces, layout, { responsive: true, displaylogo: false,
    modeBarButtonsToRemove: ["toImage", "autoScale2d", "select2d", "lasso2d"] });
  if (!lasso) {
    lasso = attachLasso(plot, { onPolygon: select, onClick: openNearest });
    plot.on("plotly_click", (event) => {
      const point = event?.points?.[0];
      if (point) openRow(traceRows[point.curveNumber][point.pointIndex]);
    });
  }
}

function pointCountText() {
  const drawn = drawnRows.length < meta.n_points
    ? `${formatInt(drawnRows.length)} of ${formatInt(meta.n_points)} points drawn (the highest DEP first, then an even sample of the rest)`
    : `${formatInt(meta.n_points)} points`;
  return `${drawn} · drag to select (the server tests every point) · click a point to open it`;
}

// "Show in Samples" keeps the filters, so with filters set, count the selected points it will list.
async function countSelectionMatches() {
  if (!selection || !matching) return;
  const page = await getJson(`${splitPath(state.runKey, state.split)}/samples`, { ...filterParams(), selection: selection.selection, limit: 1 });
  selection.n_matching_filters = page.n_matching;
}

// Fetch which rows match the Samples filters (the map's own selection aside); true if that changed.
async function refreshMatching() {
  const params = { ...filterParams(), selection: null };
  const active = Object.values(params).some((value) => (Array.isArray(value) ? value.length > 0 : value !== null && value !== ""));
  const key = active ? JSON.stringify(params) : null;
  const number = ++matchingRequest; // also drops a pending reply for other filters
  if (key === matchingFor) return false;
  if (!active) { matching = null; matchingFor = null; return true; }
  const nPoints = meta.n_points;
  const response = await getBinary(`${splitPath(state.runKey, state.split)}/map/matching`, params);
  const rows = new Uint32Array(await response.arrayBuffer());
  // A later request (other filters, another split) supersedes this one.
  if (number !== matchingRequest || !meta || meta.n_points !== nPoints) return false;
  const mask = new Uint8Array(nPoints);
  for (const row of rows) mask[row] = 1;
  matching = { rows, mask };
  matchingFor = key;
  await countSelectionMatches();
  return true;
}

// The rows to colour and the rows to draw in grey (null without filters). Every matching row is
// coloured, up to the display budget, even where the even sample of a large map left it out.
function splitByFilters() {
  if (!matching) return [drawnRows, null];
  const grey = drawnRows.filter((row) => !matching.mask[row]);
  return [sampleRows(matching.rows), grey];
}

// Rows to draw without filters: a sample of every row, so likely errors stay visible.
function displayRows() {
  return sampleRows(Uint32Array.from({ length: meta.n_points }, (_, row) => row));
}

// Return the given rows if they fit the display budget. Otherwise return the highest-DEP rows
// (up to a quarter of the budget) and every n-th other row.
function sampleRows(candidates) {
  const n = candidates.length;
  if (n <= DISPLAY_MAX_POINTS) return candidates;
  const dep = columns.dep;
  let cutoff = Infinity;
  let highCount = 0;
  if (dep) {
    const buckets = new Uint32Array(101);
    for (const row of candidates) if (dep[row] >= 0) buckets[Math.min(100, Math.floor(dep[row] * 100))] += 1;
    let bucket = 101;
    while (bucket > 0 && highCount + buckets[bucket - 1] <= DISPLAY_MAX_POINTS / 4) { bucket -= 1; highCount += buckets[bucket]; }
    cutoff = bucket / 100;
  }
  const stride = Math.ceil((n - highCount) / (DISPLAY_MAX_POINTS - highCount));
  const rows = [];
  let others = 0;
  for (const row of candidates) {
    const high = dep !== undefined && dep[row] >= cutoff;
    if (high) rows.push(row);
    else if (others++ % stride === 0) rows.push(row);
  }
  return Uint32Array.from(rows);
}

function setMode(mode) {
  lasso?.setMode(mode);
  for (const button of root.querySelectorAll("[data-mode]")) button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
}

function polygonShapes() {
  if (!polygon) return [];
  const path = `M${polygon.map(([x, y]) => `${x},${y}`).join("L")}Z`;
  return [{ type: "path", path, line: { color: "#1d2330", width: 1.5, dash: "dot" }, fillcolor: "rgba(47,95,208,0.08)" }];
}

// Open the point nearest to a click, if one lies within CLICK_RADIUS pixels.
function openNearest([x, y], scale) {
  let best = -1;
  let bestDistance = CLICK_RADIUS * CLICK_RADIUS;
  const xs = columns.x;
  const ys = columns.y;
  for (const rows of traceRows) {
    for (const row of rows) {
      const dx = (xs[row] - x) * scale.x;
      const dy = (ys[row] - y) * scale.y;
      const distance = dx * dx + dy * dy;
      if (distance < bestDistance) { bestDistance = distance; best = row; }
    }
  }
  if (best >= 0) openRow(best);
}

// One trace coloured by DEP; points are ordered by DEP so high-DEP points are drawn on top.
function depTrace(rows) {
  const dep = columns.dep;
  const order = orderByValue(dep, rows);
  traceRows = [order];
  return {
    type: "scattergl", mode: "markers", name: "DEP", showlegend: false,
    x: gather(columns.x, order), y: gather(columns.y, order),
    marker: { color: gather(dep, order), colorscale: DEP_SCALE, cmin: 0, cmax: 1, size: markerSize(),
              colorbar: { title: { text: "DEP" }, thickness: 12 } },
    hoverinfo: "none",
  };
}

function categoryTraces(column, shownRows) {
  const info = meta.categories[column];
  const values = columns[column];
  if (info.values.length > MAX_LEGEND_CATEGORIES) {
    const order = orderByValue(values, shownRows);
    traceRows = [order];
    return [{ type: "scattergl", mode: "markers", showlegend: false, x: gather(columns.x, order), y: gather(columns.y, order),
      marker: { color: Array.from(gather(values, order), (v) => PALETTE[((v % PALETTE.length) + PALETTE.length) % PALETTE.length]), size: markerSize() },
      hoverinfo: "none" }];
  }
  const rowsByValue = new Map(info.values.map((value) => [value, []]));
  for (const row of shownRows) rowsByValue.get(values[row])?.push(row);
  traceRows = [];
  return info.values.map((value, index) => {
    const rows = Uint32Array.from(rowsByValue.get(value));
    traceRows.push(rows);
    const color = column === "cluster" && value === -1 ? "#c5cad4" : PALETTE[index % PALETTE.length];
    return { type: "scattergl", mode: "markers", name: legendName(column, index), x: gather(columns.x, rows), y: gather(columns.y, rows),
             marker: { color, size: markerSize() }, hoverinfo: "name" };
  });
}

function legendName(column, index) {
  const info = meta.categories[column];
  const total = info.counts[index];
  if (!selection) return `${info.names[index]} · ${formatInt(total)}`;
  const selected = selection.counts[column]?.[String(info.values[index])] || 0;
  return `${info.names[index]} · ${formatInt(selected)} / ${formatInt(total)}`;
}

function updateLegend() {
  if (colorBy === "dep" || !meta.categories[colorBy] || meta.categories[colorBy].values.length > MAX_LEGEND_CATEGORIES) return;
  const names = meta.categories[colorBy].values.map((_, index) => legendName(colorBy, index));
  // A grey trace of the points outside the filters comes first and keeps its name.
  const first = traceRows.length - names.length;
  window.Plotly.restyle(root.querySelector("#map-plot"), { name: names }, names.map((_, index) => first + index));
}

// Select the points inside `polygon` ([[x, y], ...] in map coordinates) of `split`; returns the
// POST .../selections result with the polygon added.
export async function createSelection(split, polygon) {
  const result = await postJson(`${splitPath(state.runKey, split)}/selections`, { polygon });
  return { ...result, polygon };
}

async function select(outline) {
  try {
    selection = await createSelection(state.split, simplifyShape(outline, meta.x_range, meta.y_range));
    await countSelectionMatches();
    polygon = selection.polygon;
    window.Plotly.relayout(root.querySelector("#map-plot"), { shapes: polygonShapes() });
    renderSelection();
    updateLegend();
    loadClusters();
  } catch (error) { reportError(error); }
}

function renderSelection() {
  const panel = root.querySelector("#map-selection");
  if (!selection) {
    panel.replaceChildren(el("h3", {}, "Selection"), el("div", { class: "muted" }, "Draw a lasso or a box on the map."));
    return;
  }
  const labelCounts = Object.entries(selection.counts.label || {}).sort((a, b) => b[1] - a[1]).slice(0, 5);
  // replaceChildren, unlike el, writes a null argument as the text "null": leave out with "".
  panel.replaceChildren(
    el("h3", {}, "Selection"),
    el("div", {}, el("b", { id: "selection-count" }, formatInt(selection.n_selected)), " points · mean DEP ", el("b", {}, formatFloat(selection.mean_dep, 3))),
    selection.n_matching_filters !== undefined && matching
      ? el("div", { id: "selection-matching" }, el("b", {}, formatInt(selection.n_matching_filters)), " of them match the Samples filters") : "",
    el("div", { class: "small muted" }, "Given labels: ", labelCounts.map(([label, count]) => `${state.run.class_names[Number(label)] ?? label} (${formatInt(count)})`).join(", ") || "–"),
    el("div", { class: "actions" },
      el("button", { class: "primary", id: "show-selection", disabled: !(matching && selection.n_matching_filters !== undefined ? selection.n_matching_filters : selection.n_selected), onclick: showSelection }, "Show in Samples"),
      el("button", { class: "secondary", onclick: clearSelection }, "Clear")));
}

function showSelection() {
  state.selectionInfo = selection;
  setFilters({ selection: selection.selection });
  showView("samples");
}

function clearSelection() {
  selection = null;
  polygon = null;
  window.Plotly.relayout(root.querySelector("#map-plot"), { shapes: [] });
  renderSelection();
  updateLegend();
  loadClusters();
}

async function loadClusters() {
  const list = root.querySelector("#cluster-list");
  if (!list) return;
  if (!splitInfo()?.has_clusters) { list.replaceChildren(el("div", { class: "muted" }, "This analysis has no clusters.")); return; }
  try {
    const body = await getJson(`${splitPath(state.runKey, state.split)}/clusters`, { selection: selection?.selection });
    list.replaceChildren(...body.clusters.map((cluster) => el("div", {
        class: "cluster", title: "Show this cluster's samples",
        onclick: () => { setFilters({ cluster: [cluster.cluster] }, { replace: true }); showView("samples"); },
      },
      el("span", { class: "name" }, cluster.cluster === -1 ? "noise" : `Cluster ${cluster.cluster}`),
      el("span", {}, `DEP ${formatFloat(cluster.mean_dep, 3)}`),
      el("span", { class: "meta" }, `${formatInt(cluster.n_samples)} samples`,
        cluster.n_selected !== null ? ` · ${formatInt(cluster.n_selected)} selected` : "",
        ` · ${formatInt(cluster.n_likely_mislabeled)} likely mislabeled · mostly `,
        cluster.top_labels.map((entry) => `${entry.name} (${formatInt(entry.n_samples)})`).join(", ")))));
  } catch (error) { reportError(error); }
}

async function openRow(row) {
  try {
    const body = await getJson(`${splitPath(state.runKey, state.split)}/rows/${row}`);
    openDetail({ split: state.split, id: body.id });
  } catch (error) { reportError(error); }
}

function markerSize() {
  if (drawnRows.length > 200000) return 2;
  if (drawnRows.length > 20000) return 3;
  return 5;
}

// The given rows, sorted by `values` ascending (NaN first), by counting sort over 256 buckets: O(n).
function orderByValue(values, rows) {
  let low = Infinity;
  let high = -Infinity;
  for (const row of rows) {
    const value = values[row];
    if (Number.isFinite(value)) { low = Math.min(low, value); high = Math.max(high, value); }
  }
  const buckets = 256;
  const scale = high > low ? (buckets - 1) / (high - low) : 0;
  const bucketOf = (value) => (Number.isFinite(value) ? 1 + Math.floor((value - low) * scale) : 0);
  const counts = new Uint32Array(buckets + 2);
  for (const row of rows) counts[bucketOf(values[row]) + 1] += 1;
  for (let i = 1; i < counts.length; i += 1) counts[i] += counts[i - 1];
  const order = new Uint32Array(rows.length);
  for (const row of rows) order[counts[bucketOf(values[row])]++] = row;
  return order;
}

function gather(values, rows) {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i += 1) out[i] = values[rows[i]];
  return out;
}
