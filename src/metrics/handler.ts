/**
 * The handler's metric set: `service` implements MessageService's `ServiceMetrics`, `push`
 * implements LinkHub's `PushMetrics`, and {@link HandlerMetrics.instrument} wraps the service to
 * time send→ack and count errors by code for every operation.
 */
import { toMagpieError } from "../core/errors.ts";
import { LATENCY_BUCKETS, SIZE_BUCKETS, type Metrics } from "./types.ts";

/** What the handler metric set reads at collection. */
export interface HandlerSources {
  linkedBridges(): number;
  onlineUsers(): number;
}

/** Hook objects of the handler's metric set. */
export interface HandlerMetrics {
  service: { sent(dup: boolean): void; fanout(n: number): void; storeWrite(ms: number): void; storeRead(ms: number): void };
  push: { pushed(bridges: number, users: number): void; unlinked(): void };
  /**
   * A proxy of `service` whose async methods are timed (`send` as send→ack) and whose failures
   * are counted by error code. Same type, same behaviour.
   */
  instrument<S extends object>(service: S): S;
}

const OPS = new Set(["send", "sync", "history", "receipt", "createGroup", "addMembers", "removeMember", "listMembers", "listConversations", "recall", "deleteForMe", "typing"]);

/** Registers the handler metrics on `m`. */
export function createHandlerMetrics(m: Metrics, src: HandlerSources): HandlerMetrics {
  m.collectedGauge({ name: "magpie_handler_linked_bridges", help: "Bridges linked to this handler.", collect: () => src.linkedBridges() });
  m.collectedGauge({ name: "magpie_handler_online_users", help: "Users reported online by linked bridges.", collect: () => src.onlineUsers() });
  const sends = m.counter({ name: "magpie_handler_sends_total", help: "Messages accepted (stored or deduplicated)." });
  const dups = m.counter({ name: "magpie_handler_dedupe_hits_total", help: "Sends that were retries of an already stored message." });
  const fanout = m.histogram({ name: "magpie_handler_fanout_recipients", help: "Conversation members per send.", buckets: SIZE_BUCKETS });
  const write = m.histogram({ name: "magpie_handler_store_write_seconds", help: "Store append latency.", buckets: LATENCY_BUCKETS });
  const read = m.histogram({ name: "magpie_handler_store_read_seconds", help: "Store read latency (sync pages, history).", buckets: LATENCY_BUCKETS });
  const pushes = m.counter({ name: "magpie_handler_pushes_total", help: "Push frames written to bridge links." });
  const deliveries = m.counter({ name: "magpie_handler_push_recipients_total", help: "Recipients (users) addressed by pushes." });
  const unlinked = m.counter({ name: "magpie_handler_push_unlinked_total", help: "Pushes skipped because the recipient's bridge is not linked here (sync delivers)." });
  const opSeconds = m.histogram({
    name: "magpie_handler_op_seconds", help: "Service operation latency; op=\"send\" is send→ack (membership, store, ack).",
    labelNames: ["op"], buckets: LATENCY_BUCKETS,
  });
  const errors = m.counter({ name: "magpie_handler_errors_total", help: "Failed operations, by operation and error code.", labelNames: ["op", "code"] });

  return {
    service: {
      sent(dup) {
        sends.inc();
        if (dup) dups.inc();
      },
      fanout: (n) => fanout.observe(n),
      storeWrite: (ms) => write.observe(ms / 1000),
      storeRead: (ms) => read.observe(ms / 1000),
    },
    push: {
      pushed(bridges, users) {
        pushes.inc(undefined, bridges);
        deliveries.inc(undefined, users);
      },
      unlinked: () => unlinked.inc(),
    },
    instrument(service) {
      return new Proxy(service, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver);
          if (typeof v !== "function" || typeof prop !== "string" || !OPS.has(prop)) return v;
          return async (...args: unknown[]) => {
            const t0 = performance.now();
            try {
              const out = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              opSeconds.observe((performance.now() - t0) / 1000, { op: prop });
              return out;
            } catch (err) {
              errors.inc({ op: prop, code: toMagpieError(err).code });
              throw err;
            }
          };
        },
      });
    },
  };
}
