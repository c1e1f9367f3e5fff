/**
 * Load generator process (one of several): drives Magpie's protocol v1 or a baseline relay that
 * speaks the same frames, over raw WebSockets (Magpie, Bun relay) or socket.io-client (Socket.IO
 * relay). Started by scripts/bench/run.ts with one JSON spec argument; talks JSON lines (events
 * on stdout, commands on stdin).
 *
 * Modes:
 *   pairs  — P sender/receiver pairs, each in its own direct conversation. Commands: `warm`
 *            (one message per pair), `run` {kind: "closed", window, seconds} or
 *            {kind: "open", rate, seconds}. Records send→ack and send→deliver latencies and
 *            checks every acked message is delivered exactly once.
 *   conns  — N idle connections with pings flowing (`report`, `exit`).
 *   group  — N online group members; `expect` {id} records when each member has message `id`.
 *   sync   — one sender pushes `count` messages to an offline receiver, which then connects and
 *            syncs until caught up.
 */
import { signUserToken } from "../../../src/auth/jwt.ts";
import { Hist } from "../lib/hist.ts";

type Target = "magpie" | "relay" | "socketio";
interface Spec {
  mode: "pairs" | "conns" | "group" | "sync";
  target: Target;
  /** ws://host:port/ws (Magpie, Bun relay) or http://host:port (Socket.IO). Several: round robin. */
  urls: string[];
  secret: string;
  prefix: string;
  gid: string;
  pairs?: number;
  count?: number;
  concurrency?: number;
  pingMs?: number;
  window?: number;
  bodyBytes?: number;
}

const spec = JSON.parse(process.argv[2]!) as Spec;
const emit = (e: Record<string, unknown>) => process.stdout.write(JSON.stringify(e) + "\n");
const now = () => performance.now();
const absNow = () => performance.timeOrigin + performance.now();
/** Realistic chat lines (mixed Chinese/English, 60–100 UTF-8 bytes), rotated per message. */
const BODIES = [
  "明天下午三点开会，讨论新版本的发布计划",
  "Can we move the standup to 10:30? The build is red.",
  "好的，我把 benchmark 结果发到群里",
  "收到，晚上八点前给你回复 ok",
  "Deploy went fine, latency looks normal now 👍",
];
/** `bodies: "noterms"` (experiments only): bodies without search-index terms, to isolate that cost. */
if ((spec as { bodies?: string }).bodies === "noterms") BODIES.splice(0, BODIES.length, "👍 👍 👍", "🙂", "!!! ???", "👋", "… ?! 1");
let bodyN = 0;
const body = () => BODIES[bodyN++ % BODIES.length]!;

// ---------------------------------------------------------------- transport

interface Conn {
  user: string;
  send(f: Record<string, unknown>): void;
  close(): void;
  open: boolean;
}

let ioMod: any = null;

/** Opens a connection as `user`; resolves after the server's `welcome`. */
async function connect(user: string, i: number, onFrame: (f: any) => void, onClose?: () => void): Promise<Conn> {
  const url = spec.urls[i % spec.urls.length]!;
  if (spec.target === "socketio") {
    ioMod ??= await import("socket.io-client");
    return await new Promise<Conn>((res, rej) => {
      const s = ioMod.io(url, { transports: ["websocket"], query: { user }, reconnection: false, forceNew: true });
      const c: Conn = { user, open: false, send: (f) => s.emit("f", f), close: () => s.disconnect() };
      const t = setTimeout(() => rej(new Error("socket.io connect timeout")), 30_000);
      s.on("f", (f: any) => {
        if (f.t === "welcome" && !c.open) {
          c.open = true;
          clearTimeout(t);
          res(c);
          return;
        }
        onFrame(f);
      });
      s.on("connect_error", (e: Error) => { clearTimeout(t); rej(e); });
      s.on("disconnect", () => { c.open = false; onClose?.(); });
    });
  }
  const q = spec.target === "magpie" ? `token=${await signUserToken(spec.secret, user, "d1")}` : `user=${encodeURIComponent(user)}`;
  return await new Promise<Conn>((res, rej) => {
    const ws = new WebSocket(`${url}?${q}`);
    const c: Conn = { user, open: false, send: (f) => ws.send(JSON.stringify(f)), close: () => ws.close() };
    const t = setTimeout(() => { rej(new Error("connect timeout")); try { ws.close(); } catch { /* */ } }, 60_000);
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data as string);
      if (f.t === "welcome" && !c.open) {
        c.open = true;
        clearTimeout(t);
        res(c);
        return;
      }
      onFrame(f);
    };
    ws.onerror = () => { clearTimeout(t); rej(new Error("ws error")); };
    ws.onclose = (ev) => {
      clearTimeout(t);
      if (!c.open) rej(new Error(`closed before welcome: ${ev.code} ${ev.reason}`));
      c.open = false;
      onClose?.();
    };
  });
}

