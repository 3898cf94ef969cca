// Calls to the console's JSON API. Every error response has the shape
// {status, message, errors: [{field, message}]}; it is thrown as an ApiError.

export class ApiError extends Error {
  constructor(status, message, errors = []) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

// Build a query string; array values repeat the parameter (label=1&label=2), empty ones are left out.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((item) => search.append(key, item));
    else search.append(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function request(method, path, { params, body } = {}) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path + query(params), options);
  if (!response.ok) {
    let payload = null;
    try { payload = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, payload?.message || `${method} ${path} failed (${response.status})`, payload?.errors || []);
  }
  return response;
}

export const getJson = async (path, params) => (await request("GET", path, { params })).json();
export const postJson = async (path, body) => (await request("POST", path, { body })).json();
export const getBinary = async (path, params) => request("GET", path, { params });

// The URL prefix of a run and of one of its splits.
export function runPath(runKey) {
  const [project, run] = runKey.split("/");
  return `/api/runs/${encodeURIComponent(project)}/${encodeURIComponent(run)}`;
}
export const splitPath = (runKey, split) => `${runPath(runKey)}/splits/${encodeURIComponent(split)}`;
