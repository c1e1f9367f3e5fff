/**
 * Route module: `GET /ws?token=<JWT>` — client WebSocket access (protocol v1, docs/protocol.md).
 * The identity comes only from the verified token. Each connection has a frame-size cap, a
 * token-bucket rate limit and an idle timeout (Bun's, set where the server is created). A bad
 * frame gets an `error` frame; the connection and its neighbours live on.
 */
import { Hono } from "hono";
import type { UpgradeWebSocket, WSContext } from "hono/ws";
import { verifyUserTokenSync, type Identity } from "../../src/auth/jwt.ts";
import { MagpieError, toMagpieError } from "../../src/core/errors.ts";
import type { Logger } from "../../src/core/log.ts";
import type { ClientConn, ClientHub } from "../../src/bridge/hub.ts";
import type { HandlerPool } from "../../src/bridge/handler_pool.ts";
import { CLOSE, PROTOCOL_VERSION, decodeClientFrame, errorFrame, refOf } from "../../src/protocol/frames.ts";
import { TokenBucket } from "../../src/core/token_bucket.ts";

/** Hooks the bridge reports to (metrics, registry). */
export interface WsHooks {
  connected?(conn: ClientConn): void;
  disconnected?(conn: ClientConn): void;
  frameIn?(type: string): void;
  rejected?(code: string): void;
}

/** Dependencies of the client WebSocket route. */
export interface WsRouteDeps {
  upgradeWebSocket: UpgradeWebSocket;
  hub: ClientHub;
  pool: HandlerPool;
  jwtSecret: string;
  bridgeId: string;
  heartbeatMs: number;
  maxFrameBytes: number;
  rate: { perSec: number; burst: number };
  /** True while draining: new connections are told to move. */
  draining: () => boolean;
  log: Logger;
  hooks?: WsHooks;
}

let nextConnId = 1;

/** Creates the `/ws` sub-app. */
export function wsRoute(deps: WsRouteDeps): Hono {
  const app = new Hono();
  // Synchronous on purpose: an async upgrade (WebCrypto verify) kept ≈ 3 KiB more RSS per connection.
  app.get("/ws", deps.upgradeWebSocket((c) => {
    let who: Identity | null = null;
    let authError: MagpieError | null = null;
    try {
      who = verifyUserTokenSync(deps.jwtSecret, c.req.query("token"));
    } catch (err) {
      authError = toMagpieError(err);
    }
    const bucket = new TokenBucket(deps.rate.perSec, deps.rate.burst);
    let conn: ClientConn | null = null;
    return {
      async onOpen(_ev, ws) {
        if (!who) {
          deps.hooks?.rejected?.("unauthenticated");
          ws.send(JSON.stringify(errorFrame(authError ?? new MagpieError("unauthenticated", "missing token"))));
          ws.close(CLOSE.unauthenticated, "unauthenticated");
          return;
        }
        if (deps.draining()) {
          ws.send(JSON.stringify({ t: "move", reason: "draining", retryAfterMs: 0 }));
          ws.close(CLOSE.moved, "moved");
          return;
        }
        const me = makeConn(who, ws);
        conn = me;
        const old = deps.hub.add(me);
        old?.close(4000, "replaced by a newer connection");
        deps.hooks?.connected?.(me);
        await deps.pool.online(me.userId, me.deviceId);
        me.send(JSON.stringify({ t: "welcome", v: PROTOCOL_VERSION, user: me.userId, device: me.deviceId, bridge: deps.bridgeId, heartbeatMs: deps.heartbeatMs }));
      },
      onMessage(ev, ws) {
        const me = conn;
        if (!me) return;
        const data = ev.data;
        const text = typeof data === "string" ? data : null;
        if (text === null) {
          ws.send(JSON.stringify(errorFrame(new MagpieError("malformed_frame", "binary frames are not supported in protocol v1"))));
          return;
        }
        if (text.length > deps.maxFrameBytes) {
          deps.hooks?.rejected?.("frame_too_large");
          ws.send(JSON.stringify(errorFrame(new MagpieError("frame_too_large", `frame exceeds ${deps.maxFrameBytes} bytes`), refOf(safeParse(text)))));
          return;
        }
        if (!bucket.take()) {
          deps.hooks?.rejected?.("rate_limited");
          ws.send(JSON.stringify(errorFrame(new MagpieError("rate_limited", "too many frames; slow down"), refOf(safeParse(text)))));
          return;
        }
        let f;
        try {
          f = decodeClientFrame(text);
        } catch (err) {
          const e = toMagpieError(err);
          deps.hooks?.rejected?.(e.code);
          ws.send(JSON.stringify(errorFrame(e)));
          return;
        }
        deps.hooks?.frameIn?.(f.t);
        switch (f.t) {
          case "ping":
            ws.send(JSON.stringify(f.ref === undefined ? { t: "pong" } : { t: "pong", ref: f.ref }));
            return;
          case "sync":
          case "convs":
          case "presence_sub":
          case "search":
            // Per-user requests: the user's handler (stable while the handler set is).
            deps.pool.forward(me.userId, me, f);
            return;
          default:
            // Per-conversation requests: the conversation's handler orders them.
            deps.pool.forward(f.conv, me, f);
        }
      },
      onClose() {
        const me = conn;
        if (!me) return;
        if (deps.hub.remove(me)) {
          deps.pool.offline(me.userId, me.deviceId);
          deps.hooks?.disconnected?.(me);
        }
      },
    };
  }));
  return app;
}

function makeConn(who: Identity, ws: WSContext): ClientConn {
  return {
    id: nextConnId++,
    userId: who.userId,
    deviceId: who.deviceId,
    send: (text) => {
      ws.send(text);
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
