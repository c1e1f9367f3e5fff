/**
 * Route module: `GET /link` — the WebSocket that bridges open to this handler (see
 * docs/protocol.md, "Internal link"). The first frame must be `hello` with the cluster secret.
 * Client frames arrive as `req` with the identity the bridge authenticated; answers go back as
 * `res`. A bad frame is logged and answered, never fatal to the link or to other bridges.
 */
import { Hono } from "hono";
import type { UpgradeWebSocket, WSContext } from "hono/ws";
import { MagpieError, toMagpieError } from "../../src/core/errors.ts";
import type { Logger } from "../../src/core/log.ts";
import type { LinkHub, LinkSocket } from "../../src/handler/links.ts";
import type { MessageService } from "../../src/handler/service.ts";
import type { PresenceService } from "../../src/handler/presence.ts";
import type { SearchService } from "../../src/handler/search_service.ts";
import { errorFrame, type ClientFrame, type ServerFrame } from "../../src/protocol/frames.ts";
import type { BridgeToHandler } from "../../src/protocol/link.ts";
import { safeEqual } from "../../src/auth/secret.ts";

/** Dependencies of the link route. */
export interface LinkRouteDeps {
  upgradeWebSocket: UpgradeWebSocket;
  hub: LinkHub;
  service: MessageService;
  presence: PresenceService;
  /** Full-text search; without it `search` frames answer `unavailable`. */
  search?: SearchService;
  clusterSecret: string;
  handlerId: string;
  log: Logger;
  onFrame?: (type: string) => void;
}

/** Creates the `/link` sub-app. */
export function linkRoute(deps: LinkRouteDeps): Hono {
  const app = new Hono();
  app.get("/link", deps.upgradeWebSocket(() => {
    let bridgeId: string | null = null;
    let sock: LinkSocket | null = null;
    return {
      onMessage(ev, ws) {
        let msg: BridgeToHandler;
        try {
          msg = JSON.parse(String(ev.data)) as BridgeToHandler;
          if (typeof msg !== "object" || msg === null || typeof msg.t !== "string") throw new Error("not a frame");
        } catch {
          deps.log.warn("malformed link frame", { bridgeId });
          return;
        }
        deps.onFrame?.(msg.t);
        if (msg.t === "hello") {
          if (typeof msg.secret !== "string" || !safeEqual(msg.secret, deps.clusterSecret) || typeof msg.bridge !== "string") {
            deps.log.warn("link hello with a wrong secret");
            ws.close(4001, "unauthenticated");
            return;
          }
          bridgeId = msg.bridge;
          sock = wrap(ws);
          deps.hub.attach(bridgeId, sock, Array.isArray(msg.clients) ? msg.clients : []);
          ws.send(JSON.stringify({ t: "welcome", handler: deps.handlerId }));
          deps.log.info("bridge linked", { bridgeId, clients: msg.clients?.length ?? 0 });
          return;
        }
        if (!bridgeId) {
          ws.close(4001, "hello first");
          return;
        }
        const b = bridgeId;
        switch (msg.t) {
          case "online":
            deps.hub.online(b, msg.u, msg.d);
            ws.send(JSON.stringify({ t: "ok", ref: msg.ref }));
            return;
          case "offline":
            deps.hub.offline(b, msg.u, msg.d);
            return;
          case "req":
            void dispatch(deps, msg.u, msg.d, msg.f).then((f) => {
              if (f) ws.send(JSON.stringify({ t: "res", ref: msg.ref, f }));
            });
            return;
          default:
            deps.log.warn("unknown link frame", { bridgeId: b, t: (msg as { t: string }).t });
        }
      },
      onClose() {
        if (bridgeId && sock) {
          deps.hub.detach(bridgeId, sock);
          deps.log.info("bridge unlinked", { bridgeId });
        }
      },
    };
  }));
  return app;
}

/** Runs one client frame; returns the answer frame (or null when none is due). */
async function dispatch(deps: LinkRouteDeps, u: string, d: string, f: ClientFrame): Promise<ServerFrame | null> {
  const who = { userId: u, deviceId: d };
  try {
    switch (f.t) {
      case "send":
        return await deps.service.send(who, f);
      case "sync":
        return await deps.service.sync(who, f);
      case "history": {
        const page = await deps.service.history(who, f);
        return { t: "history", ref: f.ref, conv: f.conv, messages: page.messages, more: page.more };
      }
      case "receipt":
        await deps.service.receipt(who, f);
        return null;
      case "recall": {
        const ack = await deps.service.recall(who, f.conv, f.seq);
        return { ...ack, ref: f.ref };
      }
      case "delete":
        return await deps.service.deleteForMe(who, f.conv, f.seq, f.ref);
      case "typing":
        await deps.service.typing(who, f.conv);
        return null;
      case "presence_sub":
        return { t: "presence", ref: f.ref, states: await deps.presence.subscribe(who, f.users) };
      case "search": {
        if (!deps.search) throw new MagpieError("unavailable", "search is not enabled on this handler");
        const page = await deps.search.searchFor(who, { text: f.q, conv: f.conv, sender: f.sender, since: f.since, until: f.until, limit: f.limit, cursor: f.cursor });
        return { t: "search_result", ref: f.ref, hits: page.hits, next: page.next };
      }
      case "convs":
        return { t: "convs", ref: f.ref, conversations: await deps.service.listConversations(who) };
      default:
        throw new MagpieError("unknown_frame", "frame type not handled here");
    }
  } catch (err) {
    const e = toMagpieError(err);
    if (e.code === "internal") deps.log.error("request failed", { t: f.t, err: String((err as Error)?.stack ?? err) });
    const ref = f.t === "send" ? f.id : "ref" in f ? f.ref : undefined;
    return errorFrame(e, ref);
  }
}

function wrap(ws: WSContext): LinkSocket {
  return { send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) };
}
