/**
 * Connection-memory baseline: the smallest WebSocket server built the way Magpie's bridge is
 * (Hono route + hono/bun upgradeWebSocket on Bun.serve), holding connections and answering
 * pings. Separates what the Hono adapter costs per connection from what Magpie adds.
 *
 *   node_modules/.bin/bun run scripts/bench/baselines/hono_ws.ts   (logs {"msg":"listening","port":N})
 */
import { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
const app = new Hono();
const users = new Map<string, any>();
app.get("/ws", upgradeWebSocket((c) => {
  const user = c.req.query("user") ?? "";
  return {
    onOpen(_e, ws) { users.set(user, ws); ws.send(JSON.stringify({ t: "welcome" })); },
    onMessage(ev, ws) { const f = JSON.parse(String(ev.data)); if (f.t === "ping") ws.send('{"t":"pong"}'); },
    onClose() { users.delete(user); },
  };
}));
const server = Bun.serve({ hostname: process.env.HOST ?? "127.0.0.1", port: 0, fetch: app.fetch, websocket: { ...websocket, idleTimeout: 120, perMessageDeflate: false, sendPings: true } });
console.error(JSON.stringify({ msg: "listening", port: server.port }));
