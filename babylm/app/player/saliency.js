// Reads the saliency buffer babylm/saliency_wire.py writes: for each step t, the share of what
// predicting the next character leans on, for each character read so far (t + 1 numbers summing
// to 1), sent as the lower triangle in units of 1/65535.

export function decodeSaliency(bytes) {
  const buffer = bytes.slice().buffer;  // a copy at offset 0, so the 16-bit view aligns
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "BLMS") throw new Error("not a babylm saliency buffer");
  const steps = view.getUint32(4, true), n = view.getUint32(8, true);
  const id = new TextDecoder().decode(new Uint8Array(buffer, 12, n));
  const start = 12 + n + ((12 + n) % 2);
  const q = new Uint16Array(buffer, start, (steps * (steps + 1)) / 2);
  return {
    id, steps,
    /** Row t: (t + 1,) shares, as floats. */
    row(t) {
      const from = (t * (t + 1)) / 2;
      return Array.from(q.subarray(from, from + t + 1), (v) => v / 65535);
    },
  };
}
