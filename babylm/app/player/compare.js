// Side by side: two or three models reading the SAME text, with one store, one timer and one
// step counter, so a class watches every model at the same character. The Memory page uses it to
// show a simple RNN's state washing the animal out while the LSTM's cell state holds it.
//
// Python sends (component args, see babylm/app/compare_component.py): `compare` = {id, labels,
// colors, spreads} and one wire buffer per model as `trace0`, `trace1`, ... (all the same text,
// so the same number of steps). Each column reuses the player's own views (text caption, next-
// character bars, state grids) plus views/spread.js. main.js hands render messages that carry
// `compare` to `show` and stays out of the way.

import { decode } from "./wire.js";
import { Store, initialState } from "./store.js";
import { Player, renderTransport, transportKeys } from "./player.js";
import { TextView } from "./views/text.js";
import { BarsView } from "./views/bars.js";
import { GridsView } from "./views/grids.js";
import { SpreadView } from "./views/spread.js";
import { fitHeight, host } from "./protocol.js";

const C = { id: null, store: null, player: null, traces: [], columns: [], root: null };
window.babylmCompare = C;  // for the browser tests
Object.defineProperties(C, {
  t: { get: () => C.store && C.store.state.t },
  playing: { get: () => C.store && C.store.state.playing },
});

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "html") node.innerHTML = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function build() {
  document.getElementById("player").hidden = true;
  const root = el("div", { id: "compare" });
  const speed = el("select", { id: "cmp-speed", title: "steps per second", "aria-label": "speed" },
    [2, 5, 10, 20].map((v) => el("option", { value: String(v), text: `${v} / s` })));
  root.append(
    el("div", { id: "cmp-controls", role: "toolbar", "aria-label": "player controls" }, [
      el("button", { id: "cmp-reset", title: "Back to the first step (Home)", text: "↺" }),
      el("button", { id: "cmp-back", title: "One step back (←)", text: "◀ Back" }),
      el("button", { id: "cmp-play", class: "primary", title: "Play or pause (space)", text: "▶ Play" }),
      el("button", { id: "cmp-step", title: "One step forward (→)", text: "Step ▶" }),
      el("input", { id: "cmp-scrub", type: "range", min: "0", max: "0", value: "0",
                    "aria-label": "scrubber over all steps" }),
      el("span", { id: "cmp-counter", "aria-live": "polite", text: "step 0 of 0" }),
      speed,
    ]),
    el("div", { id: "cmp-text-panel" }, [el("div", { id: "cmp-text", "aria-label": "text so far" }),
                                         el("div", { id: "cmp-text-caption", hidden: "" })]),
    el("div", { id: "cmp-columns" }),
  );
  document.body.appendChild(root);
  C.root = root;
  const $ = (id) => document.getElementById(id);
  const go = (t) => { C.player.pause(); C.store.set({ t: Math.max(0, Math.min(C.steps - 1, t)) }); };
  $("cmp-play").onclick = () => C.player && C.player.toggle();
  $("cmp-step").onclick = () => C.player && go(C.store.state.t + 1);
  $("cmp-back").onclick = () => C.player && go(C.store.state.t - 1);
  $("cmp-reset").onclick = () => C.player && go(0);
  $("cmp-scrub").oninput = (e) => C.player && go(Number(e.target.value));
  speed.onchange = (e) => C.store.set({ speed: Number(e.target.value) });
  const onKey = transportKeys(() => C.player, go, () => C.store.state.t);
  document.addEventListener("keydown", onKey);
  const page = host();
  if (page) page.document.addEventListener("keydown", onKey);
  new ResizeObserver(() => render(C.store && C.store.state, null, true)).observe($("cmp-columns"));
  fitHeight(root);
}

/** Show (or keep showing) the models of a render message's `compare` arg. */
export function show(args) {
  const spec = args.compare;
  if (spec.id === C.id) return;
  if (!C.root) build();
  if (C.player) C.player.pause();
  C.id = spec.id;
  C.traces = spec.labels.map((_, k) => decode(args[`trace${k}`]));
  C.steps = Math.min(...C.traces.map((trace) => trace.steps));
  C.store = new Store(Object.assign(initialState(), { speed: 5 }));
  C.player = new Player(C.store, C.steps);
  const $ = (id) => document.getElementById(id);
  const columns = $("cmp-columns");
  columns.replaceChildren();
  columns.style.setProperty("--n", String(C.traces.length));
  C.columns = C.traces.map((trace, k) => {
    const column = el("section", { class: "cmp-column", "data-label": spec.labels[k] });
    column.style.setProperty("--color", spec.colors[k]);
    const caption = el("div", { class: "cmp-caption" });
    const spread = el("div", { class: "cmp-spread" });
    const bars = el("div", { class: "cmp-bars" });
    const grids = el("div", { class: "cmp-grids" });
    column.append(el("h3", { text: spec.labels[k] }), caption, spread, bars, grids);
    columns.appendChild(column);
    const states = trace.panels.filter((p) => p.state);
    const noop = { select: () => {}, hover: () => {} };
    return [
      new TextView(el("div"), caption, trace),  // its own caption: this model's probability
      new SpreadView(spread, spec.spreads[k], spec.colors[k]),
      new BarsView(bars, trace, 5),  // the five likeliest: three columns of views fit a projector
      new GridsView(grids, trace, states, noop),
    ];
  });
  C.text = new TextView($("cmp-text"), $("cmp-text-caption"), C.traces[0]);
  $("cmp-scrub").max = C.steps - 1;
  C.store.subscribe((state, prev) => render(state, prev));
  render(C.store.state, null, true);
}

function render(state, prev, force = false) {
  if (!state || !C.traces.length) return;
  C.text.render(state, prev, force);
  for (const views of C.columns) {
    for (const view of views) view.render(state, prev, force, C.steps);
  }
  renderTransport(state, C.steps, "cmp-");
}
