// Lasso and box drawing over a Plotly plot. Plotly's own selection tests every point in the
// browser on each mouse move, which took over a minute at a million points in headless Chromium.
// Here the browser only draws the outline, and the server decides which points fall inside.

import { el } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

// Attach a drawing layer to `plot` (a Plotly div inside a positioned wrapper).
// onPolygon([[x, y], ...]) receives the outline in data coordinates; onClick([x, y], scale)
// receives a click without a drag, with scale = {x, y} in pixels per data unit.
export function attachLasso(plot, { onPolygon, onClick }) {
  const svg = document.createElementNS(SVG, "svg");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("class", "lasso-path");
  svg.append(path);
  const layer = el("div", { class: "lasso-layer", id: "map-lasso", title: "Drag to select; click a point to open it" });
  layer.append(svg);
  plot.parentElement.append(layer);

  let mode = "lasso";
  let pixels = null;

  function place() {
    const size = plot._fullLayout?._size;
    if (!size) return;
    Object.assign(layer.style, { left: `${size.l}px`, top: `${size.t}px`, width: `${size.w}px`, height: `${size.h}px` });
    layer.hidden = mode === "pan";
  }

  function toData([px, py]) {
    const { xaxis, yaxis } = plot._fullLayout;
    return [xaxis.p2d(px), yaxis.p2d(py)];
  }

  function outline(points) {
    if (mode === "box" && points.length > 1) {
      const [[x0, y0], [x1, y1]] = [points[0], points[points.length - 1]];
      return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    }
    return points;
  }

  function draw(points) {
    path.setAttribute("d", points.length ? `M${points.map((p) => p.join(",")).join("L")}Z` : "");
  }

  layer.addEventListener("pointerdown", (event) => {
    layer.setPointerCapture(event.pointerId);
    pixels = [[event.offsetX, event.offsetY]];
    event.preventDefault();
  });
  layer.addEventListener("pointermove", (event) => {
    if (!pixels) return;
    pixels.push([event.offsetX, event.offsetY]);
    draw(outline(pixels));
  });
  layer.addEventListener("pointerup", () => {
    if (!pixels) return;
    const drawn = outline(pixels);
    pixels = null;
    draw([]);
    const [first] = drawn;
    const extent = Math.max(...drawn.map(([x, y]) => Math.hypot(x - first[0], y - first[1])));
    if (drawn.length < 3 || extent < 4) {
      const { xaxis, yaxis } = plot._fullLayout;
      const scale = { x: Math.abs(xaxis.d2p(1) - xaxis.d2p(0)), y: Math.abs(yaxis.d2p(1) - yaxis.d2p(0)) };
      onClick(toData(first), scale);
      return;
    }
    onPolygon(drawn.map(toData));
  });

  plot.on("plotly_afterplot", place);
  place();
  return {
    setMode(value) { mode = value; place(); },
    get mode() { return mode; },
  };
}