/** Opens `users` connections, `concurrency` at a time; returns the ones that made it. */
async function connectAll(users: string[], onFrame: (u: number) => (f: any) => void, onClose?: () => void): Promise<{ conns: (Conn | null)[]; failed: number; errors: Record<string, number> }> {
  const conns: (Conn | null)[] = new Array(users.length).fill(null);
  let next = 0, failed = 0, done = 0;
  const errors: Record<string, number> = {};
  const conc = spec.concurrency ?? 200;
  let lastProgress = now();
  await Promise.all(Array.from({ length: Math.min(conc, users.length) }, async () => {
    while (next < users.length) {
      const i = next++;
      try {
        conns[i] = await connect(users[i]!, i, onFrame(i), onClose);
      } catch (e) {
        failed++;
        const k = String((e as Error).message).slice(0, 60);
        errors[k] = (errors[k] ?? 0) + 1;
      }
      done++;
      if (now() - lastProgress > 1000) {
        lastProgress = now();
        emit({ ev: "progress", connected: done - failed, failed, of: users.length });
      }
    }
  }));
  return { conns, failed, errors };
}

// ---------------------------------------------------------------- commands

const handlers: Record<string, (c: any) => unknown> = {};
{
  let buf = "";
  process.stdin.on("data", (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const cmd = JSON.parse(line);
      if (cmd.cmd === "exit") process.exit(0);
      void Promise.resolve(handlers[cmd.cmd]?.(cmd)).catch((e) => emit({ ev: "fatal", err: String(e?.stack ?? e) }));
    }
  });
}

// ---------------------------------------------------------------- pairs

