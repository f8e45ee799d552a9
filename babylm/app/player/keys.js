// Which keys the player may take. The player listens on its own frame and on the page around it
// (so ← → space work without clicking into it first), but a key already means something where
// the focus is: typing in a field; Space presses a focused button (Generate ▶ included), ticks a
// checkbox, picks a radio or follows a link; arrows, Home and End move a slider, radio or list.
// A read-only box (the link Copy link shows) types nothing: it leaves them to the player.
// Space goes to a button or box only when it was reached with the keyboard (Tab), and never to
// a slider, which has no use for it.

const TEXT_INPUTS = new Set(["text", "search", "number", "email", "url", "tel", "password", ""]);
const SPACE_ROLES = new Set(["button", "checkbox", "radio", "switch", "link", "tab", "menuitem", "option"]);
const ARROW_ROLES = new Set(["slider", "radio", "radiogroup", "tab", "tablist", "listbox", "option",
                             "spinbutton", "menu", "menuitem", "combobox"]);

/** True when `key`, pressed with focus on `el`, belongs to that element, not to the player. */
export function focusOwnsKey(el, key) {
  if (!el || !el.tagName || el.tagName === "BODY" || el.tagName === "HTML") return false;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  const type = el.tagName === "INPUT" ? (el.getAttribute("type") || "").toLowerCase() : null;
  // A read-only box (the link Copy link shows) types nothing: the player keeps its keys.
  if (type !== null && TEXT_INPUTS.has(type)) return !el.readOnly;
  const role = (el.getAttribute("role") || "").toLowerCase();
  if (key === " ") {
    // A slider (the player's scrubber, just dragged) has no use for Space: it plays and pauses.
    const presses = el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY" ||
                    (type !== null && type !== "range") || SPACE_ROLES.has(role);
    // Only when reached with the keyboard (Tab): after a mouse click on Generate ▶ or a checkbox,
    // focus stays there but the viewer's next Space means pause, as it always has.
    return presses && keyboardFocused(el);
  }
  return type === "range" || type === "radio" || ARROW_ROLES.has(role);
}

// How each element got the focus: by a pointer (mouse, touch, pen) or otherwise (Tab, a script).
// `:focus-visible` cannot tell: the keydown being handled already makes the element match it.
const byPointer = new WeakMap();
let pointerAt = -Infinity;

/** Watch `doc` (the player's frame and the page around it) for how focus moves. */
export function watchFocus(doc) {
  doc.addEventListener("pointerdown", () => { pointerAt = performance.now(); }, true);
  doc.addEventListener("focusin", (e) => { byPointer.set(e.target, performance.now() - pointerAt < 1000); }, true);
}

function keyboardFocused(el) {
  return !byPointer.get(el);
}
