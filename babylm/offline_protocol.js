// Offline stand-in for the player's protocol.js, used by the lesson file (`babylm export
// --format html`): there is no Streamlit and no server. The page itself holds the trace (the
// wire buffer, base64) and the view to open at, in the script element "babylm-offline"; ready() hands
// them to the player exactly as Streamlit's "render" message would. Nothing is reported back.

let renderCallback = null;

function inlined() {
  const data = JSON.parse(document.getElementById("babylm-offline").textContent);
  const text = atob(data.trace);
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  return { trace: bytes, id: data.id, view: data.view, play: 0, autoplay: false, command: null };
}

export function ready() {
  if (renderCallback) renderCallback(inlined());
}

export function onRender(callback) {
  renderCallback = callback;
}

export function debounced() {
  const report = () => {};
  report.prime = () => {};
  return report;
}

export function fitHeight() {
  return () => {};
}

export function hostHeight() {
  return window.innerHeight || window.screen.height;
}

export function host() {
  return null;
}
