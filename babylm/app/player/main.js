// The babylm player: wires the store, the timer, the views and the Streamlit protocol.
//
// Python sends (as component args): `trace` (the wire buffer, once per generation), `id` (its
// name), `view` (where to open: ViewState.to_player), `play` (a counter: a new value replays from
// step 0) and `command` (an object with an `id`; a new id is applied once: t, unit, gates, order,
// rows, highlight, speed). The player sends back, debounced and never while playing, the view it
// shows: {trace, t, unit, gates, order}. It also keeps the page's URL on the current view.

import * as protocol from "./protocol.js";
import { decode } from "./wire.js";
import { Store, initialState, fromPython, viewToQuery, VIEW_KEYS } from "./store.js";
import { Player, renderTransport, transportKeys } from "./player.js";
import { TextView } from "./views/text.js";
import { BarsView } from "./views/bars.js";
import { GridsView, ReadoutView } from "./views/grids.js";
import { HistoryView } from "./views/history.js";
import { InspectorView } from "./views/inspector.js";
import { GateHistoryView } from "./views/gate_history.js";
import { decodeSaliency } from "./saliency.js";
import { show as showCompare } from "./compare.js";
import { SamplingView } from "./views/sampling.js";
import { QuizView, installQuizKeys } from "./views/quiz.js";
import { watchFocus } from "./keys.js";
import { HighlightView } from "./views/highlight.js";

const $ = (id) => document.getElementById(id);
const store = new Store(initialState());
const S = { store, trace: null, player: null, views: [], key: null, play: null, command: null, renders: 0,
            saliency: null, gateOnly: new Set() };
window.babylmPlayer = S;  // for the browser tests and the curious
Object.defineProperties(S, {
  t: { get: () => store.state.t },
  playing: { get: () => store.state.playing },
});
const report = protocol.debounced(250);

const actions = {
  select: (unit) => {
    const same = store.state.unit && unit && store.state.unit[0] === unit[0] && store.state.unit[1] === unit[1];
    store.set({ unit: same ? null : unit, history: null });
  },
  hover: (hover) => store.set({ hover }),
  set: (patch) => store.set(patch),
  pause: () => S.player && S.player.pause(),
  guess: (id) => store.set({ guesses: Object.assign({}, store.state.guesses, { [store.state.t]: id }) }),
};

// --- loading a trace ---------------------------------------------------------------------
function load(args) {
  if (S.player) S.player.pause();
  const trace = decode(args.trace);
  S.trace = trace;
  S.key = args.id;
  S.player = new Player(store, trace.steps);
  const states = trace.panels.filter((p) => p.state), gates = trace.panels.filter((p) => !p.state);
  const textView = new TextView($("text"), $("caption"), trace);
  S.views = [
    textView,
    new BarsView($("bars-view"), trace),
    new GridsView($("state-view"), trace, states, actions),
    new GridsView($("gates-view"), trace, gates, actions),
    new ReadoutView($("readout"), trace),
    new HistoryView($("history-view"), trace, actions),
    // Teaching: what is drawn from, predict-then-reveal, what a lesson points at (last: it marks
    // elements the views above have just placed).
    new SamplingView($("sampling-view"), trace, actions),
    new QuizView($("quiz-view"), $("quiz-score"), trace, actions),
    new HighlightView(document, textView),
  ];
  S.gatesView = S.views[3];
  addInspector(trace);
  $("gates").disabled = gates.length === 0;
  $("scrub").max = trace.steps - 1;
  // Where this viewer was on this very trace and play, if Streamlit mounted a new frame for it
  // (it does when the page around the player changes shape): carry on there, not at the start.
  // Only within one load of the page: a link pasted into the same tab, or a reload, is a new
  // page whose URL says the view (its args.view), and must not be overruled by the last one.
  S.memory = `babylm-view:${pageLoad()}:${args.id}:${args.play}`;
  const kept = recall(S.memory);
  const toggles = { speed: store.state.speed, quiz: store.state.quiz, sampling: store.state.sampling };
  store.set(Object.assign(initialState(), toggles, fromPython(args.view || {}, trace),
                          kept ? fromPython(kept, trace) : {}));
  report.prime(reported(store.state));  // Python knows where it opened the player
  render(store.state, null, true);
}

