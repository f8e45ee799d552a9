// Predict, then reveal. With the quiz on, at every step where the model chose its next
// character, the bars, the next character and the sampling view stay hidden (the player pauses
// there) until the viewer guesses: type a letter (space for a space, Enter for a line break) or
// tap one. The reveal shows the bars with the guess marked and a running score. The rules are
// in ../quiz.js; this view draws the guess pad and the score line.

import { favourite, hidden, isQuestion, keyToId, score, scoreText } from "../quiz.js";
import { visible } from "./text.js";
import { formatPercent } from "../wire.js";
import { focusOwnsKey } from "../keys.js";

export class QuizView {
  /** `pad`: the guess pad's element (over the bars); `line`: the score line under them;
   * `actions`: {set(patch), pause()}. */
  constructor(pad, line, trace, actions) {
    this.pad = pad;
    this.line = line;
    this.trace = trace;
    this.actions = actions;
    const order = trace.itos.map((ch, id) => [ch, id]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]);
    pad.innerHTML = `<div class="quiz-ask"><b>Your guess:</b> what comes next?
      <span class="quiz-keys">type it (space, Enter for ⏎) or tap it</span></div>
      <div class="quiz-pad" role="group" aria-label="guess the next character"></div>`;
    const keys = pad.querySelector(".quiz-pad");
    for (const [ch, id] of order) {
      const button = document.createElement("button");
      button.textContent = visible(ch);
      button.dataset.id = id;
      button.setAttribute("aria-label", `guess ${ch === " " ? "space" : ch === "\n" ? "line break" : ch}`);
      button.onclick = () => this.actions.guess(id);
      keys.appendChild(button);
    }
    this.key = "";
  }

  render(state) {
    const trace = this.trace;
    const ask = hidden(state, trace);
    const player = this.pad.closest("#player");
    player.classList.toggle("quiz-hidden", ask);
    this.pad.hidden = !ask;
    if (ask && state.playing) queueMicrotask(() => this.actions.pause());  // stop at the question
    const key = `${state.quiz}|${state.t}|${JSON.stringify(state.guesses)}`;
    if (key === this.key) return;
    this.key = key;
    this.line.hidden = !state.quiz;
    if (!state.quiz) return;
    const s = score(trace, state.guesses || {});
    const t = state.t, guess = (state.guesses || {})[t];
    let here = "";
    if (isQuestion(trace, t) && guess !== undefined) {
      const right = guess === trace.outputs[t];
      const p = trace.probs[t * trace.vocab + guess];
      here = `You said <b>“${visible(trace.itos[guess])}”</b> ${right ? "✓" : "✗"}` +
             ` (the model gave it ${formatPercent(p)})` +
             (right ? "" : `; it was <b>“${visible(trace.itos[trace.outputs[t]])}”</b>`) +
             (favourite(trace, t) === trace.outputs[t] ? "" : " — not the model's favourite either") + ". ";
    } else if (!isQuestion(trace, t)) {
      here = "The prompt gives this character: nothing to guess. ";
    }
    this.line.innerHTML = `${here}<span class="quiz-score" data-you="${s.you}" data-model="${s.model}"` +
                          ` data-of="${s.of}">Score: ${scoreText(s)}</span>`;
  }
}

function rank(ch) {
  // Letters first, then space and line break: the pad reads like a keyboard.
  return /[a-z]/.test(ch) ? 0 : ch === " " ? 1 : ch === "\n" ? 2 : 3;
}

/** Typed guesses: while a question is open, a key naming a character guesses it (and does
 * nothing else). Listens in the capture phase, before the player's own keys (space plays). */
export function installQuizKeys(target, getState, getTrace, guess) {
  target.addEventListener("keydown", (e) => {
    const trace = getTrace();
    if (e.altKey || e.ctrlKey || e.metaKey || !trace || !hidden(getState(), trace)) return;
    // While the quiz asks, a key is a guess even on the player's own checkbox or button (Space
    // on the quiz box, reached by Tab, turned the quiz off and wiped the score); a text field or
    // a control of the page around the player keeps its keys.
    const own = e.target && e.target.ownerDocument === document && e.target.type !== "text";
    if (focusOwnsKey(e.target, e.key) && !own) return;
    const id = keyToId(trace, e.key);
    if (id === null) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    guess(id);
  }, true);
}
