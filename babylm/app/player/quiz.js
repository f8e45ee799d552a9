// Predict, then reveal: the quiz's rules as plain functions of the trace and the guesses, so the
// view that draws them and the tests that check them share one definition.
//
// A step is a question when the model chose its next character (not the prompt's). `guesses`
// maps a step index to the character id the viewer guessed there. The score compares, over the
// steps guessed so far, the viewer's guesses and the model's favourite (its likeliest character)
// with what actually came next.

export function isQuestion(trace, t) {
  return !trace.from_prompt[t];
}

/** The model's likeliest next character at step t. */
export function favourite(trace, t) {
  const V = trace.vocab;
  let best = 0;
  for (let j = 1; j < V; j++) if (trace.probs[t * V + j] > trace.probs[t * V + best]) best = j;
  return best;
}

/** { you, model, of }: right guesses, right favourites, and steps guessed. */
export function score(trace, guesses) {
  let you = 0, model = 0, of = 0;
  for (const [key, guess] of Object.entries(guesses)) {
    const t = Number(key);
    if (!(t < trace.steps) || !isQuestion(trace, t)) continue;
    of += 1;
    if (guess === trace.outputs[t]) you += 1;
    if (favourite(trace, t) === trace.outputs[t]) model += 1;
  }
  return { you, model, of };
}

/** "you 9 of 14 · the model's favourite 11 of 14" */
export function scoreText(s) {
  return `you ${s.you} of ${s.of} · the model's favourite ${s.model} of ${s.of}`;
}

/** Whether step t's answer is hidden: quiz on, a question, not yet guessed. */
export function hidden(state, trace) {
  return Boolean(state.quiz) && isQuestion(trace, state.t) && !(state.t in (state.guesses || {}));
}

/** The character id a key press names, or null: a letter, space, Enter for a line break. */
export function keyToId(trace, key) {
  const ch = key === "Enter" ? "\n" : key === "Spacebar" ? " " : key.length === 1 ? key.toLowerCase() : null;
  if (ch === null) return null;
  const id = trace.itos.indexOf(ch);
  return id >= 0 ? id : null;
}
