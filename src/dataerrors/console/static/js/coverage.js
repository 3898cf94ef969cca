// The Coverage view: the out-of-coverage rate per split, and the out-of-coverage samples, each
// opening with its nearest training samples.

import { getJson, runPath, splitPath } from "./api.js";
import { openDetail } from "./detail.js";
import { cautionPanel, el, formatFloat, formatInt, formatPercent, reportError, thumbnail } from "./dom.js";
import { emit, isTextRun, setFilters, showView, state } from "./state.js";

const N_SHOWN = 48;

let root = null;
let loadedFor = null;
let chosenSplit = null;

export function initCoverage(container) {
  root = container;
}

export async function showCoverage() {
  const key = `${state.runKey}|${state.run?.version}`;
  if (loadedFor === key) return;
  loadedFor = key;
  root.replaceChildren(el("div", { class: "message" }, "Loading coverage…"));
  try {
    const coverage = await getJson(`${runPath(state.runKey)}/coverage`);
    const available = coverage.splits.filter(hasRate);
    if (!available.length) {
      const onlyTraining = coverage.splits.some((entry) => entry.available);
      root.replaceChildren(el("div", { class: "panel message" }, onlyTraining
        ? "Coverage compares validation, test or inference samples with the training embeddings; this run has no such split with embeddings."
        : "This analysis has no coverage scores (column is_out_of_coverage). Analyze the run with a version of dataerrors that computes them."));
      return;
    }
    const preferred = available.find((entry) => entry.split !== "training") || available[0];
    chosenSplit = available.some((entry) => entry.split === chosenSplit) ? chosenSplit : preferred.split;
    render(coverage, available);
  } catch (error) {
    loadedFor = null;
    root.replaceChildren(el("div", { class: "panel message" }, error.message));
    reportError(error);
  }
}

function render(coverage, available) {
  const picker = el("select", { "aria-label": "Split", id: "coverage-split" },
    available.map((entry) => el("option", { value: entry.split }, entry.split)));
  picker.value = chosenSplit;
  picker.addEventListener("change", () => { chosenSplit = picker.value; loadSamples(); });
  root.replaceChildren(el("div", { class: "stack" },
    coverage.splits.flatMap((entry) => (entry.cautions || []).map((message) => cautionPanel(`${entry.split}: ${message}`))),
    el("div", { class: "panel" }, el("h3", {}, "Out-of-coverage rate per split"), ratesTable(coverage.splits),
      el("div", { class: "small muted" }, "A sample is out of coverage when it is farther from the training embeddings than the threshold calibrated on held-out training samples.")),
    el("div", { class: "panel" },
      el("div", { class: "toolbar" }, el("h3", { style: "margin:0" }, "Out-of-coverage samples, farthest first"), picker,
        el("button", { class: "secondary", onclick: showAll }, "Show all in Samples")),
      el("div", { id: "coverage-samples" }))));
  loadSamples();
}

function ratesTable(splits) {
  return el("table", { class: "plain", id: "coverage-rates" },
    el("thead", {}, el("tr", {}, el("th", {}, "Split"), el("th", {}, "Samples"), el("th", {}, "Out of coverage"), el("th", {}, "Rate"))),
    el("tbody", {}, splits.map((entry) => el("tr", {},
      el("td", {}, el("b", {}, entry.split)), el("td", {}, formatInt(entry.n_samples)),
      el("td", {}, outOfCoverageCount(entry)),
      el("td", {}, hasRate(entry) ? el("div", { class: "dep" },
        el("div", { class: "bar" }, el("span", { style: `width:${Math.min(100, 100 * entry.out_of_coverage_rate * 4)}%;background:#7a4fd0` })),
        el("span", { class: "value" }, formatPercent(entry.out_of_coverage_rate, 1))) : "–")))));
}

// The training split is the reference that coverage is measured against, so it has no rate.
const hasRate = (entry) => entry.available && entry.split !== "training";

function outOfCoverageCount(entry) {
  if (entry.split === "training") return "reference";
  return entry.available ? formatInt(entry.n_out_of_coverage) : "not computed";
}

async function loadSamples() {
  const container = root.querySelector("#coverage-samples");
  try {
    const page = await getJson(`${splitPath(state.runKey, chosenSplit)}/samples`,
      { out_of_coverage: true, sort: "coverage_distance", order: "desc", limit: N_SHOWN });
    if (!page.rows.length) { container.replaceChildren(el("div", { class: "muted" }, "No sample of this split is out of coverage.")); return; }
    const isText = isTextRun();
    container.replaceChildren(
      el("div", { class: "small muted", style: "margin-bottom:8px" }, `${formatInt(page.n_matching)} out of coverage; showing the ${page.rows.length} farthest. Open one to see its nearest training samples.`),
      el("div", { class: "grid" }, page.rows.map((row, index) => el("div", {
          class: "card", dataset: { id: row.id },
          onclick: () => openDetail({ split: chosenSplit, id: row.id, list: page.rows, index }),
        },
        isText ? el("div", { class: "text-cell" }, (row.text ?? "").slice(0, 240)) : thumbnail(row.thumbnail_url, { alt: `sample ${row.id}` }),
        el("div", { class: "card-labels" }, el("span", {}, "given ", el("b", {}, row.label_name ?? "–")), " ",
          el("span", {}, "distance ", el("b", {}, formatFloat(row.coverage_distance, 2))))))));
  } catch (error) {
    container.replaceChildren(el("div", { class: "message" }, error.message));
    reportError(error);
  }
}

function showAll() {
  state.sort = "coverage_distance";
  state.order = "desc";
  emit("select-split", chosenSplit);
  setFilters({ flag: ["out_of_coverage"] }, { replace: true });
  showView("samples");
}
