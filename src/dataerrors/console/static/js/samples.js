// The Samples view: a sortable, filterable page of samples as a table or a grid, with multi-select.

import { getJson, splitPath } from "./api.js";
import { addToCart, pendingEdit } from "./cart.js";
import { openDetail } from "./detail.js";
import { cautionPanel, depBar, el, formatFloat, formatInt, reportError, thumbnail, toast, unscoredNote } from "./dom.js";
import { filterParams, renderFilters } from "./filters.js";
import { className, isTextRun, on, splitInfo, state } from "./state.js";
import { writeHash } from "./url.js";

const SORT_LABELS = {
  dep: "DEP", aum: "AUM", margin: "Margin", confidence: "Confidence", correctness: "Correctness",
  variability: "Variability", coverage_distance: "Coverage distance", neighbor_disagreement: "Neighbour disagreement",
  id: "Id", row: "Log order",
};
const MAX_SELECT_ALL = 100000;
// Scores where a low value points to an error: sorting by them starts with the lowest.
const LOW_IS_SUSPECT = ["aum", "margin", "confidence", "correctness"];
// The sort column is shown beside DEP when it is a score other than DEP.
const shownSortColumn = () => (state.sort in SORT_LABELS && !["dep", "id", "row"].includes(state.sort) ? state.sort : null);

let root = null;
let rows = [];
let cursor = 0;
let nMatching = 0;
let requestNumber = 0;

export function initSamples(container) {
  root = container;
  on("filters", () => load());
  on("cart", () => renderRows());
  on("edits-applied", () => load());
}

// Rebuild the view for a new run or split, then load the first page.
export function resetSamples() {
  state.checked.clear();
  root.replaceChildren(
    splitInfo()?.n_scored === 0 ? unscoredNote(state.split, splitInfo().n_labeled) : "",
    (splitInfo()?.cautions || []).filter((caution) => caution.kind === "error_rate").map((caution) => cautionPanel(caution.message)),
    el("div", { class: "filters", id: "filters" }),
    el("div", { class: "toolbar", id: "samples-toolbar" }),
    el("div", { id: "bulkbar" }),
    el("div", { id: "samples-results" }),
    el("div", { class: "pager", id: "pager" }),
  );
  load();
}

export async function load() {
  if (!root || !state.split) return;
  renderFilters(root.querySelector("#filters"));
  writeHash();
  const number = ++requestNumber;
  const results = root.querySelector("#samples-results");
  results.setAttribute("aria-busy", "true");
  try {
    const page = await getJson(`${splitPath(state.runKey, state.split)}/samples`, {
      ...filterParams(), sort: state.sort, order: state.order, offset: state.offset, limit: state.limit,
    });
    if (number !== requestNumber) return;
    rows = page.rows;
    nMatching = page.n_matching;
    cursor = Math.min(cursor, Math.max(0, rows.length - 1));
    renderToolbar(page);
    renderRows();
    renderPager(page);
  } catch (error) {
    if (number === requestNumber) {
      // Counts and pages of an earlier list would contradict the error.
      root.querySelector("#samples-toolbar").replaceChildren();
      root.querySelector("#pager").replaceChildren();
      results.replaceChildren(el("div", { class: "message" }, error.message));
      reportError(error);
    }
  } finally {
    results.removeAttribute("aria-busy");
  }
}

function renderToolbar(page) {
  const info = splitInfo();
  const sortable = (info?.sortable_columns || []).filter((column) => column in SORT_LABELS);
  const sort = el("select", { "aria-label": "Sort by", name: "sort" },
    sortable.map((column) => el("option", { value: column }, SORT_LABELS[column])));
  sort.value = state.sort;
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    state.order = LOW_IS_SUSPECT.includes(sort.value) ? "asc" : "desc";
    state.offset = 0;
    load();
  });
  const order = el("button", { class: "secondary", title: "Reverse the order", "aria-label": "Sort order" },
    state.order === "desc" ? "↓ highest first" : "↑ lowest first");
  order.addEventListener("click", () => { state.order = state.order === "desc" ? "asc" : "desc"; state.offset = 0; load(); });
  const layout = el("button", { class: "secondary", title: "Switch between table and grid" },
    state.layout === "table" ? "Grid view" : "Table view");
  layout.addEventListener("click", () => { state.layout = state.layout === "table" ? "grid" : "table"; renderRows(); renderToolbar(page); });
  const size = el("select", { "aria-label": "Rows per page" }, [25, 50, 100, 200].map((n) => el("option", { value: n }, `${n} per page`)));
  size.value = String(state.limit);
  size.addEventListener("change", () => { state.limit = Number(size.value); state.offset = 0; load(); });
  const selectAll = el("button", { class: "secondary", title: `Select every matching sample (up to ${formatInt(MAX_SELECT_ALL)})`, disabled: page.n_matching === 0 },
    `Select all ${formatInt(page.n_matching)}`);
  selectAll.addEventListener("click", selectAllMatching);
  root.querySelector("#samples-toolbar").replaceChildren(
    el("span", { class: "count", id: "match-count" }, `${formatInt(page.n_matching)} matching`),
    el("span", { class: "muted" }, `of ${formatInt(page.n_samples)} samples`),
    el("span", { class: "muted" }, "· sort by"), sort, order, layout, size, selectAll,
  );
}

