/**
 * Magpie's metrics contract: counters, gauges and histograms by name with a fixed set of label
 * names. Implementations (prom.ts) keep their library's types to themselves; roles and hook
 * sets see only these interfaces.
 *
 * Label cardinality is bounded: an implementation keeps at most {@link MAX_SERIES} label
 * combinations per metric and folds any further ones into the value "other". Never put user,
 * device, message or conversation ids in labels.
 */

/** Label values by label name. */
export type Labels = Readonly<Record<string, string>>;

/** Most label combinations kept per metric; more are reported with every label = "other". */
export const MAX_SERIES = 64;

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(labels?: Labels, by?: number): void;
  dec(labels?: Labels, by?: number): void;
}

/** A distribution of observations in fixed buckets. */
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** Definition shared by every metric kind. */
export interface MetricDef {
  /** Prometheus-style name (`magpie_<role>_<what>_<unit>`; counters end in `_total`). */
  name: string;
  help: string;
  labelNames?: readonly string[];
}

/** A gauge whose value is read when metrics are collected. */
export interface CollectedGaugeDef extends MetricDef {
  /** Called at collection; returns one value, or values per label set. */
  collect(): number | readonly { labels: Labels; value: number }[];
}

/** One process's metric registry. */
export interface Metrics {
  counter(def: MetricDef): Counter;
  gauge(def: MetricDef): Gauge;
  collectedGauge(def: CollectedGaugeDef): void;
  histogram(def: MetricDef & { buckets: readonly number[] }): Histogram;
  /** The exposition (Prometheus text format 0.0.4). */
  render(): Promise<string>;
  /** Content type of {@link render}'s output. */
  readonly contentType: string;
}

/** Latency buckets in seconds (0.5 ms … 10 s). */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Size buckets (fan-out, sockets). */
export const SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000] as const;
