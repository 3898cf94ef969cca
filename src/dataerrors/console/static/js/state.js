// The console's shared state and a small event bus between the views.

export const state = {
  runs: [],
  runKey: null,
  run: null,          // GET /api/runs/{project}/{run}
  split: null,
  view: "samples",
  filters: emptyFilters(),
  selectionInfo: null, // {selection, n_selected, mean_dep, polygon} of the map selection in the filters
  sort: "dep",
  order: "desc",
  offset: 0,
  limit: 50,
  layout: "table",
  checked: new Map(), // id -> row, the samples ticked in the Samples view (current split)
  cart: new Map(),    // "split:id" -> pending edit
};

export function emptyFilters() {
  return { label: [], predicted: [], cluster: [], dep_min: null, dep_max: null, flag: [],
           out_of_coverage: null, search: "", selection: null, ids: [] };
}

const listeners = new Map();

export function on(event, listener) {
  if (!listeners.has(event)) listeners.set(event, []);
  listeners.get(event).push(listener);
}

export function emit(event, detail) {
  for (const listener of listeners.get(event) || []) {
    try { listener(detail); } catch (error) { console.error(error); }
  }
}

export const splitInfo = () => state.run?.split_info.find((info) => info.name === state.split) || null;
export const className = (index) => (index === null || index === undefined || index < 0) ? "–" : (state.run?.class_names[index] ?? String(index));
export const isTextRun = () => state.run?.task === "text_classification";

// Replace the sample filters (keeping the sort) and go back to the first page.
export function setFilters(changes, { replace = false } = {}) {
  state.filters = { ...(replace ? emptyFilters() : state.filters), ...changes };
  if (!state.filters.selection) state.selectionInfo = null;
  state.offset = 0;
  emit("filters");
}

export function showView(view) {
  emit("show-view", view);
}
