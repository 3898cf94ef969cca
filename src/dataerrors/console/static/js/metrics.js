// The Metrics view: per-class F1, precision and recall with the average line, class sizes,
// underperforming classes, the confusion matrix and the most confused pairs.

import { getJson, splitPath } from "./api.js";
import { cautionPanel, el, formatFloat, formatInt, formatPercent, reportError, unscoredNote } from "./dom.js";
import { setFilters, showView, state } from "./state.js";

// Classes drawn in the per-class charts; with more, the lowest-F1 classes are shown.
const MAX_CLASS_BARS = 60;
// Largest confusion matrix drawn as a heatmap.
const MAX_HEATMAP_CLASSES = 50;

let root = null;
let loadedFor = null;

export function initMetrics(container) {
  root = container;
}

export async function showMetrics() {
  const key = `${state.runKey}|${state.split}|${state.run?.version}`;
  if (loadedFor === key) return;
  loadedFor = key;
  root.replaceChildren(el("div", { class: "message" }, "Loading metrics…"));
  try {
    render(await getJson(`${splitPath(state.runKey, state.split)}/metrics`));
  } catch (error) {
    loadedFor = null;
    root.replaceChildren(el("div", { class: "panel message" }, error.message));
    reportError(error);
  }
}

function render(metrics) {
  const classes = metrics.classes.filter((entry) => entry.support > 0);
  const underperforming = new Map(metrics.underperforming_classes.map((entry) => [entry.label, entry]));
  root.replaceChildren(el("div", { class: "stack" },
    metrics.n_scored === 0 ? unscoredNote(state.split, metrics.n_labeled) : null,
    (metrics.cautions || []).map((caution) => cautionPanel(caution.message)),
    el("div", { class: "cards" },
      stat("Accuracy", formatPercent(metrics.accuracy, 2)),
      stat("Mean F1", formatFloat(metrics.mean_f1, 3)),
      stat("Likely mislabeled", formatInt(metrics.n_likely_mislabeled)),
      stat("Estimated label errors", metrics.estimated_label_errors === undefined ? "–" : `${formatInt(Math.round(metrics.estimated_label_errors))} (${formatPercent(metrics.estimated_error_rate, 2)})`),
      stat("Mean DEP", formatFloat(metrics.mean_dep, 3)),
      stat("Hard samples", metrics.difficulty_counts ? formatInt(metrics.difficulty_counts.hard) : "–")),
    el("div", { class: "panel" }, el("h3", {}, `Per class: F1, precision and recall · mean F1 ${formatFloat(metrics.mean_f1, 3)}`),
      el("div", { id: "class-chart", style: "height:340px" }),
      el("div", { class: "small muted" }, "Dashed line: mean F1 over classes. Red F1 bars: underperforming classes (F1 more than one standard deviation and 0.02 below the mean, or below half of it), with their size against the average class size under their name. The score axis starts near the lowest bar.")),
    el("div", { class: "panel" }, el("h3", {}, "Samples per class"), el("div", { id: "size-chart", style: "height:220px" })),
    el("div", { class: "two-col" },
      el("div", { class: "panel" }, el("h3", {}, "Confusion matrix (given label × prediction)"), el("div", { id: "confusion", style: "height:460px" })),
      el("div", { class: "stack" },
        el("div", { class: "panel" }, el("h3", {}, "Most confused pairs"), pairsTable(metrics.top_confused_pairs)),
        el("div", { class: "panel" }, el("h3", {}, "Underperforming classes"), underperformingTable(metrics.underperforming_classes))))));
  requestAnimationFrame(() => {
    classChart(classes, underperforming, metrics.mean_f1);
    sizeChart(classes);
    confusionChart(metrics);
  });
}

function stat(name, value) {
  return el("div", { class: "stat" }, el("div", { class: "value" }, value), el("div", { class: "name" }, name));
}

function shownClasses(classes) {
  if (classes.length <= MAX_CLASS_BARS) return classes;
  return [...classes].sort((a, b) => a.f1 - b.f1).slice(0, MAX_CLASS_BARS);
}

function classChart(classes, underperforming, meanF1) {
  const shown = shownClasses(classes);
  const names = shown.map((entry) => entry.label_name ?? String(entry.label));
  const f1Colors = shown.map((entry) => (underperforming.has(entry.label) ? "#c8372d" : "#2f5fd0"));
  // Underperforming classes get their size against the average class size under their name, where
  // it cannot cross the bars or the mean line.
  const tickText = shown.map((entry, index) => {
    const info = underperforming.get(entry.label);
    return info ? `${names[index]}<br><span style="color:#c8372d">${formatFloat(info.size_ratio, 2)}× size</span>` : names[index];
  });
  const lowest = Math.min(...shown.flatMap((entry) => [entry.f1, entry.precision, entry.recall]));
  window.Plotly.newPlot(root.querySelector("#class-chart"), [
    { type: "bar", name: "F1", x: names, y: shown.map((e) => e.f1), marker: { color: f1Colors } },
    { type: "bar", name: "Precision", x: names, y: shown.map((e) => e.precision), marker: { color: "#9db5f0" } },
    { type: "bar", name: "Recall", x: names, y: shown.map((e) => e.recall), marker: { color: "#c9d5f5" } },
  ], {
    barmode: "group", margin: { l: 44, r: 10, t: 30, b: 40 }, legend: { orientation: "h", y: 1.12 },
    yaxis: { range: [Math.max(0, lowest - 0.05), 1], title: { text: "score" } },
    xaxis: { type: "category", tickmode: "array", tickvals: names, ticktext: tickText, automargin: true },
    shapes: meanF1 === null ? [] : [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: meanF1, y1: meanF1, line: { dash: "dash", color: "#1d2330", width: 1.5 } }],
  }, { displayModeBar: false, responsive: true });
}

