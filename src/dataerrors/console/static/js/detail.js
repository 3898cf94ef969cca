// The sample drawer: the image or text, labels, DEP, why it is suspect, margin history, similar samples.

import { getJson, splitPath } from "./api.js";
import { addToCart, pendingEdit } from "./cart.js";
import { depBar, el, formatFloat, reportError, thumbnail, toast } from "./dom.js";
import { className, isTextRun, state } from "./state.js";

let drawer = null;
let context = null; // {split, id, list, index, onMove}
let current = null; // the loaded sample
let requestNumber = 0;

// Signals shown for every sample: [column, label, how to read it].
const SIGNALS = [
  ["aum", "AUM (mean margin over epochs)", "in [-1, 1]; low or negative: the model kept preferring another class"],
  ["margin", "Margin, last epoch", "p(given) minus the largest other probability"],
  ["confidence", "Confidence", "mean p(given label) over epochs"],
  ["correctness", "Correctness", "share of epochs where the prediction was the given label"],
  ["variability", "Variability", "std of p(given) over epochs"],
  ["neighbor_disagreement", "Neighbour disagreement", "share of its nearest neighbours in the same split with another label"],
  ["training_neighbor_disagreement", "Training neighbour disagreement", "share of its nearest training samples with another label"],
  ["coverage_distance", "Coverage distance", "distance to the nearest training samples; high: outside the training data"],
];

export function initDetail(element) {
  drawer = element;
}

export const isDetailOpen = () => drawer && !drawer.hidden;

export function closeDetail() {
  if (drawer) drawer.hidden = true;
  context = null;
}

// Open the drawer on sample {split, id}; list/index let j and k walk through a page.
export async function openDetail(target) {
  context = target;
  drawer.hidden = false;
  const number = ++requestNumber;
  drawer.replaceChildren(el("div", { class: "message" }, "Loading…"));
  try {
    const body = await getJson(`${splitPath(state.runKey, target.split)}/samples/${encodeURIComponent(target.id)}`);
    if (number !== requestNumber) return;
    current = body.sample;
    render(body);
  } catch (error) {
    if (number === requestNumber) drawer.replaceChildren(el("div", { class: "message" }, error.message));
    reportError(error);
  }
}

function render(body) {
  const sample = body.sample;
  const isText = isTextRun();
  const facts = el("dl", { class: "facts" },
    el("dt", {}, "Given label"), el("dd", {}, el("span", { class: "label" }, sample.label_name ?? "–")),
    el("dt", {}, "Predicted"), el("dd", {}, el("span", { class: `label${sample.predicted !== sample.label ? " wrong" : ""}` }, sample.predicted_name ?? "–")),
    el("dt", {}, "Suggested"), el("dd", {}, el("span", { class: `label${sample.suggested_label !== sample.label ? " suggested" : ""}` }, sample.suggested_label_name ?? "–")),
    el("dt", {}, "DEP"), el("dd", {}, depBar(sample.dep)),
    el("dt", {}, "Difficulty"), el("dd", {}, sample.difficulty ?? "–"),
    sample.cluster !== undefined ? [el("dt", {}, "Cluster"), el("dd", {}, sample.cluster === -1 ? "noise" : String(sample.cluster))] : null,
    el("dt", {}, "Edit"), el("dd", {}, editText(sample)));
  drawer.replaceChildren(
    el("div", { class: "head" },
      el("h2", {}, `Sample ${sample.id}`), el("span", { class: "muted" }, context.split),
      el("button", { class: "secondary close", onclick: closeDetail, title: "Close (Esc)" }, "Close")),
    isText
      ? el("div", { class: "stack" }, el("div", { class: "text-input" }, sample.text ?? ""), facts)
      : el("div", { class: "hero" }, thumbnail(sample.image_url, { className: "big", alt: `sample ${sample.id}` }), facts),
    explanation(body.explanation, sample),
    actions(sample),
    el("h3", {}, "Signals"), signals(sample),
    el("h3", {}, "Margin per epoch"), historyChart(body.history),
    el("h3", {}, "Most similar training samples"), similar(body),
    Object.keys(sample.metadata || {}).length ? el("div", {}, el("h3", {}, "Metadata"), metadata(sample.metadata)) : "",
  );
}

function editText(sample) {
  const pending = pendingEdit(context.split, sample.id);
  const appliedText = { relabel: `relabeled to ${sample.edit_label_name}`, remove: "removed", mark_for_labeling: "marked for labeling" };
  const applied = appliedText[sample.edit_action] || "none";
  return pending ? `${applied}; pending: ${pending.action}${pending.action === "relabel" ? ` → ${className(pending.label)}` : ""}` : applied;
}

function explanation(explained, sample) {
  if (explained?.sentence || explained?.text || explained?.explanation) {
    return el("div", { class: "explanation" }, explained.sentence || explained.text || explained.explanation);
  }
  const reasons = [];
  if (sample.is_likely_mislabeled) reasons.push(`flagged as likely mislabeled: the model is confident it is ${sample.confident_label_name ?? sample.suggested_label_name}`);
  if (sample.correctness === 0 && sample.n_epochs > 0) reasons.push(`never predicted as ${sample.label_name} in ${sample.n_epochs} epoch(s)`);
  if (sample.aum !== null && sample.aum < 0) reasons.push(`negative AUM (${formatFloat(sample.aum, 2)}): another class kept a higher probability`);
  if (sample.neighbor_disagreement > 0.5) reasons.push(`${Math.round(100 * sample.neighbor_disagreement)}% of its nearest neighbours have another label`);
  if (sample.is_out_of_coverage) reasons.push("outside the coverage of the training data");
  if (!reasons.length) return el("div", { class: "explanation muted" }, "No strong signal: the model agrees with the given label.");
  return el("div", { class: "explanation" }, `Why: ${reasons.join("; ")}.`);
}