function renderRows() {
  if (!root) return;
  const results = root.querySelector("#samples-results");
  if (!results) return;
  renderBulkbar();
  if (!rows.length) {
    results.replaceChildren(el("div", { class: "message" }, "No sample matches these filters."));
    return;
  }
  results.replaceChildren(state.layout === "grid" ? renderGrid() : renderTable());
}

// Whether rows show their input: a split logged without images gets no image placeholders.
const showsInput = () => isTextRun() || rows.some((row) => row.thumbnail_url);

// A row's text (up to maxChars characters) or image thumbnail.
function inputPreview(row, maxChars = Infinity) {
  if (isTextRun()) return el("div", { class: "text-cell" }, (row.text ?? "").slice(0, maxChars));
  return thumbnail(row.thumbnail_url, { alt: `sample ${row.id}` });
}

function renderTable() {
  const showInput = showsInput();
  const pageChecked = rows.length > 0 && rows.every((row) => state.checked.has(row.id));
  const header = el("tr", {},
    el("th", {}, el("input", { type: "checkbox", "aria-label": "Select this page", checked: pageChecked, onclick: (e) => { e.stopPropagation(); togglePage(!pageChecked); } })),
    showInput ? el("th", {}, isTextRun() ? "Text" : "Image") : null,
    el("th", {}, "Id"), el("th", {}, "Given"), el("th", {}, "Predicted"), el("th", {}, "Suggested"),
    el("th", { class: "sortable", title: "Sort by DEP", onclick: () => sortBy("dep") }, `DEP ${state.sort === "dep" ? (state.order === "desc" ? "↓" : "↑") : ""}`),
    shownSortColumn() ? el("th", {}, `${SORT_LABELS[shownSortColumn()]} ${state.order === "desc" ? "↓" : "↑"}`) : null,
    el("th", {}, "Flags"));
  const body = el("tbody", {}, rows.map((row, index) => {
    const tr = el("tr", { class: rowClass(row, index), dataset: { id: row.id, index } },
      el("td", {}, checkbox(row)),
      showInput ? el("td", {}, inputPreview(row)) : null,
      el("td", { class: "id-cell" }, row.id),
      el("td", {}, el("span", { class: "label" }, row.label_name ?? "–")),
      el("td", {}, el("span", { class: `label${row.predicted !== row.label ? " wrong" : ""}` }, row.predicted_name ?? "–")),
      el("td", {}, el("span", { class: `label${row.suggested_label !== row.label ? " suggested" : ""}` }, row.suggested_label_name ?? "–")),
      el("td", {}, depBar(row.dep)),
      shownSortColumn() ? el("td", { class: "sort-value" }, formatFloat(row[shownSortColumn()], 3)) : null,
      el("td", {}, flags(row)));
    tr.addEventListener("click", (event) => rowClicked(event, index));
    return tr;
  }));
  return el("table", { class: "samples", id: "samples-table" }, el("thead", {}, header), body);
}

