// Streamlit's custom-component protocol (v1), spoken directly with postMessage: no npm package,
// no build step. Python -> player: "streamlit:render" messages carrying the component's args
// (bytes args arrive as Uint8Array). Player -> Python: componentReady, setComponentValue
// (the page reruns with the new value) and the frame's height.

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, data), "*");
}

export function ready() {
  send("streamlit:componentReady", { apiVersion: 1 });
}

// Args Python sends as JSON text, not as dicts: Streamlit checks every non-text arg for being a
// dataframe, which imports pandas and pyarrow (0.6 s on a fresh server's first page).
const JSON_TEXT = ["view", "command", "compare"];

/** Call `callback(args)` for every render message (Streamlit sends one on every rerun). */
export function onRender(callback) {
  window.addEventListener("message", (event) => {
    if (!event.data || event.data.type !== "streamlit:render") return;
    const args = Object.assign({}, event.data.args || {});
    for (const name of JSON_TEXT) if (typeof args[name] === "string") args[name] = JSON.parse(args[name]);
    callback(args);
  });
}

/** Report a value to Python, at most once per `wait` ms (the last one wins), and only when it
 * differs from the last one reported or primed (`report.prime(value)`: what Python already knows,
 * e.g. the view it opened the player at, so opening costs no rerun). */
export function debounced(wait) {
  let timer = null;
  let last = null;
  const report = (value) => {
    const text = JSON.stringify(value);
    clearTimeout(timer);
    if (text === last) return;
    timer = setTimeout(() => {
      last = text;
      send("streamlit:setComponentValue", { value, dataType: "json" });
    }, wait);
  };
  report.prime = (value) => {
    clearTimeout(timer);
    last = JSON.stringify(value);
  };
  return report;
}

/** Keep the iframe as tall as `el`. Streamlit re-posts every arg (the whole trace) to the frame
 * when it learns a new height, so where the frame is ours to reach (same origin: the component is
 * served by the app's own server) its height is set directly and Streamlit never hears of it. */
export function fitHeight(el) {
  let frame = null;
  try {
    frame = window.frameElement;
  } catch (err) {
    frame = null;  // cross-origin: fall back to the protocol
  }
  let height = -1;
  const fit = () => {
    const h = Math.ceil(el.getBoundingClientRect().height) + 4;
    if (h === height) return;
    height = h;
    if (frame) frame.style.height = `${h}px`;
    else send("streamlit:setFrameHeight", { height: h });
  };
  new ResizeObserver(fit).observe(el);
  return fit;
}

/** The page's viewport height (the iframe's own height follows its content, so sizing by it
 * would feed back on itself). */
export function hostHeight() {
  try {
    return window.parent.innerHeight || window.screen.height;
  } catch (err) {
    return window.screen.height;
  }
}

/** The page around the player, when it is ours to reach (same origin), else null. */
export function host() {
  try {
    return window.parent.document ? window.parent : null;
  } catch (err) {
    return null;
  }
}
