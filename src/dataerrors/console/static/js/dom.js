// Small DOM and formatting helpers shared by the views.

// Create an element: el("div", {class: "x", onclick: f}, child, "text", ...).
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const formatInt = (value) => (value ?? 0).toLocaleString("en-US");
export const formatFloat = (value, digits = 3) => (value === null || value === undefined || Number.isNaN(value)) ? "–" : Number(value).toFixed(digits);
export const formatPercent = (value, digits = 1) => (value === null || value === undefined) ? "–" : `${(100 * value).toFixed(digits)}%`;

// Colour of a DEP in [0, 1]: green (clean) through amber to red (likely an error).
export function depColor(dep) {
  if (dep === null || dep === undefined) return "#c5cad4";
  const stops = [[0, [46, 139, 87]], [0.5, [213, 133, 18]], [1, [200, 55, 45]]];
  const value = Math.min(1, Math.max(0, dep));
  const upper = stops.findIndex(([at]) => at >= value);
  const [a, ca] = stops[Math.max(0, upper - 1)];
  const [b, cb] = stops[upper];
  const t = b === a ? 0 : (value - a) / (b - a);
  const rgb = ca.map((channel, i) => Math.round(channel + t * (cb[i] - channel)));
  return `rgb(${rgb.join(",")})`;
}

export function depBar(dep) {
  const width = dep === null || dep === undefined ? 0 : Math.round(100 * dep);
  return el("div", { class: "dep", title: "DEP: Data Error Potential, 0 to 1; higher means more likely a data error" },
    el("div", { class: "bar" }, el("span", { style: `width:${width}%;background:${depColor(dep)}` })),
    el("span", { class: "value" }, formatFloat(dep, 3)));
}

// An image element for a sample, or a placeholder when the sample has no image.
export function thumbnail(url, { className = "thumb", isPhoto = false, alt = "" } = {}) {
  if (!url) return el("div", { class: "thumb-missing" }, "no image");
  const image = el("img", { class: `${className}${isPhoto ? " photo" : ""}`, src: url, alt, loading: "lazy" });
  image.addEventListener("error", () => image.replaceWith(el("div", { class: "thumb-missing" }, "no image")));
  return image;
}

// The note shown where scores would be when no sample of `split` was scored.
export function unscoredNote(split, nLabeled) {
  if (nLabeled === 0) {
    return el("div", { class: "panel message unscored-note" },
      `Split ${split} has no labels, so there is no label to check: DEP, suggestions and metrics need a given label. `,
      "Its samples still have predictions, a place on the map and, with embeddings, coverage.");
  }
  return el("div", { class: "panel message unscored-note" },
    `No labelled sample of split ${split} has model outputs, so there is nothing to score: DEP, predictions and metrics stay empty. `,
    "Log outputs with run.log_outputs(...), then analyze the run again.");
}

export function toast(message, { error = false, seconds = 4 } = {}) {
  const node = el("div", { class: `toast${error ? " error" : ""}`, role: error ? "alert" : "status" }, message);
  document.getElementById("toasts").append(node);
  setTimeout(() => node.remove(), seconds * 1000);
}

// Report an error from the API (or anything thrown) to the user.
export function reportError(error) {
  console.error(error);
  toast(error?.message || String(error), { error: true, seconds: 7 });
}

export const isTyping = (event) => ["INPUT", "SELECT", "TEXTAREA"].includes(event.target?.tagName) && event.target.type !== "checkbox";

// A highlighted note that puts a figure of the analysis in context.
export function cautionPanel(message) {
  return el("div", { class: "panel caution", role: "note" }, el("b", {}, "Caution: "), message);
}
