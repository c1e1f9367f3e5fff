/** The JSON shapes the metric role serves at `/api/cluster` and `/api/history`. */

/** Latency percentiles in milliseconds (null: no observations in the window). */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** A registry as seen by the metric role. */
export interface RegistryView {
  url: string;
  up: boolean;
  registryId?: string;
  latencyMs?: number;
  bridges?: number;
  handlers?: number;
  connections?: number;
  heartbeatsPerSec?: number;
  selectionsPerSec?: number;
  error?: string;
}

/** A bridge or handler. */
export interface NodeViewM {
  nodeId: string;
  role: "bridge" | "handler";
  region: string;
  zone: string;
  metricsUrl: string;
  /** Its /metrics answered this round. */
  up: boolean;
  draining: boolean;
  /** Bridges: open connections; handlers: linked bridges. */
  connections: number;
  capacity: number;
  /** Bridges: send frames in per second; handlers: messages accepted per second. */
  msgsPerSec: number;
  /** Bridges: rejections per second; handlers: failed operations per second. */
  errorsPerSec: number;
  /** Bridges: push latency p99; handlers: send→ack p99 (ms). */
  p99Ms: number | null;
  error?: string;
}

/** Cluster totals. */
export interface Totals {
  registriesUp: number;
  registries: number;
  bridges: number;
  handlers: number;
  connections: number;
  /** Messages stored since the handlers started (accepted sends minus dedupe hits). */
  messages: number;
  msgsPerSec: number;
  pushesPerSec: number;
  errorsPerSec: number;
  /** errorsPerSec / (operations + rejections) per second, 0…1. */
  errorRate: number;
  dedupeHits: number;
}

/** Everything the dashboard shows. */
export interface ClusterView {
  at: number;
  pollMs: number;
  windowMs: number;
  totals: Totals;
  latency: { sendAck: Percentiles; push: Percentiles; storeWrite: Percentiles; storeRead: Percentiles };
  registries: RegistryView[];
  nodes: NodeViewM[];
  errorsByCode: Record<string, number>;
}

/** One point of the moving charts. */
export interface HistoryPoint {
  t: number;
  connections: number;
  msgsPerSec: number;
  pushesPerSec: number;
  errorsPerSec: number;
  sendAckP50: number | null;
  sendAckP99: number | null;
  pushP50: number | null;
  pushP99: number | null;
  storeWriteP99: number | null;
  storeReadP99: number | null;
}