protocol.onRender((args) => {
  S.renders++;
  if (args.compare) return showCompare(args);  // models side by side: compare.js owns the frame
  if (!args.trace) return;
  S.args = args;  // the last args, for tests and the curious
  const fresh = args.id !== S.key;
  if (fresh) load(args);
  takeSaliency(args.saliency || null);
  if (args.play !== S.play) {
    closeCoveringSidebar();  // Generate pressed, or a page opened, on a phone: show what it made
    if (S.play !== null && args.play) {  // Generate pressed again: replay from the first step
      store.set({ t: 0 });
      S.player.play();
    } else if (fresh && args.play && args.autoplay) {
      S.player.play();
    }
    S.play = args.play;
  }
  const command = args.command;
  if (command && command.id !== S.command) {
    S.command = command.id;
    S.player.pause();
    store.set(fromPython(command, S.trace));
    if (command.play) S.player.play();
  }
});

/** On a phone Streamlit's sidebar (the Generate form) lies over the page and stays open after
 * Generate ▶ or a page link: close it when it covers most of the screen, so the player shows. */
function closeCoveringSidebar() {
  const page = protocol.host();
  try {
    const bar = page && page.document.querySelector('[data-testid="stSidebar"][data-collapsed="false"]');
    if (!bar || bar.getBoundingClientRect().width < 0.6 * page.innerWidth) return;
    const close = bar.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (close) close.click();
  } catch (err) { /* not ours to reach: leave it */ }
}

function pageLoad() {
  const page = protocol.host();
  try {
    return page ? String(page.performance.timeOrigin) : "none";
  } catch (err) {
    return "none";
  }
}

function recall(key) {
  try {
    return JSON.parse(window.sessionStorage.getItem(key) || "null");
  } catch (err) {
    return null;  // storage off, or not ours: start from the args' view
  }
}

function remember(state) {
  try {
    window.sessionStorage.setItem(S.memory, JSON.stringify(
      { t: state.t, unit: state.unit, gates: state.gates, order: state.order }));
  } catch (err) { /* the view just is not kept across a remount */ }
}

function reported(state) {
  return { trace: S.key, t: state.t, unit: state.unit, gates: state.gates, order: state.order };
}

// --- the inspector: text coloured by a unit or by saliency, the unit's chart, gate histories ---
const GATE_HISTORIES = ["f", "i", "z", "r"];  // forget and input gates (LSTM); update, reset (GRU)

function addInspector(trace) {
  S.saliency = null;
  S.views.push(new InspectorView($("inspector"), $("unit-chart-view"), trace, S.views[0], actions,
                                  () => S.saliency));
  const main = S.views[5], box = $("gate-history-view");
  box.replaceChildren();
  S.gateOnly = new Set();
  for (const name of GATE_HISTORIES.filter((n) => trace.panel[n])) {
    const root = document.createElement("div");
    root.className = "gate-history";
    box.appendChild(root);
    const view = new GateHistoryView(root, trace, actions, name, main);
    S.views.push(view);
    S.gateOnly.add(view);
  }
}

/** Saliency rows from Python (saliency_wire.py), for this trace only. A new set switches the
 * text's colouring to it; none (the toggle turned off) clears it. */
function takeSaliency(bytes) {
  const before = S.saliency;
  let next = null;
  if (bytes) {
    next = before && before.bytes === bytes ? before : Object.assign(decodeSaliency(bytes), { bytes });
    if (next.id !== S.key || next.steps !== S.trace.steps) next = null;
  }
  if (next === before || (next && before && next.id === before.id)) return;
  S.saliency = next;
  if (next) store.set({ shade: "saliency" });
  else store.set({ shade: store.state.shade === "saliency" ? null : store.state.shade });
}

