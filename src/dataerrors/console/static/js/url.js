// The console's address: run, split, view, sort and the sample filters live in the URL hash, so a
// reload or a shared link opens the same list. A map selection is kept as its outline (shape).

import { FLAG_NAMES, clampDep, orderedDepRange } from "./filters.js";
import { decodeShape, encodeShape } from "./shape.js";
import { emptyFilters, state } from "./state.js";

const CLASS_KEYS = ["label", "predicted", "cluster"];
const DEP_KEYS = ["dep_min", "dep_max"];

// Write the current state into the hash (replacing the history entry, not adding one).
export function writeHash() {
  const params = new URLSearchParams({ run: state.runKey || "", split: state.split || "", view: state.view });
  if (state.sort !== "dep") params.set("sort", state.sort);
  if (state.order !== "desc") params.set("order", state.order);
  const filters = state.filters;
  for (const key of [...CLASS_KEYS, "flag"]) if (filters[key].length) params.set(key, filters[key].join(","));
  for (const key of DEP_KEYS) if (filters[key] !== null) params.set(key, String(filters[key]));
  if (filters.search) params.set("search", filters.search);
  if (filters.selection && state.selectionInfo?.polygon) params.set("shape", encodeShape(state.selectionInfo.polygon));
  history.replaceState(null, "", `#${params}`);
}

// Read the hash. Values the console could not have written (unknown flags, DEP that is not a
// number, class numbers that are not integers) are dropped and listed in `ignored`. So a
// hand-edited link still opens, and the console can list what it left out.
export function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const filters = emptyFilters();
  const ignored = [];
  const listed = (key) => (params.get(key) || "").split(",").filter((value) => value !== "");
  const keep = (key, values, isValid) => {
    for (const value of values) if (!isValid(value)) ignored.push(`${key}=${value}`);
    return values.filter(isValid);
  };
  for (const key of CLASS_KEYS) filters[key] = keep(key, listed(key), (value) => Number.isInteger(Number(value))).map(Number);
  filters.flag = keep("flag", listed("flag"), (flag) => FLAG_NAMES.includes(flag));
  for (const key of DEP_KEYS) {
    const text = params.get(key);
    const number = Number(text);
    if (text === null || text === "") continue;
    if (Number.isFinite(number)) filters[key] = clampDep(number);
    else ignored.push(`${key}=${text}`);
  }
  Object.assign(filters, orderedDepRange(filters));
  filters.search = params.get("search") || "";
  const order = params.get("order");
  if (order !== null && order !== "asc" && order !== "desc") ignored.push(`order=${order}`);
  const shapeText = params.get("shape");
  const shape = shapeText === null ? null : decodeShape(shapeText);
  if (shapeText !== null && !shape) ignored.push(`shape=${shapeText.length > 40 ? `${shapeText.slice(0, 40)}…` : shapeText} (not a map outline)`);
  return {
    run: params.get("run"), split: params.get("split"), view: params.get("view"),
    sort: params.get("sort") || "dep", order: order === "asc" ? "asc" : "desc", filters, shape, ignored,
  };
}