function sizeChart(classes) {
  const shown = shownClasses(classes);
  const mean = classes.reduce((sum, entry) => sum + entry.support, 0) / Math.max(1, classes.length);
  window.Plotly.newPlot(root.querySelector("#size-chart"), [
    { type: "bar", x: shown.map((e) => e.label_name ?? String(e.label)), y: shown.map((e) => e.support), marker: { color: "#9aa4bb" }, name: "samples" },
  ], {
    margin: { l: 54, r: 10, t: 10, b: 40 }, xaxis: { type: "category" }, yaxis: { title: { text: "samples" } },
    shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: mean, y1: mean, line: { dash: "dash", color: "#1d2330", width: 1.5 } }],
    annotations: [{ xref: "paper", x: 1, y: mean, text: `mean ${formatInt(Math.round(mean))}`, showarrow: false, yshift: 9, xanchor: "right", font: { size: 11 } }],
  }, { displayModeBar: false, responsive: true });
}

function confusionChart(metrics) {
  const container = root.querySelector("#confusion");
  const matrix = metrics.confusion_matrix;
  if (!matrix || matrix.length > MAX_HEATMAP_CLASSES) {
    container.replaceChildren(el("div", { class: "message" }, "Too many classes for a readable matrix; use the most confused pairs."));
    container.style.height = "auto";
    return;
  }
  const names = metrics.class_names;
  // Colour by log count so that the few off-diagonal errors stay visible next to the diagonal.
  const z = matrix.map((row) => row.map((count) => Math.log10(count + 1)));
  const maxZ = Math.max(...z.flat());
  window.Plotly.newPlot(container, [{
    // zmin 0: the colour follows the count itself, as the text colour below does.
    type: "heatmap", z, zmin: 0, zmax: Math.max(maxZ, 1e-9), x: names, y: names, customdata: matrix, showscale: false,
    colorscale: [[0, "#f7f9fc"], [0.35, "#c7d5f8"], [1, "#1f4fb8"]],
    hovertemplate: "given %{y} → predicted %{x}: %{customdata}<extra></extra>", xgap: 1, ygap: 1,
  }], {
    margin: { l: 60, r: 10, t: 10, b: 60 }, xaxis: { title: { text: "predicted" }, type: "category", side: "bottom" },
    yaxis: { title: { text: "given label" }, type: "category", autorange: "reversed", automargin: true },
    annotations: matrix.length <= 20 ? matrix.flatMap((row, i) => row.map((count, j) => ({
      x: names[j], y: names[i], text: count ? formatInt(count) : "", showarrow: false,
      font: { size: 10, color: z[i][j] > 0.6 * maxZ ? "#fff" : "#1d2330" } }))) : [],
  }, { displayModeBar: false, responsive: true });
  container.on("plotly_click", (event) => {
    const point = event.points[0];
    openPair(names.indexOf(point.y), names.indexOf(point.x));
  });
}

function pairsTable(pairs) {
  if (!pairs.length) return el("div", { class: "muted" }, "No misclassified samples.");
  return el("table", { class: "plain", id: "pairs-table" },
    el("thead", {}, el("tr", {}, el("th", {}, "Given"), el("th", {}, "Predicted"), el("th", {}, "Samples"), el("th", {}, "Share of class"))),
    el("tbody", {}, pairs.slice(0, 15).map((pair) => el("tr", { class: "link", title: "Show these samples", onclick: () => openPair(pair.label, pair.predicted) },
      el("td", {}, el("b", {}, pair.label_name)), el("td", {}, pair.predicted_name), el("td", {}, formatInt(pair.count)), el("td", {}, formatPercent(pair.share, 2))))));
}

function underperformingTable(entries) {
  if (!entries.length) return el("div", { class: "muted" }, "No class is more than one standard deviation and 0.02 below the mean F1, or below half of it.");
  return el("table", { class: "plain" },
    el("thead", {}, el("tr", {}, el("th", {}, "Class"), el("th", {}, "F1 vs mean"), el("th", {}, "Size vs avg"), el("th", {}, "Likely cause"))),
    el("tbody", {}, entries.map((entry) => el("tr", { class: "link", title: "Show this class's samples", onclick: () => { setFilters({ label: [entry.label] }, { replace: true }); showView("samples"); } },
      el("td", {}, el("b", {}, entry.label_name)),
      el("td", {}, `${formatFloat(entry.f1, 3)} vs ${formatFloat(entry.mean_f1, 3)}`),
      el("td", {}, `${formatFloat(entry.size_ratio, 2)}×`),
      el("td", {}, entry.is_small_class ? "small class (imbalance)" : `confused with ${entry.most_confused_with_name ?? "–"}`)))));
}

function openPair(label, predicted) {
  if (label < 0 || predicted < 0) return;
  setFilters({ label: [label], predicted: [predicted] }, { replace: true });
  showView("samples");
}