// --- rendering ---------------------------------------------------------------------------
function render(state, prev, force = false) {
  if (!S.trace) return;
  const trace = S.trace;
  $("gates-view").hidden = !state.gates;
  $("gate-history-view").hidden = !state.gates || !S.gateOnly.size;
  for (const view of S.views) {
    const gated = view === S.gatesView || S.gateOnly.has(view);
    if (gated && !state.gates) continue;
    view.render(state, prev, force || (gated && prev && !prev.gates));
  }
  renderTransport(state, trace.steps);
  $("gates").checked = state.gates;
  $("quiz").checked = state.quiz;
  $("sampling").checked = state.sampling;
  $("player").classList.toggle("sampling-on", Boolean(state.sampling));
  if (!state.playing) {
    report(reported(state));
    remember(state);
  }
  writeUrl(state);  // while playing too (once a second), so a reload mid-play comes back near there
}
store.subscribe((state, prev) => render(state, prev));
new ResizeObserver(() => render(store.state, store.state, true)).observe($("row"));

// --- the page's URL: settings + view, so a reload or a copied link opens this view ----------
function link(state) {
  const page = protocol.host();
  const base = page ? page.location : new URL(document.referrer || window.location.href);
  const params = new URLSearchParams(base.search);
  for (const key of VIEW_KEYS) params.delete(key);
  for (const [key, value] of Object.entries(S.trace.settings || {})) params.set(key, value);
  for (const [key, value] of Object.entries(viewToQuery(state))) params.set(key, value);
  return `${base.origin}${base.pathname}?${params.toString()}`;
}

let urlTimer = null;
function writeUrl(state) {
  const page = protocol.host();
  if (!page || !S.trace) return;
  if (state.playing && urlTimer !== null) return;  // playing: the pending write will take the latest step
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    urlTimer = null;
    const url = link(store.state);
    if (url !== page.location.href) page.history.replaceState(page.history.state, "", url);
  }, state.playing ? 1000 : 200);
}

$("copy").onclick = async () => {
  const url = link(store.state);
  const box = $("link");
  box.value = url;
  box.hidden = false;
  box.select();
  let copied = false;
  for (const nav of [protocol.host() && protocol.host().navigator, navigator]) {
    try {
      if (nav && nav.clipboard) {
        await nav.clipboard.writeText(url);
        copied = true;
        break;
      }
    } catch (err) { /* try the next, else the box below shows the link to copy by hand */ }
  }
  $("copy").textContent = copied ? "Copied ✓" : "Copy the link below";
  setTimeout(() => { $("copy").textContent = "Copy link"; }, 2500);
};

// --- controls and keys -------------------------------------------------------------------
const go = (t) => { S.player.pause(); store.set({ t: Math.max(0, Math.min(S.trace.steps - 1, t)) }); };
$("play").onclick = () => S.player && S.player.toggle();
$("step").onclick = () => S.trace && go(store.state.t + 1);
$("back").onclick = () => S.trace && go(store.state.t - 1);
$("reset").onclick = () => S.trace && go(0);
$("scrub").oninput = (e) => S.trace && go(Number(e.target.value));
$("speed").onchange = (e) => store.set({ speed: Number(e.target.value) });
$("gates").onchange = (e) => store.set({ gates: e.target.checked });
$("quiz").onchange = (e) => store.set({ quiz: e.target.checked, guesses: {} });
$("sampling").onchange = (e) => store.set({ sampling: e.target.checked });

const onKey = transportKeys(() => S.trace && S.player, go, () => store.state.t);
document.addEventListener("keydown", onKey);
// PageDown / PageUp are the page's (a lesson's Next and Back, what a clicker sends): with the
// focus inside this frame the page never saw them, so pass them on to the button that has them.
document.addEventListener("keydown", (e) => {
  if ((e.key !== "PageDown" && e.key !== "PageUp") || e.altKey || e.ctrlKey || e.metaKey) return;
  const host = protocol.host();
  const hint = host && host.document.querySelector(`button kbd[aria-label="Shortcut ${e.key}"]`);
  const button = hint && hint.closest("button");
  if (!button || button.disabled) return;
  e.preventDefault();
  button.click();
});
// The keys work as soon as the page has loaded, without clicking into the player first: the
// page around it is the same origin, so listen there too.
const page = protocol.host();
if (page) page.document.addEventListener("keydown", onKey);
for (const doc of [document, page && page.document].filter(Boolean)) watchFocus(doc);
for (const target of [window, page].filter(Boolean)) {
  installQuizKeys(target, () => store.state, () => S.trace, actions.guess);
}

protocol.fitHeight($("player"));
protocol.ready();