function renderGrid() {
  const showInput = showsInput();
  return el("div", { class: "grid", id: "samples-grid" }, rows.map((row, index) => {
    const card = el("div", { class: `card ${rowClass(row, index)}`, dataset: { id: row.id, index } },
      checkbox(row),
      showInput ? inputPreview(row, 280) : null,
      el("div", { class: "card-labels" },
        el("span", {}, "given ", el("b", {}, row.label_name ?? "–")),
        el("span", {}, "suggested ", el("b", { class: row.suggested_label !== row.label ? "label suggested" : "" }, row.suggested_label_name ?? "–"))),
      depBar(row.dep),
      shownSortColumn() ? el("div", { class: "small muted sort-value" }, `${SORT_LABELS[shownSortColumn()]} ${formatFloat(row[shownSortColumn()], 3)}`) : null,
      el("div", {}, flags(row)));
    card.addEventListener("click", (event) => rowClicked(event, index));
    return card;
  }));
}

function rowClass(row, index) {
  return [index === cursor ? "cursor" : "", state.checked.has(row.id) ? "checked" : ""].join(" ").trim();
}

function checkbox(row) {
  return el("input", { type: "checkbox", "aria-label": `Select sample ${row.id}`, checked: state.checked.has(row.id),
    onclick: (event) => { event.stopPropagation(); toggleChecked(row, event.shiftKey); } });
}

export function flags(row) {
  const badges = [];
  if (row.is_likely_mislabeled) badges.push(el("span", { class: "flag mislabeled" }, "likely mislabeled"));
  if (row.difficulty === "hard" && !row.is_likely_mislabeled) badges.push(el("span", { class: "flag hard" }, "hard"));
  if (row.is_out_of_coverage) badges.push(el("span", { class: "flag ooc" }, "out of coverage"));
  if (row.edit_action === "relabel") badges.push(el("span", { class: "flag edit" }, `relabeled → ${row.edit_label_name}`));
  if (row.edit_action === "remove") badges.push(el("span", { class: "flag removed" }, "removed"));
  if (row.edit_action === "mark_for_labeling") badges.push(el("span", { class: "flag edit" }, "marked for labeling"));
  const pending = pendingEdit(state.split, row.id);
  if (pending) badges.push(el("span", { class: "flag pending", title: "In the cart, not applied yet" }, `pending: ${describeEdit(pending)}`));
  return badges;
}

export function describeEdit(edit) {
  if (edit.action === "relabel") return `→ ${className(edit.label)}`;
  if (edit.action === "mark_for_labeling") return "mark for labeling";
  return edit.action;
}

let lastToggled = null;

function toggleChecked(row, extend = false) {
  const index = rows.indexOf(row);
  if (extend && lastToggled !== null) {
    const [from, to] = [Math.min(lastToggled, index), Math.max(lastToggled, index)];
    for (let i = from; i <= to; i += 1) state.checked.set(rows[i].id, rows[i]);
  } else if (state.checked.has(row.id)) state.checked.delete(row.id);
  else state.checked.set(row.id, row);
  lastToggled = index;
  renderRows();
}

function togglePage(select) {
  for (const row of rows) select ? state.checked.set(row.id, row) : state.checked.delete(row.id);
  renderRows();
}

async function selectAllMatching() {
  try {
    const body = await getJson(`${splitPath(state.runKey, state.split)}/samples/ids`, { ...filterParams(), limit: MAX_SELECT_ALL });
    const known = new Map(rows.map((row) => [row.id, row]));
    for (const id of body.ids) state.checked.set(id, known.get(id) || { id });
    if (body.is_truncated) toast(`Selected the first ${formatInt(body.ids.length)} of ${formatInt(body.n_matching)} (highest DEP first).`);
    renderRows();
  } catch (error) { reportError(error); }
}

function renderBulkbar() {
  const bar = root.querySelector("#bulkbar");
  if (!state.checked.size) { bar.replaceChildren(); return; }
  const relabel = el("select", { "aria-label": "Relabel selected to" },
    el("option", { value: "" }, "Relabel to…"),
    state.run.class_names.map((name, index) => el("option", { value: index }, name)));
  relabel.addEventListener("change", () => {
    if (relabel.value !== "") editChecked("relabel", Number(relabel.value));
  });
  bar.replaceChildren(el("div", { class: "bulkbar" },
    el("b", {}, `${formatInt(state.checked.size)} selected`),
    relabel,
    el("button", { class: "secondary", onclick: () => editChecked("relabel", "suggested"), title: "Relabel each to its suggested label (a)" }, "Accept suggestions"),
    el("button", { class: "secondary", onclick: () => editChecked("remove"), title: "Remove from the dataset (r)" }, "Remove"),
    el("button", { class: "secondary", onclick: () => editChecked("mark_for_labeling"), title: "Send to labelers (m)" }, "Mark for labeling"),
    el("button", { class: "secondary", onclick: () => editChecked("restore"), title: "Back to the logged label" }, "Restore"),
    el("button", { class: "secondary", onclick: () => { state.checked.clear(); renderRows(); } }, "Clear selection")));
}

