// The distribution a character is actually drawn from, after temperature and top-k reshape the
// model's own (temperature 1) probabilities: the browser's copy of babylm/sampling.py's
// sampling_probs, so a temperature slider in the player can reshape the bars with no server
// round trip. From probabilities p (the logits up to a constant): softmax(log p / T) over the
// k likeliest; temperature 0 puts everything on the likeliest. Ties at the k-th value are all
// kept, as torch's masked_fill(logits < kth) keeps them.

/** row: the model's probabilities (length V). Returns a Float64Array of length V. */
export function samplingProbs(row, temperature, topK) {
  const V = row.length;
  const out = new Float64Array(V);
  let best = 0;
  for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
  if (!(temperature > 0)) {
    out[best] = 1;
    return out;
  }
  let kth = -Infinity;
  if (topK && topK < V) kth = Array.from(row).sort((a, b) => b - a)[topK - 1];
  const top = Math.log(row[best]);
  let total = 0;
  for (let j = 0; j < V; j++) {
    if (row[j] < kth || row[j] <= 0) continue;
    out[j] = Math.exp((Math.log(row[j]) - top) / temperature);
    total += out[j];
  }
  for (let j = 0; j < V; j++) out[j] /= total;
  return out;
}

/** The ids of the `k` largest entries of `row`, best first (ties by id). */
export function largest(row, k) {
  const ids = Array.from({ length: row.length }, (_, j) => j);
  ids.sort((a, b) => row[b] - row[a] || a - b);
  return ids.slice(0, Math.min(k, row.length));
}
