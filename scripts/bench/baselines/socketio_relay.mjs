/**
 * Baseline: a Socket.IO relay on Node (what many teams would pick), speaking the same frames as
 * the Bun relay inside Socket.IO events named "f": welcome, send → ack, msg push to the other
 * member of a `d:a:b` conversation, ping → pong. WebSocket transport only, no persistence.
 *
 *   node scripts/bench/baselines/socketio_relay.mjs   (PORT=0 → any free port)
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
const users = new Map();
const seqs = new Map();

io.on("connection", (socket) => {
  const user = String(socket.handshake.query.user ?? "");
  users.set(user, socket);
  socket.emit("f", { t: "welcome", v: 1, user });
  socket.on("f", (f) => {
    if (f.t === "ping") return void socket.emit("f", { t: "pong" });
    if (f.t !== "send") return;
    const seq = (seqs.get(f.conv) ?? 0) + 1;
    seqs.set(f.conv, seq);
    const at = Date.now();
    const [, a, b] = String(f.conv).split(":");
    const to = a === user ? b : a;
    socket.emit("f", { t: "ack", id: f.id, conv: f.conv, seq, at, dup: false });
    users.get(to)?.emit("f", { t: "msg", m: { convId: f.conv, seq, senderId: user, senderDevice: "d1", clientMsgId: f.id, kind: "text", body: f.body, createdAt: at } });
  });
  socket.on("disconnect", () => {
    if (users.get(user) === socket) users.delete(user);
  });
});

http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.error(JSON.stringify({ msg: "listening", port: http.address().port, runtime: `node ${process.version}` }));
});