function actions(sample) {
  const relabel = el("select", { "aria-label": "Relabel to" }, el("option", { value: "" }, "Relabel to…"),
    state.run.class_names.map((name, index) => el("option", { value: index }, name)));
  relabel.addEventListener("change", () => relabel.value !== "" && edit("relabel", Number(relabel.value)));
  const canAccept = sample.suggested_label !== null && sample.suggested_label !== sample.label;
  return el("div", { class: "actions" },
    el("button", { class: "primary", disabled: !canAccept, onclick: () => edit("relabel", "suggested"), title: "Relabel to the suggested label (a)" },
      `Accept “${sample.suggested_label_name ?? "–"}”`),
    relabel,
    el("button", { class: "secondary", onclick: () => edit("remove"), title: "Remove from the dataset (r)" }, "Remove"),
    el("button", { class: "secondary", onclick: () => edit("mark_for_labeling"), title: "Send to labelers (m)" }, "Mark for labeling"),
    // Only an edited sample has something to restore.
    sample.edit_action && sample.edit_action !== "restore"
      ? el("button", { class: "secondary", onclick: () => edit("restore"), title: "Back to the logged label" }, "Restore")
      : null);
}

function edit(action, label = null) {
  if (!current) return;
  addToCart([current], action, label);
  toast(`Sample ${current.id}: ${action.replaceAll("_", " ")}${action === "relabel" ? ` → ${className(label === "suggested" ? current.suggested_label : label)}` : ""} in the cart.`);
  move(1);
}

function signals(sample) {
  return el("table", { class: "signals" }, SIGNALS.filter(([column]) => sample[column] !== undefined && sample[column] !== null)
    .map(([column, name, help]) => el("tr", { title: help }, el("td", {}, name), el("td", {}, formatFloat(sample[column], 3)))));
}

function historyChart(history) {
  const container = el("div", { style: "height:200px" });
  if (!history.length || !window.Plotly) return el("div", { class: "muted" }, "No per-epoch outputs were logged.");
  requestAnimationFrame(() => window.Plotly.newPlot(container, [
    { x: history.map((h) => h.epoch), y: history.map((h) => h.margin), name: "margin", mode: "lines+markers", line: { color: "#2f5fd0" } },
    { x: history.map((h) => h.epoch), y: history.map((h) => h.p_given), name: "p(given)", mode: "lines+markers", line: { color: "#9aa4bb", dash: "dot" } },
  ], {
    margin: { l: 40, r: 10, t: 28, b: 36 }, yaxis: { range: [-1.05, 1.05], zeroline: true, zerolinecolor: "#c8372d" },
    xaxis: { title: { text: "epoch" }, dtick: 1 }, legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom" }, font: { size: 11 },
    hovermode: "x unified",
  }, { displayModeBar: false, responsive: true }));
  const last = history[history.length - 1];
  const top = el("div", { class: "small muted" }, "Last epoch: ",
    last.top_classes.slice(0, 3).map((entry) => `${entry.name} ${formatFloat(entry.probability, 3)}`).join(" · "));
  return el("div", {}, container, top);
}

function similar(body) {
  if (!body.similar) return el("div", { class: "muted small" }, body.similar_message || "Not available for this run.");
  const isText = isTextRun();
  return el("div", { class: "similar" }, body.similar.map((neighbour) => el("figure", {
      title: `open sample ${neighbour.id}`,
      onclick: () => openDetail({ split: neighbour.split || "training", id: neighbour.id }),
    },
    isText ? el("div", { class: "text-cell small" }, neighbour.text ?? "") : thumbnail(neighbour.thumbnail_url, { alt: `sample ${neighbour.id}` }),
    el("figcaption", { title: "given label · cosine distance to this sample" },
      el("b", {}, neighbour.label_name ?? className(neighbour.label)), ` · dist ${formatFloat(neighbour.distance, 2)}`))));
}

function metadata(values) {
  return el("table", { class: "signals" }, Object.entries(values).map(([key, value]) => el("tr", {}, el("td", {}, key), el("td", {}, String(value)))));
}

function move(step) {
  if (!context?.list) return;
  const index = context.index + step;
  if (index < 0 || index >= context.list.length) return;
  context.onMove?.(index);
  openDetail({ ...context, id: context.list[index].id, index });
}

// Keyboard shortcuts while the drawer is open; returns true when the key was used.
export function handleDetailKey(event) {
  const keys = {
    Escape: closeDetail, j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
    a: () => current && current.suggested_label !== current.label && edit("relabel", "suggested"),
    r: () => edit("remove"), m: () => edit("mark_for_labeling"),
  };
  const action = keys[event.key];
  if (!action) return false;
  action();
  return true;
}