// Add an edit for the ticked samples, or for the sample under the cursor when none is ticked.
export function editChecked(action, label = null) {
  let targets = [...state.checked.values()];
  if (!targets.length && rows[cursor]) targets = [rows[cursor]];
  if (action === "relabel" && label === "suggested" && targets.some((row) => row.suggested_label === undefined)) {
    toast("Some selected samples are not on this page; their suggested labels are unknown here. Open them or relabel to a class.", { error: true });
    targets = targets.filter((row) => row.suggested_label !== undefined);
  }
  const added = addToCart(targets, action, label);
  toast(`${formatInt(added)} edit(s) added; ${formatInt(state.cart.size)} in the cart. Apply them in the Edits view.`);
  state.checked.clear();
  renderRows();
}

function rowClicked(event, index) {
  cursor = index;
  if (event.shiftKey || event.metaKey || event.ctrlKey) { toggleChecked(rows[index], event.shiftKey); return; }
  renderRows();
  openCursor();
}

function openCursor() {
  if (!rows[cursor]) return;
  openDetail({ split: state.split, id: rows[cursor].id, list: rows, index: cursor,
               onMove: (index) => { cursor = index; renderRows(); } });
}

function sortBy(column) {
  if (state.sort === column) state.order = state.order === "desc" ? "asc" : "desc";
  else { state.sort = column; state.order = "desc"; }
  state.offset = 0;
  load();
}

function renderPager(page) {
  const last = Math.max(0, Math.ceil(page.n_matching / state.limit) - 1);
  const current = Math.floor(state.offset / state.limit);
  const jump = el("input", { type: "number", min: 1, max: last + 1, value: current + 1, "aria-label": "Page" });
  jump.addEventListener("change", () => goToPage(Math.min(last, Math.max(0, Number(jump.value) - 1))));
  const first = page.n_matching ? state.offset + 1 : 0;
  root.querySelector("#pager").replaceChildren(
    el("button", { class: "secondary", disabled: current === 0, onclick: () => goToPage(current - 1), title: "Previous page (←)" }, "← Previous"),
    el("span", { class: "muted" }, `${formatInt(first)}–${formatInt(state.offset + rows.length)} of ${formatInt(page.n_matching)} · page`),
    jump, el("span", { class: "muted" }, `of ${formatInt(last + 1)}`),
    el("button", { class: "secondary", disabled: current >= last, onclick: () => goToPage(current + 1), title: "Next page (→)" }, "Next →"));
}

function goToPage(page) {
  const last = Math.max(0, Math.ceil(nMatching / state.limit) - 1);
  const target = Math.min(last, Math.max(0, page));
  if (target * state.limit === state.offset) return;
  state.offset = target * state.limit;
  cursor = 0;
  load();
}

function moveCursor(step) {
  if (!rows.length) return;
  cursor = Math.min(rows.length - 1, Math.max(0, cursor + step));
  renderRows();
  root.querySelector(`[data-index="${cursor}"]`)?.scrollIntoView({ block: "nearest" });
}

// Keyboard shortcuts of the Samples view; returns true when the key was used.
export function handleSamplesKey(event) {
  const keys = {
    j: () => moveCursor(1), ArrowDown: () => moveCursor(1), k: () => moveCursor(-1), ArrowUp: () => moveCursor(-1),
    ArrowRight: () => goToPage(state.offset / state.limit + 1), ArrowLeft: () => goToPage(state.offset / state.limit - 1),
    Enter: openCursor, x: () => rows[cursor] && toggleChecked(rows[cursor]), " ": () => rows[cursor] && toggleChecked(rows[cursor]),
    a: () => editChecked("relabel", "suggested"), r: () => editChecked("remove"), m: () => editChecked("mark_for_labeling"),
    "/": () => document.getElementById("sample-search")?.focus(),
    Escape: () => { state.checked.clear(); renderRows(); },
  };
  const action = keys[event.key];
  if (!action) return false;
  action();
  return true;
}
