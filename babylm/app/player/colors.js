// Colour scales as 256-entry tables, and the legend every panel carries. A panel whose range
// goes below zero is diverging (blue, white, red), else sequential (viridis).

const DIVERGING = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                   "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"];
const SEQUENTIAL = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                    "#35b779", "#6ece58", "#b5de2b", "#fde725"];

function table(stops) {
  const rgb = stops.map((c) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)));
  const out = [];
  for (let n = 0; n < 256; n++) {
    const x = (n / 255) * (rgb.length - 1), k = Math.min(rgb.length - 2, Math.floor(x)), w = x - k;
    out.push(`rgb(${rgb[k].map((v, j) => Math.round(v + w * (rgb[k + 1][j] - v))).join(",")})`);
  }
  return out;
}

const TABLES = { diverging: table(DIVERGING), sequential: table(SEQUENTIAL) };
const RGB = Object.fromEntries(Object.entries(TABLES).map(([name, css]) =>
  [name, Uint8Array.from(css.flatMap((c) => c.match(/\d+/g).map(Number)))]));
const STOPS = { diverging: DIVERGING, sequential: SEQUENTIAL };

export function scaleOf(panel) {
  return panel.lo < 0 ? "diverging" : "sequential";
}

export function colors(panel) {
  return TABLES[scaleOf(panel)];
}

/** The same table as bytes: r, g, b for index n at 3n .. 3n + 2 (for ImageData). */
export function rgbBytes(panel) {
  return RGB[scaleOf(panel)];
}

function number(v) {
  return String(Math.round(v * 100) / 100).replace("-", "−");
}

/** A legend element: lo, the gradient, hi (and "clipped beyond" when the range is not the
 * activation's own bound). */
export function legend(panel, note = "") {
  const el = document.createElement("div");
  el.className = "legend";
  const stops = STOPS[scaleOf(panel)].join(",");
  el.innerHTML = `<span>${number(panel.lo)}</span><i style="background:linear-gradient(90deg,${stops})"></i>` +
                 `<span>${number(panel.hi)}</span>${note ? `<small>${note}</small>` : ""}`;
  return el;
}

/** A canvas sized to `width` x `height` CSS px at the screen's pixel density, and its context
 * scaled so drawing code works in CSS px. */
export function sharpCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * dpr)), h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}
