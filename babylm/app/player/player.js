// Play / pause with a timer token, as in tensorflow/playground's Player: pausing bumps the
// token, so a tick scheduled before the pause finds itself stale and stops.

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
