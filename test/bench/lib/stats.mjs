// Small statistics helpers.
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    min: sorted[0],
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

// Monotonic milliseconds shared by every process on the machine (CLOCK_MONOTONIC), so a
// stamp taken in the writer process can be compared with an arrival in a subscriber.
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

// Resolves like `promise`, or rejects with `what` after `ms`; the timer is cleared either way.
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(typeof what === "function" ? what() : what)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
