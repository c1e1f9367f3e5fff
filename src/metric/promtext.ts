/**
 * A small parser for the Prometheus text exposition format (0.0.4), enough for what the
 * metric role reads from Magpie's nodes: samples with labels and values. Comments, TYPE/HELP
 * lines and timestamps are skipped.
 */

/** One sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses exposition text into samples; malformed lines are skipped. */
export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const brace = line.indexOf("{");
    const space = line.indexOf(" ");
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      const end = parseLabels(line, brace + 1, (labels = {}));
      if (end < 0) continue;
      rest = line.slice(end + 1).trim();
    } else {
      if (space < 0) continue;
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const v = parseValue(rest.split(/\s+/)[0] ?? "");
    if (v === null) continue;
    out.push({ name, labels, value: v });
  }
  return out;
}

/** Parses `a="x",b="y"}` from `i`; returns the index of the closing brace or -1. */
function parseLabels(s: string, i: number, into: Record<string, string>): number {
  while (i < s.length) {
    while (s[i] === " " || s[i] === ",") i++;
    if (s[i] === "}") return i;
    const eq = s.indexOf("=", i);
    if (eq < 0 || s[eq + 1] !== '"') return -1;
    const key = s.slice(i, eq).trim();
    let j = eq + 2;
    let val = "";
    while (j < s.length && s[j] !== '"') {
      if (s[j] === "\\" && j + 1 < s.length) {
        const n = s[j + 1];
        val += n === "n" ? "\n" : n;
        j += 2;
      } else val += s[j++];
    }
    if (j >= s.length) return -1;
    into[key] = val;
    i = j + 1;
  }
  return -1;
}

function parseValue(s: string): number | null {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const v = Number(s);
  return s !== "" && !Number.isNaN(v) ? v : null;
}

/** Sum of every sample named `name` whose labels include `match`. */
export function sum(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let t = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    let ok = true;
    for (const k in match) if (s.labels[k] !== match[k]) ok = false;
    if (ok && Number.isFinite(s.value)) t += s.value;
  }
  return t;
}

/** Cumulative bucket counts of histogram `name` (summed over other labels), by upper bound. */
export function buckets(samples: readonly Sample[], name: string, match: Record<string, string> = {}): Map<number, number> {
  const out = new Map<number, number>();
  const bname = `${name}_bucket`;
  for (const s of samples) {
    if (s.name !== bname) continue;
    let ok = true;
    for (const k in match) if (s.labels[k] !== match[k]) ok = false;
    if (!ok) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket like
 * PromQL's histogram_quantile. Null when there are no observations.
 */
export function quantile(q: number, cumulative: Map<number, number>): number | null {
  const bs = [...cumulative].sort((a, b) => a[0] - b[0]);
  const total = bs.length ? bs[bs.length - 1]![1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of bs) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      const inBucket = count - prevCount;
      return inBucket <= 0 ? le : prevLe + (le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** `now - before` per bucket (a reset — any negative step — yields `now`). */
export function bucketDelta(now: Map<number, number>, before: Map<number, number> | undefined): Map<number, number> {
  if (!before) return now;
  const out = new Map<number, number>();
  for (const [le, v] of now) {
    const d = v - (before.get(le) ?? 0);
    if (d < 0) return now;
    out.set(le, d);
  }
  return out;
}

/** Adds `b` into `a` per bucket. */
export function addBuckets(a: Map<number, number>, b: Map<number, number>): Map<number, number> {
  for (const [le, v] of b) a.set(le, (a.get(le) ?? 0) + v);
  return a;
}
