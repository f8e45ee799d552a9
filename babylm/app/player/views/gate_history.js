// Gate histories: the forget and input gates (or any panel) over time, in the same rows as the
// memory history above them (same units, same order, same size), so "the forget gate of this
// unit stays near 1 while it keeps 'want'" can be seen and pointed at. Shown with the gates.

import { HistoryView } from "./history.js";

export class GateHistoryView extends HistoryView {
  /** `name`: the panel this view draws (f, i, ...); `main`: the HistoryView whose rows it follows. */
  constructor(root, trace, actions, name, main) {
    super(root, trace, actions);
    this.name = name;
    this.main = main;
    const panel = trace.panel[name];
    const title = root.querySelector(".history-head span");
    title.textContent = `${name} ${panel.label} over time`;
    title.className = "gate-history-title";
    this.select.hidden = true;  // the rows follow the history above; nothing to pick here
    this.orderSelect.hidden = true;
    this.select.removeAttribute("id");
    this.orderSelect.removeAttribute("id");
    root.dataset.panel = name;
  }

  which(state) {
    const [, layer] = this.main.which(state);
    return [this.trace.panel[this.name], layer];
  }

  rowsFor(state) {
    const [panel, layer] = this.main.which(state);
    return this.main.rowsFor(state, panel, layer);
  }
}
