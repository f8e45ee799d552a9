// The babylm player. The server sends one payload per generation (babylm/player.py): the
// characters and four Plotly figures, each with one frame per step. This file only swaps frames
// in and draws the text; it computes no model numbers itself. It speaks Streamlit's component
// protocol (postMessage) directly, so no build step or npm package is needed.
"use strict";

const VISIBLE = { " ": "␣", "\n": "⏎", "\t": "⇥" };
const FIGS = ["topk", "state", "history", "gates"];
const CONFIG = { displayModeBar: false, responsive: true };

const S = { payload: null, key: null, t: 0, playing: false, timer: null, figs: {}, drawn: {} };
const $ = (id) => document.getElementById(id);

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, data), "*");
}

function setHeight() {
  // The body's height, not the document's: the document is never shorter than the iframe, so
  // the frame could grow (gates shown) but never shrink back (gates hidden, a shorter text).
  send("streamlit:setFrameHeight", { height: document.body.scrollHeight + 4 });
}

// --- figures ----------------------------------------------------------------------------
function drawFigure(name, t) {
  const fig = S.figs[name];
  const div = $("fig-" + name);
  if (!fig || !div || div.classList.contains("hidden")) return;
  const frame = fig.frames[t];
  if (fig.render === "grid") paintGrids(name, frame);
  else if (fig.render === "bars") paintBars(name, frame);
  else if (window.Plotly) drawPlotly(name, frame);  // the history; drawn once Plotly has loaded
}

// --- Plotly, for the history: drawn once, then only its shapes move ---------------------------
// Shapes are placed as HTML boxes over the plot instead of by Plotly.relayout: same numbers
// (the frame's shapes, from figures.curtain), no Plotly work per step.
function drawPlotly(name, frame) {
  const fig = S.figs[name], div = $("fig-" + name);
  if (!S.drawn[name]) {
    Plotly.newPlot(div, fig.data, fig.layout, CONFIG);
    div.style.position = "relative";
    S.drawn[name] = true;
    div.on("plotly_afterplot", () => placeShapes(div, S.figs[name].frames[S.t]));
  }
  placeShapes(div, frame);
}

function placeShapes(div, frame) {
  const full = div._fullLayout;
  if (!full || !frame.layout || !frame.layout.shapes) return;
  const boxes = div.__boxes || (div.__boxes = []);
  frame.layout.shapes.forEach((sh, k) => {
    let box = boxes[k];
    if (!box) { box = boxes[k] = document.createElement("div"); box.className = "shape"; div.appendChild(box); }
    const xa = full["xaxis" + sh.xref.slice(1)], size = full._size;
    const x0 = xa._offset + xa.l2p(sh.x0), x1 = xa._offset + xa.l2p(sh.x1);
    const top = size.t + (1 - sh.y1) * size.h, bottom = size.t + (1 - sh.y0) * size.h;
    Object.assign(box.style, { display: "block", left: `${x0}px`, width: `${x1 - x0}px`, top: `${top}px`,
      height: `${bottom - top}px`, background: sh.fillcolor || "transparent",
      border: sh.line && sh.line.width ? `${sh.line.width}px solid ${sh.line.color}` : "none" });
  });
  for (let k = frame.layout.shapes.length; k < boxes.length; k++) boxes[k].style.display = "none";
}

// --- the top-k bars on a canvas ------------------------------------------------------------
// Plotly.restyle of the bar chart cost 11-18 ms a step, the largest part of a step; with 30
// browsers sharing two cores that alone sank playback below 1 step/s. The bars are painted from
// the figure's own frame data (x, y, text, marker.color) and axis ranges instead.
const BAR_W = 640, BAR_H = 340, PAD = { l: 70, r: 10, t: 16, b: 12 };

function titled(div, fig) {
  // Empty `div` and return a title element holding the figure's own title.
  div.replaceChildren();
  const title = document.createElement("div");
  title.className = "grid-title";
  title.textContent = fig.layout.title.text;
  return title;
}

