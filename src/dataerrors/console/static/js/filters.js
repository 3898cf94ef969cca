// The filter bar of the Samples view: classes, DEP range, flags, cluster, search, map selection.

import { getJson, splitPath } from "./api.js";
import { el, formatInt, reportError } from "./dom.js";
import { emptyFilters, setFilters, splitInfo, state } from "./state.js";

// Flags offered as toggles: [flag name, label, whether the split needs a column for it].
const FLAG_TOGGLES = [
  ["likely_mislabeled", "Likely mislabeled", null],
  ["misclassified", "Misclassified", null],
  ["hard", "Hard", "difficulty"],
  ["out_of_coverage", "Out of coverage", "is_out_of_coverage"],
  ["edited", "Edited", null],
];
export const FLAG_NAMES = FLAG_TOGGLES.map(([flag]) => flag);

export function renderFilters(container) {
  const info = splitInfo();
  const filters = state.filters;
  container.replaceChildren();
  container.append(
    classSelect("Given label", "label", filters.label),
    classSelect("Predicted", "predicted", filters.predicted),
  );
  if (info?.has_clusters) container.append(clusterSelect(filters.cluster));
  container.append(
    depInput("DEP from", "dep_min", filters.dep_min),
    depInput("to", "dep_max", filters.dep_max),
    el("label", {}, "Flags", el("div", { class: "flags" },
      FLAG_TOGGLES.filter(([, , column]) => !column || info?.columns.includes(column))
        .map(([flag, text]) => flagToggle(flag, text)))),
    searchInput(filters.search),
  );
  if (filters.selection) {
    const count = state.selectionInfo ? formatInt(state.selectionInfo.n_selected) : "";
    container.append(el("span", { class: "selection-chip", title: "Samples selected on the map" },
      `Map selection ${count}`,
      el("button", { title: "Clear the map selection", "aria-label": "Clear the map selection",
                     onclick: () => setFilters({ selection: null }) }, "✕")));
  }
  if (filters.ids?.length) {
    container.append(el("span", { class: "selection-chip" }, `${filters.ids.length} chosen ids`,
      el("button", { "aria-label": "Clear the chosen ids", onclick: () => setFilters({ ids: [] }) }, "✕")));
  }
  container.append(el("button", { class: "secondary", onclick: () => setFilters(emptyFilters(), { replace: true }) }, "Reset filters"));
}

function classSelect(text, key, values) {
  const select = el("select", { "aria-label": text, name: key },
    el("option", { value: "" }, "Any"),
    state.run.class_names.map((name, index) => el("option", { value: index }, `${name}`)));
  select.value = values.length === 1 ? String(values[0]) : "";
  select.addEventListener("change", () => setFilters({ [key]: select.value === "" ? [] : [Number(select.value)] }));
  return el("label", {}, text, select);
}

function clusterSelect(values) {
  const select = el("select", { "aria-label": "Cluster", name: "cluster" }, el("option", { value: "" }, "Any"));
  getJson(`${splitPath(state.runKey, state.split)}/clusters`).then((body) => {
    for (const cluster of body.clusters) {
      const name = cluster.cluster === -1 ? "noise" : `cluster ${cluster.cluster}`;
      select.append(el("option", { value: cluster.cluster }, `${name} (${formatInt(cluster.n_samples)})`));
    }
    select.value = values.length === 1 ? String(values[0]) : "";
  }).catch(reportError);
  select.addEventListener("change", () => setFilters({ cluster: select.value === "" ? [] : [Number(select.value)] }));
  return el("label", {}, "Cluster", select);
}

function depInput(text, key, value) {
  const input = el("input", { type: "number", min: 0, max: 1, step: 0.05, name: key, "aria-label": text, placeholder: key === "dep_min" ? "0" : "1" });
  if (value !== null && value !== undefined) input.value = value;
  input.addEventListener("change", () => {
    const number = input.value === "" ? null : clampDep(Number(input.value));
    // Show the value actually applied: DEP is in [0, 1], so 1.5 becomes 1.
    if (number !== null) input.value = number;
    setFilters(orderedDepRange({ ...state.filters, [key]: number }));
  });
  return el("label", {}, text, input);
}

function flagToggle(flag, text) {
  const active = state.filters.flag.includes(flag);
  return el("button", {
    class: "chip-toggle", "aria-pressed": String(active), dataset: { flag },
    onclick: () => setFilters({ flag: active ? state.filters.flag.filter((f) => f !== flag) : [...state.filters.flag, flag] }),
  }, text);
}

function searchInput(value) {
  const placeholder = state.run.task === "text_classification" ? "Id or text" : "Sample id";
  const input = el("input", { type: "search", id: "sample-search", placeholder, value: value || "", "aria-label": "Search" });
  input.addEventListener("change", () => setFilters({ search: input.value.trim() }));
  return el("label", {}, "Search", input);
}

// DEP is in [0, 1]: a bound outside it filters as the nearest end.
export const clampDep = (value) => Math.min(1, Math.max(0, value));

// The DEP bounds of `filters`, swapped when the lower one is above the upper one, so that typing
// the bounds in either order filters the same range.
export function orderedDepRange(filters) {
  const { dep_min: low, dep_max: high } = filters;
  if (low !== null && high !== null && low > high) return { dep_min: high, dep_max: low };
  return { dep_min: low, dep_max: high };
}

// The filter parameters of the API for the current filters.
export function filterParams() {
  const filters = state.filters;
  return {
    label: filters.label, predicted: filters.predicted, cluster: filters.cluster,
    dep_min: filters.dep_min, dep_max: filters.dep_max, flag: filters.flag,
    out_of_coverage: filters.out_of_coverage, search: filters.search,
    selection: filters.selection, ids: filters.ids,
  };
}
