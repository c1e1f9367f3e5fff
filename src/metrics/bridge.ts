/**
 * The bridge's metric set. Its `ws` object implements the client WebSocket route's hooks
 * (`WsHooks`), `onPush` is HandlerPool's `onPush` option, and {@link BridgeMetrics.instrumentHub}
 * times push delivery (message stored → written to the local sockets).
 */
import { LATENCY_BUCKETS, SIZE_BUCKETS, type Metrics } from "./types.ts";

/** What the bridge metric set reads at collection. */
export interface BridgeSources {
  connections(): number;
  draining(): boolean;
}

/** A hub whose deliveries can be timed (ClientHub's shape). */
export interface DeliveringHub {
  deliver(users: readonly string[], text: string, skip?: { u: string; d: string }): number;
}

/** Hook objects of the bridge's metric set. */
export interface BridgeMetrics {
  ws: {
    connected(): void;
    disconnected(): void;
    frameIn(type: string): void;
    rejected(code: string): void;
  };
  onPush(sockets: number): void;
  /** Wraps `hub.deliver` to observe push latency of `msg` frames; returns the same hub. */
  instrumentHub<H extends DeliveringHub>(hub: H): H;
}

/** Registers the bridge metrics on `m`. */
export function createBridgeMetrics(m: Metrics, src: BridgeSources): BridgeMetrics {
  m.collectedGauge({ name: "magpie_bridge_connections", help: "Open client WebSocket connections.", collect: () => src.connections() });
  m.collectedGauge({ name: "magpie_bridge_draining", help: "1 while this bridge drains.", collect: () => (src.draining() ? 1 : 0) });
  const connects = m.counter({ name: "magpie_bridge_connects_total", help: "Client connections accepted (after authentication)." });
  const disconnects = m.counter({ name: "magpie_bridge_disconnects_total", help: "Client connections closed." });
  const frames = m.counter({ name: "magpie_bridge_frames_in_total", help: "Valid client frames received, by type.", labelNames: ["type"] });
  const rejected = m.counter({ name: "magpie_bridge_rejected_total", help: "Client frames or connections rejected, by error code (rate_limited, frame_too_large, unauthenticated, ...).", labelNames: ["code"] });
  const pushFrames = m.counter({ name: "magpie_bridge_push_frames_total", help: "Push frames received from handlers." });
  const pushSockets = m.counter({ name: "magpie_bridge_push_sockets_total", help: "Client sockets written by pushes." });
  const pushFanout = m.histogram({ name: "magpie_bridge_push_sockets", help: "Client sockets written per push frame.", buckets: [0, ...SIZE_BUCKETS] });
  const pushLatency = m.histogram({
    name: "magpie_bridge_push_latency_seconds",
    help: "Time from a message being stored (its createdAt, handler clock) to its push being written to local sockets.",
    buckets: LATENCY_BUCKETS,
  });

  return {
    ws: {
      connected: () => connects.inc(),
      disconnected: () => disconnects.inc(),
      // Only decoded frames reach here, so `type` is one of the protocol's client frame types.
      frameIn: (type) => frames.inc({ type }),
      rejected: (code) => rejected.inc({ code }),
    },
    onPush(sockets) {
      pushFrames.inc();
      pushSockets.inc(undefined, sockets);
      pushFanout.observe(sockets);
    },
    instrumentHub(hub) {
      const deliver = hub.deliver.bind(hub);
      hub.deliver = (users, text, skip) => {
        const n = deliver(users, text, skip);
        const at = msgCreatedAt(text);
        if (at !== null && n > 0) pushLatency.observe(Math.max(0, Date.now() - at) / 1000);
        return n;
      };
      return hub;
    },
  };
}

/** `createdAt` of a serialized `{"t":"msg","m":{...}}` frame, without parsing the body. */
function msgCreatedAt(text: string): number | null {
  if (!text.startsWith('{"t":"msg"')) return null;
  const i = text.lastIndexOf('"createdAt":');
  if (i < 0) return null;
  const v = Number.parseInt(text.slice(i + 12, i + 30), 10);
  return Number.isFinite(v) ? v : null;
}