function buildBars(name) {
  const fig = S.figs[name], div = $("fig-" + name);
  const title = titled(div, fig);
  const canvas = document.createElement("canvas");
  canvas.className = "bars";
  canvas.width = BAR_W;
  canvas.height = BAR_H;
  div.append(title, canvas);
  fig.view = { canvas, bars: [] };
  canvas.onmousemove = (e) => {
    const r = canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * BAR_W;
    const hit = fig.view.bars.find((bar) => x >= bar.x0 && x <= bar.x1);
    canvas.title = hit ? `“${hit.text}”: ${hit.y.toFixed(3)}` : "";
  };
}

function paintBars(name, frame) {
  const fig = S.figs[name];
  if (!S.drawn[name]) { buildBars(name); S.drawn[name] = true; }
  const d = frame.data[0], ctx = fig.view.canvas.getContext("2d");
  const [ylo, yhi] = fig.layout.yaxis.range, [xlo, xhi] = fig.layout.xaxis.range;
  const w = BAR_W - PAD.l - PAD.r, h = BAR_H - PAD.t - PAD.b;
  const px = (x) => PAD.l + ((x - xlo) / (xhi - xlo)) * w;
  const py = (y) => PAD.t + (1 - (y - ylo) / (yhi - ylo)) * h;
  ctx.clearRect(0, 0, BAR_W, BAR_H);
  ctx.font = "15px Inter, Helvetica, Arial, sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of fig.layout.yaxis.tickvals) {  // gridlines and their labels
    ctx.fillStyle = "#5b6375";
    ctx.fillText(`${Math.round(v * 100)}%`, PAD.l - 8, py(v));
    ctx.fillStyle = "#e5e8ef";
    ctx.fillRect(PAD.l, Math.round(py(v)), w, 1);
  }
  ctx.save();
  ctx.translate(18, PAD.t + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillStyle = "#1f2430";
  ctx.fillText(fig.layout.yaxis.title.text, 0, 0);
  ctx.restore();
  const half = (0.8 * w) / (xhi - xlo) / 2;  // Plotly's default bargap of 0.2
  fig.view.bars = d.x.map((x, k) => ({ x0: px(x) - half, x1: px(x) + half, y: d.y[k], text: d.text[k] }));
  ctx.textAlign = "center";
  fig.view.bars.forEach((bar, k) => {
    const top = py(bar.y);
    ctx.fillStyle = d.marker.color[k];
    ctx.fillRect(bar.x0, top, bar.x1 - bar.x0, py(ylo) - top);
    ctx.fillStyle = "#1f2430";
    ctx.font = "bold 22px 'DejaVu Sans Mono', Menlo, monospace";
    ctx.fillText(bar.text, px(d.x[k]), top - 34);
    ctx.font = "15px Inter, Helvetica, Arial, sans-serif";
    ctx.fillText(`${Math.round(bar.y * 100)}%`, px(d.x[k]), top - 12);
  });
}

// --- heatmap grids on a canvas ------------------------------------------------------------
// The state and gate figures change every step. Plotly re-rendering their 4 to 8 heatmaps took
// ~30 ms a step in headless Chromium; painting the same z values with the figure's own colour
// scale and range on canvases takes well under 1 ms, which is what lets 30 classroom browsers
// play at once on a small server. The figure (from figures.py) stays the single source of truth.
const CELL = 26;

