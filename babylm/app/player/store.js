// The player's one state. Every view renders from it; every control, key, click and command
// from Python changes it through `set`. The view part (step, gates, unit, order) is the same as
// babylm/view.py's ViewState and is written to and read from the page's URL with the same
// query parameters, numbered from 1 as the app shows them.

export const ORDERS = ["index", "active"];

export function initialState() {
  return {
    t: 0,             // the step shown: the model has read inputs[t]
    playing: false,
    speed: 10,        // steps per second
    gates: false,     // show the grids of every internal that is not the recurrent state
    unit: null,       // [layer, unit] selected everywhere, 0-based; or null
    hover: null,      // [panel, layer, unit] under the pointer, or null
    order: "active",  // history rows: "index" or "active" (most active so far first)
    rows: null,       // an explicit history order (unit indices) set by a command; wins over order
    history: null,    // [panel, layer] the history shows; null: the last state panel, unit's layer
    highlight: null,  // a panel name a lesson points at, or null
    shade: null,      // what colours the text: "none", a panel name, "saliency"; null: the unit's c
    char: null,       // a character of the text a lesson points at (0-based), or null
    quiz: false,      // predict, then reveal: hide the next character until the viewer guesses
    guesses: {},      // step -> the character id guessed there (quiz mode)
    sampling: false,  // show the distribution actually drawn from, after temperature and top-k
    temperature: null,  // the sampling view's temperature; null: the generation's own
    topK: null,       // the sampling view's top-k (0 = all); null: the generation's own
  };
}

export class Store {
  constructor(state) {
    this.state = state;
    this.listeners = [];
  }

  set(patch) {
    const prev = this.state;
    this.state = Object.assign({}, prev, patch);
    for (const listener of this.listeners) listener(this.state, prev);
  }

  subscribe(listener) {
    this.listeners.push(listener);
  }
}

/** The view as query parameters (ViewState.to_query). */
export function viewToQuery(state) {
  const out = { step: String(state.t + 1) };
  if (state.gates) out.gates = "1";
  if (state.unit) out.unit = `${state.unit[0] + 1}:${state.unit[1] + 1}`;
  if (state.order !== "active") out.order = state.order;
  return out;
}

export const VIEW_KEYS = ["step", "gates", "unit", "order"];

/** A store patch from a Python view (ViewState.to_player) or a command. Unknown keys ignored. */
export function fromPython(view, trace) {
  const patch = {};
  if (Number.isInteger(view.t)) patch.t = Math.max(0, Math.min(trace.steps - 1, view.t));
  if (typeof view.gates === "boolean") patch.gates = view.gates;
  if (view.unit === null) patch.unit = null;
  else if (Array.isArray(view.unit) && view.unit[0] < trace.layers && view.unit[1] < trace.units) {
    patch.unit = [view.unit[0], view.unit[1]];
    patch.history = null;
  }
  if (ORDERS.includes(view.order)) patch.order = view.order;
  if (Array.isArray(view.rows) || view.rows === null) patch.rows = view.rows;
  if ("highlight" in view) patch.highlight = view.highlight;
  if ("char" in view) patch.char = Number.isInteger(view.char) ? view.char : null;
  if (typeof view.quiz === "boolean") patch.quiz = view.quiz;
  if (typeof view.sampling === "boolean") patch.sampling = view.sampling;
  if (Number.isFinite(view.speed)) patch.speed = view.speed;
  if (view.shade === null || typeof view.shade === "string") patch.shade = view.shade;
  return patch;
}
