// The outline of a map selection as the address keeps it. The server does not keep selections
// across a restart, so the address stores the outline and a reload selects inside it again.

// Maximum number of vertices of a stored outline. A lasso records a vertex per mouse move, and
// 100 evenly spaced ones keep its form while the address stays under about 2 KB.
export const MAX_SHAPE_VERTICES = 100;
// Coordinates are rounded to a power of ten at most this fraction of the map's larger extent.
const ROUNDING_FRACTION = 1e-4;
// The address separates the numbers with "_", which URLSearchParams leaves as it is (a comma
// would become %2C).
const SEPARATOR = "_";

// Reduce a drawn outline to at most MAX_SHAPE_VERTICES evenly spaced vertices, with coordinates
// rounded by ROUNDING_FRACTION of the larger of xRange and yRange ([min, max] each).
// The selection is made with the reduced outline, so the address reproduces it exactly.
export function simplifyShape(outline, xRange, yRange) {
  const n = outline.length;
  let vertices = outline;
  if (n > MAX_SHAPE_VERTICES) {
    vertices = Array.from({ length: MAX_SHAPE_VERTICES }, (_, index) => outline[Math.floor((index * n) / MAX_SHAPE_VERTICES)]);
  }
  const span = Math.max(xRange[1] - xRange[0], yRange[1] - yRange[0]);
  let digits = 6; // a map of a single point
  if (span > 0) digits = Math.min(12, Math.max(0, Math.ceil(-Math.log10(span * ROUNDING_FRACTION))));
  const rounded = vertices.map(([x, y]) => [Number(x.toFixed(digits)), Number(y.toFixed(digits))]);
  return rounded.filter(([x, y], index) => index === 0 || x !== rounded[index - 1][0] || y !== rounded[index - 1][1]);
}

export const encodeShape = (polygon) => polygon.flat().join(SEPARATOR);

// The polygon [[x, y], ...] of an encoded outline, or null unless it has 3 to MAX_SHAPE_VERTICES
// vertices of finite numbers.
export function decodeShape(text) {
  const parts = text.split(SEPARATOR);
  if (parts.length % 2 !== 0 || parts.length < 6 || parts.length > 2 * MAX_SHAPE_VERTICES) return null;
  const numbers = parts.map((part) => (part.trim() === "" ? NaN : Number(part)));
  if (!numbers.every(Number.isFinite)) return null;
  return Array.from({ length: numbers.length / 2 }, (_, index) => [numbers[2 * index], numbers[2 * index + 1]]);
}