function parseColor(c) {
  if (c.startsWith("#")) return [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  return c.match(/[\d.]+/g).slice(0, 3).map(Number);
}

function colorTable(scale) {
  const stops = scale.map(([p, c]) => [p, parseColor(c)]);
  const table = [];
  for (let n = 0; n < 256; n++) {
    const p = n / 255;
    let k = 0;
    while (k < stops.length - 2 && stops[k + 1][0] < p) k++;
    const [p0, c0] = stops[k], [p1, c1] = stops[k + 1];
    const w = p1 > p0 ? Math.min(1, Math.max(0, (p - p0) / (p1 - p0))) : 0;
    table.push(`rgb(${c0.map((v, j) => Math.round(v + w * (c1[j] - v))).join(",")})`);
  }
  return table;
}

function gradient(trace) {
  const stops = trace.colorscale.map(([p, c]) => `${c} ${(100 * p).toFixed(0)}%`).join(",");
  const el = document.createElement("div");
  el.className = "legend";
  const f = (v) => String(Math.round(v * 100) / 100).replace("-", "−");
  el.innerHTML = `<span>${f(trace.zmin)}</span><i style="background:linear-gradient(90deg,${stops})"></i>` +
                 `<span>${f(trace.zmax)}</span>`;
  return el;
}

function buildGrids(name) {
  const fig = S.figs[name], div = $("fig-" + name);
  const title = titled(div, fig);
  const panels = document.createElement("div");
  panels.className = "grid-panels";
  panels.style.gridTemplateColumns = `repeat(${fig.columns}, minmax(0, 1fr))`;
  const labels = (fig.layout.annotations || []).map((a) => a.text);
  fig.views = fig.data.map((trace, k) => {
    const panel = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = labels[k] || "";
    const canvas = document.createElement("canvas");
    const rows = trace.z.length, cols = trace.z[0].length;
    canvas.width = cols * CELL;
    canvas.height = rows * CELL;
    panel.append(caption, canvas);
    if (k % fig.columns === fig.columns - 1) panel.appendChild(gradient(trace));
    panels.appendChild(panel);
    const view = { canvas, trace, table: colorTable(trace.colorscale), z: trace.z };
    canvas.onmousemove = (e) => {
      const r = canvas.getBoundingClientRect();
      const col = Math.floor(((e.clientX - r.left) / r.width) * cols);
      const row = Math.floor(((e.clientY - r.top) / r.height) * rows);
      const v = (view.z[row] || [])[col];
      canvas.title = v == null ? "" : `${labels[k]} · unit ${row * cols + col}: ${v.toFixed(3)}`;
    };
    return view;
  });
  div.append(title, panels);
}

function paintGrids(name, frame) {
  const fig = S.figs[name];
  if (!S.drawn[name]) { buildGrids(name); S.drawn[name] = true; }
  frame.traces.forEach((ti, j) => {
    const view = fig.views[ti], z = frame.data[j].z, tr = view.trace;
    const ctx = view.canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, view.canvas.width, view.canvas.height);
    const span = tr.zmax - tr.zmin;
    for (let r = 0; r < z.length; r++) {
      for (let c = 0; c < z[r].length; c++) {
        const v = z[r][c];
        if (v == null) continue;
        const n = Math.round((255 * (Math.min(tr.zmax, Math.max(tr.zmin, v)) - tr.zmin)) / span);
        ctx.fillStyle = view.table[n];
        ctx.fillRect(c * CELL + 1, r * CELL + 1, CELL - 2, CELL - 2);
      }
    }
    view.z = z;
  });
}

// --- text ---------------------------------------------------------------------------------
function span(cls, ch) {
  const el = document.createElement("span");
  el.className = cls;
  const shown = VISIBLE[ch];
  el.textContent = shown ? shown + (ch === "\n" ? "\n" : "") : ch;
  if (shown) el.classList.add("ws");
  return el;
}

function drawText(t) {
  const p = S.payload;
  const box = $("text");
  box.replaceChildren();
  const windowStart = p.mode === "window" ? Math.max(0, t + 1 - p.seq_length) : -1;
  for (let k = 0; k <= t; k++) {
    const generated = k > 0 && !p.from_prompt[k - 1];
    const el = span(generated ? "gen" : "prompt", p.inputs[k]);
    if (k >= windowStart && windowStart >= 0) el.classList.add("window");
    if (k === t) el.classList.add("read");
    box.appendChild(el);
  }
  box.appendChild(span("chosen", p.outputs[t]));
  const read = VISIBLE[p.inputs[t]] || p.inputs[t];
  const next = VISIBLE[p.outputs[t]] || p.outputs[t];
  const pct = (100 * p.chosen_prob[t]).toFixed(1) + "%";
  const how = p.from_prompt[t] ? "the prompt's next character" : "sampled";
  const memory = p.mode === "window" ? ` · re-read the last ${p.seq_length} characters from zero`
                                     : " · memory carried from every character so far";
  $("caption").innerHTML = `Read <b>“${read}”</b> → next <b>“${next}”</b> (${how}; the model gave it ${pct})${memory}`;
}