async function pairs(): Promise<void> {
  const P = spec.pairs!;
  const senders: string[] = [], receivers: string[] = [], convs: string[] = [];
  for (let i = 0; i < P; i++) {
    const s = `${spec.prefix}s${i}`, r = `${spec.prefix}r${i}`;
    senders.push(s);
    receivers.push(r);
    convs.push(s <= r ? `d:${s}:${r}` : `d:${r}:${s}`);
  }
  // per pair: send times (ms, performance clock) and delivery counts, indexed by message number
  const sentAt: number[][] = Array.from({ length: P }, () => []);
  const acked: Uint8Array[] = Array.from({ length: P }, () => new Uint8Array(1024));
  const deliv: Uint8Array[] = Array.from({ length: P }, () => new Uint8Array(1024));
  let ackHist = new Hist(), delHist = new Hist();
  let sent = 0, ackN = 0, errN = 0, delN = 0, dupN = 0, unknownN = 0;
  const errors: Record<string, number> = {};
  let running = false;
  let onAck: ((pair: number) => void) | null = null;
  const grow = (a: Uint8Array[], p: number, n: number) => {
    if (n >= a[p]!.length) {
      const b = new Uint8Array(Math.max(n + 1, a[p]!.length * 2));
      b.set(a[p]!);
      a[p] = b;
    }
  };
  const parseId = (id: string): [number, number] => {
    const j = id.lastIndexOf("."), k = id.lastIndexOf(".", j - 1);
    return [Number(id.slice(k + 1, j)), Number(id.slice(j + 1))];
  };
  const sendOne = (p: number, t0: number) => {
    const n = sentAt[p]!.length;
    sentAt[p]!.push(t0);
    sent++;
    sc[p]!.send({ t: "send", id: `${spec.gid}.${p}.${n}`, conv: convs[p]!, body: body() });
  };
  const onSenderFrame = (_p: number) => (f: any) => {
    if (f.t === "ack") {
      const [p, n] = parseId(f.id);
      grow(acked, p, n);
      if (acked[p]![n]) return;
      acked[p]![n] = 1;
      ackN++;
      ackHist.recordMs(now() - sentAt[p]![n]!);
      onAck?.(p);
    } else if (f.t === "error") {
      errN++;
      errors[f.code] = (errors[f.code] ?? 0) + 1;
      if (typeof f.ref === "string") onAck?.(parseId(f.ref)[0]);
    }
  };
  const onReceiverFrame = (_p: number) => (f: any) => {
    if (f.t !== "msg") return;
    const id: string = f.m.clientMsgId;
    if (!id.startsWith(spec.gid + ".")) { unknownN++; return; }
    const [p, n] = parseId(id);
    grow(deliv, p, n);
    const c = deliv[p]![n]!;
    deliv[p]![n] = c + 1;
    if (c > 0) { dupN++; return; }
    delN++;
    delHist.recordMs(now() - sentAt[p]![n]!);
  };
  let closedN = 0;
  const onClosed = () => { closedN++; };
  const r1 = await connectAll(receivers, onReceiverFrame, onClosed);
  const r2 = await connectAll(senders, onSenderFrame, onClosed);
  const sc = r2.conns as Conn[];
  if (r1.failed || r2.failed) throw new Error(`pairs: ${r1.failed + r2.failed} connections failed: ${JSON.stringify({ ...r1.errors, ...r2.errors })}`);
  emit({ ev: "ready", conns: 2 * P });

  /** Waits until everything sent is answered and every ack delivered, while progress continues
   * (gives up after `idleMs` without progress or `maxMs` in all). */
  const settle = async (maxMs: number, idleMs = 10_000) => {
    const until = now() + maxMs;
    let mark = ackN + errN + delN, lastMove = now();
    while (now() < until && (ackN + errN < sent || delN < ackN)) {
      await Bun.sleep(20);
      const m = ackN + errN + delN;
      if (m !== mark) { mark = m; lastMove = now(); }
      else if (now() - lastMove > idleMs) break;
    }
  };

  handlers.warm = async () => {
    for (let p = 0; p < P; p++) sendOne(p, now());
    await settle(30_000);
    emit({ ev: "warmed", sent, acked: ackN, delivered: delN, errors });
  };

  handlers.run = async (c: { kind: "closed" | "open"; window?: number; rate?: number; seconds: number; drainMs?: number; maxBacklogS?: number }) => {
    ackHist = new Hist();
    delHist = new Hist();
    const base = { sent, ackN, delN, errN, dupN };
    running = true;
    const t0 = now();
    const end = t0 + c.seconds * 1000;
    let timer: ReturnType<typeof setInterval> | undefined;
    let saturatedAtMs: number | null = null;
    const prog = setInterval(() => emit({ ev: "progress", acked: ackN - base.ackN, delivered: delN - base.delN, errors: errN - base.errN, sent: sent - base.sent, closed: closedN }), 1000);
    if (c.kind === "closed") {
      onAck = (p) => { if (running && now() < end) sendOne(p, now()); };
      for (let w = 0; w < (c.window ?? 1); w++) for (let p = 0; p < P; p++) sendOne(p, now());
    } else {
      const period = 1000 / c.rate!;
      let k = 0;
      onAck = null;
      // Open loop, but stop early once the backlog (sent, not answered) exceeds maxBacklogS seconds
      // of the rate: the system is saturated and more load only measures the queue.
      const maxBacklog = Math.max(50, c.rate! * (c.maxBacklogS ?? 3));
      timer = setInterval(() => {
        const t = now();
        if (saturatedAtMs === null && sent - base.sent - (ackN - base.ackN) - (errN - base.errN) > maxBacklog) {
          saturatedAtMs = Math.round(t - t0);
          clearInterval(timer);
          return;
        }
        const due = Math.min(Math.floor((Math.min(t, end) - t0) / period), Math.ceil(c.seconds * c.rate!));
        for (; k < due; k++) sendOne(k % P, t0 + k * period); // latency from the scheduled time
      }, 1);
    }
    while (now() < end) await Bun.sleep(10);
    running = false;
    clearInterval(timer);
    const win = { acked: ackN - base.ackN, delivered: delN - base.delN, ms: now() - t0 };
    await settle(c.drainMs ?? 180_000);
    clearInterval(prog);
    onAck = null;
    // Exactly-once check over everything this process sent so far.
    let lost = 0, ackedTotal = 0, deliveredUnacked = 0;
    for (let p = 0; p < P; p++) {
      for (let n = 0; n < sentAt[p]!.length; n++) {
        const a = acked[p]![n] ?? 0, d = deliv[p]![n] ?? 0;
        if (a) { ackedTotal++; if (d === 0) lost++; }
        else if (d) deliveredUnacked++;
      }
    }
    emit({
      ev: "result", kind: c.kind, seconds: c.seconds, rate: c.rate, window: c.window, saturatedAtMs, closed: closedN,
      sent: sent - base.sent, acked: ackN - base.ackN, delivered: delN - base.delN, errors: { ...errors }, errorCount: errN - base.errN,
      duplicates: dupN, unknown: unknownN, window_: win, totals: { sent, ackedTotal, lost, deliveredUnacked, duplicates: dupN },
      ack: ackHist.toJSON(), deliver: delHist.toJSON(),
    });
  };
}

// ---------------------------------------------------------------- conns / group

