/**
 * Baseline: a minimal raw Bun WebSocket relay speaking the same frames as Magpie's protocol v1
 * subset the bench uses (welcome, send → ack, msg push to the other member of a `d:a:b`
 * conversation, ping → pong). No auth, no persistence, no validation: the runtime's ceiling.
 *
 *   node_modules/.bin/bun run scripts/bench/baselines/bun_relay.ts   (PORT=0 → any free port)
 */
const users = new Map<string, Bun.ServerWebSocket<{ user: string }>>();
const seqs = new Map<string, number>();

const server = Bun.serve<{ user: string }>({
  hostname: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch(req, srv) {
    const user = new URL(req.url).searchParams.get("user") ?? "";
    if (srv.upgrade(req, { data: { user } })) return;
    return new Response("relay", { status: 200 });
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 120,
    open(ws) {
      users.set(ws.data.user, ws);
      ws.send(JSON.stringify({ t: "welcome", v: 1, user: ws.data.user }));
    },
    message(ws, data) {
      const f = JSON.parse(String(data));
      if (f.t === "ping") return void ws.send('{"t":"pong"}');
      if (f.t !== "send") return;
      const seq = (seqs.get(f.conv) ?? 0) + 1;
      seqs.set(f.conv, seq);
      const at = Date.now();
      const [, a, b] = (f.conv as string).split(":");
      const to = a === ws.data.user ? b! : a!;
      ws.send(JSON.stringify({ t: "ack", id: f.id, conv: f.conv, seq, at, dup: false }));
      users.get(to)?.send(JSON.stringify({ t: "msg", m: { convId: f.conv, seq, senderId: ws.data.user, senderDevice: "d1", clientMsgId: f.id, kind: "text", body: f.body, createdAt: at } }));
    },
    close(ws) {
      if (users.get(ws.data.user) === ws) users.delete(ws.data.user);
    },
  },
});
console.error(JSON.stringify({ msg: "listening", port: server.port, runtime: `bun ${Bun.version}` }));
