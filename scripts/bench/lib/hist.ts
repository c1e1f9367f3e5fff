/**
 * A small HdrHistogram-like latency histogram (microsecond values, ≈1 % relative precision):
 * 10 µs bins below 10 ms, 100 µs bins below 100 ms, 1 ms bins below 60 s, one overflow bin.
 * Serialisable (sparse) so generator processes can ship it to the runner, which merges them.
 */
const B1 = 1000; // [0, 10ms) step 10µs
const B2 = 900; // [10ms, 100ms) step 100µs
const B3 = 59900; // [100ms, 60s) step 1ms
const N = B1 + B2 + B3 + 1;

function idx(us: number): number {
  if (us < 10_000) return Math.max(0, Math.floor(us / 10));
  if (us < 100_000) return B1 + Math.floor((us - 10_000) / 100);
  if (us < 60_000_000) return B1 + B2 + Math.floor((us - 100_000) / 1000);
  return N - 1;
}

/** Upper edge of bin `i` in µs. */
function upper(i: number): number {
  if (i < B1) return (i + 1) * 10;
  if (i < B1 + B2) return 10_000 + (i - B1 + 1) * 100;
  if (i < N - 1) return 100_000 + (i - B1 - B2 + 1) * 1000;
  return 60_000_000;
}

export class Hist {
  readonly counts = new Uint32Array(N);
  total = 0;
  max = 0;

  /** Records a value in milliseconds. */
  recordMs(ms: number): void {
    const us = ms * 1000;
    this.counts[idx(us)]!++;
    this.total++;
    if (ms > this.max) this.max = ms;
  }

  merge(o: Hist): void {
    for (let i = 0; i < N; i++) this.counts[i]! += o.counts[i]!;
    this.total += o.total;
    this.max = Math.max(this.max, o.max);
  }

  /** Value (ms) at quantile q in [0, 1]. */
  quantileMs(q: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < N; i++) {
      seen += this.counts[i]!;
      if (seen >= want) return Math.min(upper(i) / 1000, this.max);
    }
    return this.max;
  }

  summary(): { n: number; p50: number; p99: number; p999: number; max: number } {
    const r = (x: number) => Math.round(x * 100) / 100;
    return { n: this.total, p50: r(this.quantileMs(0.5)), p99: r(this.quantileMs(0.99)), p999: r(this.quantileMs(0.999)), max: r(this.max) };
  }

  toJSON(): { total: number; max: number; bins: [number, number][] } {
    const bins: [number, number][] = [];
    for (let i = 0; i < N; i++) if (this.counts[i]) bins.push([i, this.counts[i]!]);
    return { total: this.total, max: this.max, bins };
  }

  static from(j: { total: number; max: number; bins: [number, number][] }): Hist {
    const h = new Hist();
    for (const [i, c] of j.bins) h.counts[i] = c;
    h.total = j.total;
    h.max = j.max;
    return h;
  }
}