async function conns(): Promise<void> {
  const N = spec.count!;
  const users = Array.from({ length: N }, (_, i) => `${spec.prefix}${i}`);
  let pongs = 0, pings = 0, closed = 0;
  const expect = new Map<string, { at: number[] }>();
  const wanted = { id: "", got: 0, first: 0, last: 0, fired: false };
  const onFrame = (_i: number) => (f: any) => {
    if (f.t === "pong") pongs++;
    else if (f.t === "msg" && f.m?.clientMsgId === wanted.id) {
      const t = absNow();
      if (wanted.got === 0) wanted.first = t;
      wanted.got++;
      wanted.last = t;
      if (wanted.got === live() && !wanted.fired) {
        wanted.fired = true;
        emit({ ev: "got", id: wanted.id, got: wanted.got, firstAt: wanted.first, lastAt: wanted.last });
      }
    }
  };
  void expect;
  const t0 = now();
  const { conns: cs, failed, errors } = await connectAll(users, onFrame, () => closed++);
  const ok = cs.filter((c): c is Conn => c !== null);
  const live = () => ok.length - closed;
  emit({ ev: "ready", opened: ok.length, failed, errors, ms: Math.round(now() - t0) });
  if (spec.mode === "conns" && spec.pingMs) {
    // Spread pings: every 100 ms, ping the next slice so each socket pings once per pingMs.
    const slice = Math.max(1, Math.ceil(ok.length / (spec.pingMs / 100)));
    let at = 0;
    setInterval(() => {
      for (let k = 0; k < slice && ok.length > 0; k++) {
        const c = ok[at++ % ok.length]!;
        if (c.open) { c.send({ t: "ping" }); pings++; }
      }
    }, 100);
  }
  handlers.report = () => emit({ ev: "report", open: live(), closed, pings, pongs });
  handlers.expect = (c: { id: string }) => {
    Object.assign(wanted, { id: c.id, got: 0, first: 0, last: 0, fired: false });
    emit({ ev: "armed" });
  };
  handlers.status = () => emit({ ev: "status", id: wanted.id, got: wanted.got, firstAt: wanted.first, lastAt: wanted.last, open: live() });
}

// ---------------------------------------------------------------- sync

async function sync(): Promise<void> {
  const N = spec.count!;
  const W = spec.window ?? 256;
  const s = `${spec.prefix}snd`, r = `${spec.prefix}rcv`;
  const conv = s <= r ? `d:${s}:${r}` : `d:${r}:${s}`;
  emit({ ev: "ready" });
  let acked = 0, sent = 0;
  const errors: Record<string, number> = {};
  let sender: Conn;
  const done = new Promise<void>((res) => {
    const next = () => {
      if (sent < N) sender.send({ t: "send", id: `${spec.gid}.${sent++}`, conv, body: body() });
    };
    void connect(s, 0, (f) => {
      if (f.t === "ack" || f.t === "error") {
        if (f.t === "error") errors[f.code] = (errors[f.code] ?? 0) + 1;
        acked++;
        if (acked % 2000 === 0) emit({ ev: "progress", acked });
        if (acked === N) res();
        else next();
      }
    }).then((c) => {
      sender = c;
      for (let i = 0; i < W; i++) next();
    }, (e) => {
      emit({ ev: "fatal", err: `sender connect: ${e}` });
      process.exit(1);
    });
  });
  const tw = now();
  await done;
  const writeMs = now() - tw;
  sender!.close();
  // The receiver comes online with an empty cursor and syncs until it has all N.
  const t0 = now();
  let tWelcome = 0, pages = 0, got = 0, ordered = true, lastSeq = 0;
  const seen = new Set<number>();
  let rc: Conn;
  await new Promise<void>((res, rej) => {
    let cursor = 0;
    const ask = () => rc.send({ t: "sync", ref: `p${pages}`, cursors: { [conv]: cursor }, limit: 1000 });
    void connect(r, 0, (f) => {
      if (f.t === "error") rej(new Error(`sync error ${f.code}: ${f.message}`));
      if (f.t !== "synced") return;
      pages++;
      for (const m of f.messages) {
        if (m.convId !== conv) continue;
        if (m.seq !== lastSeq + 1) ordered = false;
        lastSeq = m.seq;
        if (!seen.has(m.seq)) { seen.add(m.seq); got++; }
        cursor = Math.max(cursor, m.seq);
      }
      if (!f.more || got >= N) res();
      else ask();
    }).then((c) => {
      rc = c;
      tWelcome = now();
      ask();
    }, rej);
  });
  const total = now() - t0;
  emit({ ev: "result", count: N, writeMs: Math.round(writeMs), writeRate: Math.round(N / (writeMs / 1000)), errors, got, pages, ordered, connectMs: Math.round((tWelcome - t0) * 10) / 10, syncMs: Math.round((total - (tWelcome - t0)) * 10) / 10, totalMs: Math.round(total * 10) / 10 });
  rc!.close();
}

try {
  if (spec.mode === "pairs") await pairs();
  else if (spec.mode === "sync") await sync();
  else await conns();
} catch (e) {
  emit({ ev: "fatal", err: String((e as Error)?.stack ?? e) });
  process.exit(1);
}
