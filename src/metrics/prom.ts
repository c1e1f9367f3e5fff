/**
 * The prom-client implementation of {@link Metrics}: one prom-client Registry per instance
 * (create one per process), default process/runtime metrics, and the series bound of
 * {@link MAX_SERIES}. prom-client types never leave this file.
 */
import * as prom from "prom-client";
import { MAX_SERIES, type CollectedGaugeDef, type Counter, type Gauge, type Histogram, type Labels, type MetricDef, type Metrics } from "./types.ts";

/** Options of {@link createPromMetrics}. */
export interface PromMetricsOptions {
  /** Collect prom-client's default process and runtime metrics (default true). */
  defaults?: boolean;
}

/** Creates a metrics registry backed by prom-client. */
export function createPromMetrics(opts: PromMetricsOptions = {}): Metrics {
  const registry = new prom.Registry();
  if (opts.defaults !== false) {
    prom.collectDefaultMetrics({ register: registry });
    // prom-client names these gauges `*_total`, which `promtool check metrics` rejects; the
    // same counts, grouped by type, stay in `nodejs_active_handles` etc.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(`${name}_total`);
  }

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    counter(def: MetricDef): Counter {
      const c = new prom.Counter({ name: def.name, help: def.help, labelNames: [...(def.labelNames ?? [])], registers: [registry] });
      const bound = bounder(def.labelNames);
      return { inc: (labels, by = 1) => (labels ? c.inc(bound(labels), by) : c.inc(by)) };
    },
    gauge(def: MetricDef): Gauge {
      const g = new prom.Gauge({ name: def.name, help: def.help, labelNames: [...(def.labelNames ?? [])], registers: [registry] });
      const bound = bounder(def.labelNames);
      return {
        set: (v, labels) => (labels ? g.set(bound(labels), v) : g.set(v)),
        inc: (labels, by = 1) => (labels ? g.inc(bound(labels), by) : g.inc(by)),
        dec: (labels, by = 1) => (labels ? g.dec(bound(labels), by) : g.dec(by)),
      };
    },
    collectedGauge(def: CollectedGaugeDef): void {
      const bound = bounder(def.labelNames);
      new prom.Gauge({
        name: def.name, help: def.help, labelNames: [...(def.labelNames ?? [])], registers: [registry],
        collect() {
          const v = def.collect();
          if (typeof v === "number") {
            this.set(v);
            return;
          }
          this.reset();
          for (const s of v) this.set(bound(s.labels), s.value);
        },
      });
    },
    histogram(def): Histogram {
      const h = new prom.Histogram({
        name: def.name, help: def.help, labelNames: [...(def.labelNames ?? [])], buckets: [...def.buckets], registers: [registry],
      });
      const bound = bounder(def.labelNames);
      return { observe: (v, labels) => (labels ? h.observe(bound(labels), v) : h.observe(v)) };
    },
  };
}

const LINT_FAILING_DEFAULTS = ["nodejs_active_handles", "nodejs_active_requests", "nodejs_active_resources"];

/** Keeps label values within MAX_SERIES combinations per metric; extra ones become "other". */
function bounder(labelNames: readonly string[] | undefined): (l: Labels) => Record<string, string> {
  const seen = new Set<string>();
  const other: Record<string, string> = {};
  for (const n of labelNames ?? []) other[n] = "other";
  return (labels) => {
    const key = (labelNames ?? []).map((n) => labels[n] ?? "").join("\u0000");
    if (seen.has(key)) return labels as Record<string, string>;
    if (seen.size >= MAX_SERIES) return other;
    seen.add(key);
    return labels as Record<string, string>;
  };
}