// --- playback -------------------------------------------------------------------------------
function show(t) {
  const p = S.payload;
  if (!p) return;
  S.t = Math.max(0, Math.min(p.steps - 1, t));
  drawText(S.t);
  for (const name of FIGS) drawFigure(name, S.t);
  $("scrub").value = S.t;
  $("counter").textContent = `step ${S.t + 1} of ${p.steps}`;
  $("counter").dataset.step = S.t + 1;
  $("back").disabled = $("reset").disabled = S.t === 0;
  $("step").disabled = S.t === p.steps - 1;
}

function pause() {
  S.playing = false;
  clearTimeout(S.timer);
  $("play").textContent = "▶ Play";
}

function tick() {
  if (!S.playing) return;
  const started = performance.now();
  if (S.t >= S.payload.steps - 1) { pause(); return; }
  show(S.t + 1);
  const interval = 1000 / Number($("speed").value);
  S.timer = setTimeout(tick, Math.max(0, interval - (performance.now() - started)));
}

function play() {
  if (!S.payload) return;
  if (S.t >= S.payload.steps - 1) show(0);  // Play at the end starts over
  S.playing = true;
  $("play").textContent = "❚❚ Pause";
  S.timer = setTimeout(tick, 1000 / Number($("speed").value));
}

function load(payload, key, autoplay) {
  pause();
  S.payload = payload;
  S.key = key;
  S.figs = {};
  S.drawn = {};
  for (const name of FIGS) {
    const div = $("fig-" + name);
    if (payload.figures[name]) S.figs[name] = JSON.parse(JSON.stringify(payload.figures[name]));
    if (window.Plotly) Plotly.purge(div);
    div.replaceChildren();
    // Hold the history's place while Plotly loads, so nothing below it jumps when it appears.
    div.style.minHeight = name === "history" ? `${payload.figures.history.layout.height}px` : "";
  }
  $("gates").disabled = !payload.figures.gates;
  $("scrub").max = payload.steps - 1;
  show(0);
  setHeight();
  if (autoplay) play();
}

// --- wiring ---------------------------------------------------------------------------------
$("play").onclick = () => (S.playing ? pause() : play());
$("step").onclick = () => { pause(); show(S.t + 1); };
$("back").onclick = () => { pause(); show(S.t - 1); };
$("reset").onclick = () => { pause(); show(0); };
$("scrub").oninput = (e) => { pause(); show(Number(e.target.value)); };
$("gates").onchange = (e) => {
  $("fig-gates").classList.toggle("hidden", !e.target.checked);
  if (e.target.checked) drawFigure("gates", S.t);
  setHeight();
};
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT" && e.target.type !== "range") return;
  const keys = { " ": () => $("play").click(), ArrowRight: () => $("step").click(),
                 ArrowLeft: () => $("back").click(), Home: () => $("reset").click() };
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
});
new ResizeObserver(setHeight).observe(document.body);

window.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const args = event.data.args;
  if (args.trajectory_id !== S.key) load(args.payload, args.trajectory_id, args.autoplay);
});
window.babylmPlayer = S;  // for the browser tests and the curious
// Plotly (4.6 MB) loads after the player is usable: only the history needs it.
$("plotly").addEventListener("load", () => { if (S.payload) drawFigure("history", S.t); });
send("streamlit:componentReady", { apiVersion: 1 });
