// Play / pause with a timer token, as in tensorflow/playground's Player: pausing bumps the
// token, so a tick scheduled before the pause finds itself stale and stops. Also what every
// player shares around it (the one player and the models side by side, compare.js): its
// transport controls drawn from the state, and its keys.

import { focusOwnsKey } from "./keys.js";

export class Player {
  constructor(store, steps) {
    this.store = store;
    this.steps = steps;
    this.token = 0;
  }

  play() {
    const { t } = this.store.state;
    this.pause();
    if (t >= this.steps - 1) this.store.set({ t: 0 });  // Play at the end starts over
    this.store.set({ playing: true });
    this.deadline = 0;
    this.schedule(++this.token);
  }

  pause() {
    this.token++;
    if (this.store.state.playing) this.store.set({ playing: false });
  }

  toggle() {
    if (this.store.state.playing) this.pause();
    else this.play();
  }

  /** Tick on a fixed beat (a deadline every 1/speed s), so drawing a step does not slow the
   * beat down; if drawing falls behind, the beat restarts from now rather than rushing. */
  schedule(token) {
    const interval = 1000 / this.store.state.speed;
    const now = performance.now();
    this.deadline = this.deadline && this.deadline > now - interval ? this.deadline + interval : now + interval;
    setTimeout(() => {
      if (token !== this.token) return;  // paused, or played again, since
      const { t } = this.store.state;
      if (t >= this.steps - 1) {
        this.pause();
        return;
      }
      this.store.set({ t: t + 1 });
      if (t + 1 >= this.steps - 1) this.pause();
      else this.schedule(token);
    }, Math.max(0, this.deadline - now));
  }
}

/** Draw the transport controls (`${prefix}scrub`, counter, back, reset, step, play, speed) from
 * the state, for a trace of `steps` steps. */
export function renderTransport(state, steps, prefix = "") {
  const $ = (id) => document.getElementById(prefix + id);
  $("scrub").value = state.t;
  $("counter").textContent = `step ${state.t + 1} of ${steps}`;
  $("counter").dataset.step = state.t + 1;
  $("back").disabled = $("reset").disabled = state.t === 0;
  $("step").disabled = state.t === steps - 1;
  $("play").textContent = state.playing ? "❚❚ Pause" : "▶ Play";
  $("play").setAttribute("aria-pressed", String(state.playing));
  $("speed").value = String(state.speed);
}

/** A keydown handler for Space (play / pause), ← →, Home and End, unless the focus owns the key
 * (keys.js). `go(t)` moves to a step; `player()` is the current Player, or null. */
export function transportKeys(player, go, t) {
  return (e) => {
    const p = player();
    if (!p || focusOwnsKey(e.target, e.key) || e.altKey || e.ctrlKey || e.metaKey) return;
    const keys = { " ": () => p.toggle(), ArrowRight: () => go(t() + 1), ArrowLeft: () => go(t() - 1),
                   Home: () => go(0), End: () => go(Infinity) };  // go() clamps to the last step
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  };
}
