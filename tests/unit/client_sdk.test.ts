/**
 * The SDK against real sockets: a fake bridge (Bun.serve WebSocket speaking protocol v1:
 * welcome, send/ack with dedupe, msg, sync/synced, history, move) and a registry stub (Bun.serve
 * HTTP). Behaviour switches on the fake bridge force the situations the SDK must survive.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Server, ServerWebSocket } from "bun";
import { MagpieClient, MemoryCursorStore, type MagpieClientOptions } from "../../src/client/index.ts";
import { MagpieError } from "../../src/core/errors.ts";
import type { Message } from "../../src/core/types.ts";

type WS = ServerWebSocket<{ user: string }>;
type Frame = Record<string, any>;

/** Shared message log (the "store" behind both fake bridges). */
class Log {
  readonly convs = new Map<string, Message[]>();
  private readonly ids = new Map<string, Message>();
  append(conv: string, sender: string, body: string, clientMsgId = crypto.randomUUID()): { m: Message; dup: boolean } {
    const key = `${sender}|${clientMsgId}`;
    const old = this.ids.get(key);
    if (old) return { m: old, dup: true };
    const list = this.convs.get(conv) ?? [];
    this.convs.set(conv, list);
    const m: Message = { convId: conv, seq: list.length + 1, senderId: sender, senderDevice: "d", clientMsgId, kind: "text", body, createdAt: Date.now() };
    list.push(m);
    this.ids.set(key, m);
    return { m, dup: false };
  }
  after(conv: string, after: number): Message[] {
    return (this.convs.get(conv) ?? []).filter((m) => m.seq > after);
  }
}

class FakeBridge {
  readonly server: Server<{ user: string }>;
  readonly frames: Frame[] = [];
  readonly sockets = new Set<WS>();
  /** Per-frame override: return true when handled. */
  hook?: (ws: WS, f: Frame) => boolean;
  heartbeatMs = 0;
  answerPings = true;

  constructor(readonly name: string, readonly log: Log) {
    this.server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, server) => {
        const token = new URL(req.url).searchParams.get("token") ?? "";
        return server.upgrade(req, { data: { user: token } }) ? undefined : new Response("no", { status: 400 });
      },
      websocket: {
        open: (ws) => {
          if (ws.data.user === "bad") {
            ws.send(JSON.stringify({ t: "error", code: "unauthenticated", message: "invalid token" }));
            ws.close(4001, "unauthenticated");
            return;
          }
          this.sockets.add(ws);
          ws.send(JSON.stringify({ t: "welcome", v: 1, user: ws.data.user, device: "dev1", bridge: name, heartbeatMs: this.heartbeatMs }));
        },
        message: (ws, raw) => this.onFrame(ws, JSON.parse(String(raw))),
        close: (ws) => void this.sockets.delete(ws),
      },
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${this.server.port}/ws`;
  }

  sent(t: string): Frame[] {
    return this.frames.filter((f) => f.t === t);
  }

  push(m: Message): void {
    for (const ws of this.sockets) ws.send(JSON.stringify({ t: "msg", m }));
  }

  private onFrame(ws: WS, f: Frame): void {
    this.frames.push(f);
    if (this.hook?.(ws, f)) return;
    const reply = (o: Frame): void => void ws.send(JSON.stringify(o));
    switch (f.t) {
      case "send": {
        if (f.conv === "g:forbidden") return reply({ t: "error", code: "not_member", message: "not a member", ref: f.id });
        const { m, dup } = this.log.append(f.conv, ws.data.user, f.body, f.id);
        return reply({ t: "ack", id: f.id, conv: f.conv, seq: m.seq, at: m.createdAt, dup });
      }
      case "sync": {
        const limit = f.limit ?? 500;
        const out: Message[] = [];
        let more = false;
        for (const [conv] of this.log.convs) {
          const rest = this.log.after(conv, f.cursors?.[conv] ?? 0);
          const room = limit - out.length;
          if (rest.length > room) more = true;
          out.push(...rest.slice(0, Math.max(0, room)));
        }
        const convs = [...this.log.convs].map(([convId, l]) => ({ convId, kind: "group", lastSeq: l.length, floorSeq: 0 }));
        return reply({ t: "synced", ref: f.ref, convs, messages: out, more });
      }
      case "history": {
        const rest = this.log.after(f.conv, f.after ?? 0);
        return reply({ t: "history", ref: f.ref, conv: f.conv, messages: rest.slice(0, f.limit), more: rest.length > f.limit });
      }
      case "ping":
        if (this.answerPings) reply({ t: "pong", ref: f.ref });
        return;
    }
  }
}

/** Registry stub: answers selections from `pick(callNumber)`. */
class Registry {
  calls = 0;
  readonly server: Server<undefined>;
  constructor(pick: (n: number) => FakeBridge | number) {
    this.server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) => {
        const u = new URL(req.url);
        if (u.pathname !== "/v1/bridges/select") return new Response("not found", { status: 404 });
        const b = pick(this.calls++);
        if (typeof b === "number") return Response.json({ error: { code: b === 503 ? "no_bridge_available" : "internal", message: "x" } }, { status: b });
        return Response.json({ bridge: { nodeId: b.name, publicUrl: b.url, region: "r1", zone: "z1" }, strategy: u.searchParams.get("strategy") });
      },
    });
  }
  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }
}

const CONV = "g:room";
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function world(n = 1) {
  const log = new Log();
  const bridges = Array.from({ length: n }, (_, i) => new FakeBridge(`b${i + 1}`, log));
  for (const b of bridges) cleanup.push(() => b.server.stop(true));
  return { log, bridges };
}

function registry(pick: (n: number) => FakeBridge | number): Registry {
  const r = new Registry(pick);
  cleanup.push(() => r.server.stop(true));
  return r;
}

function client(reg: Registry | string[], extra: Partial<MagpieClientOptions> = {}) {
  const c = new MagpieClient({
    registries: Array.isArray(reg) ? reg : [reg.url],
    token: "alice",
    userId: "alice",
    backoff: { baseMs: 5, capMs: 20 },
    rateLimit: false,
    ...extra,
  });
  const got: Message[] = [];
  c.on("message", (m) => got.push(m));
  cleanup.push(() => c.close());
  return { c, got, seqs: (conv = CONV) => got.filter((m) => m.convId === conv).map((m) => m.seq) };
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
};

describe("MagpieClient against a fake bridge", () => {
  test("connect syncs stored messages page by page, in order", async () => {
    const { log, bridges: [b] } = world();
    for (let i = 1; i <= 7; i++) log.append(CONV, "bob", `m${i}`);
    log.append("g:other", "bob", "x");
    const reg = registry(() => b!);
    const { c, seqs } = client(reg, { syncLimit: 3 });
    await c.connect();
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seqs("g:other")).toEqual([1]);
    expect(b!.sent("sync").length).toBe(3);
    expect(c.state).toBe("ready");
    expect(c.cursor(CONV)).toBe(7);
  });

  test("duplicate pushes are dropped", async () => {
    const { log, bridges: [b] } = world();
    const { c, seqs } = client(registry(() => b!));
    await c.connect();
    const m1 = log.append(CONV, "bob", "one").m;
    const m2 = log.append(CONV, "bob", "two").m;
    for (const m of [m1, m1, m2, m1, m2]) b!.push(m);
    await c.waitFor((m) => m.seq === 2);
    b!.push(m1);
    await Bun.sleep(20);
    await c.idle();
    expect(seqs()).toEqual([1, 2]);
    expect(c.stats.duplicates).toBeGreaterThanOrEqual(3);
    expect(b!.sent("history").length).toBe(0);
  });

  test("an out-of-order push pulls history and delivers in order", async () => {
    const { log, bridges: [b] } = world();
    const { c, seqs } = client(registry(() => b!));
    await c.connect();
    const ms = [1, 2, 3, 4].map((i) => log.append(CONV, "bob", `m${i}`).m);
    b!.push(ms[3]!);
    b!.push(ms[1]!);
    b!.push(ms[2]!);
    await c.waitFor((m) => m.seq === 4);
    await c.idle();
    expect(seqs()).toEqual([1, 2, 3, 4]);
    const pulls = b!.sent("history");
    expect(pulls.length).toBe(1);
    expect(pulls[0]!.after).toBe(0);
  });

  test("own sends resolve with the ack and join the stream once", async () => {
    const { log, bridges: [b] } = world();
    const { c, got } = client(registry(() => b!));
    await c.connect();
    const ack = await c.send(CONV, "hello");
    expect(ack).toMatchObject({ conv: CONV, seq: 1, dup: false });
    await c.idle();
    expect(got.map((m) => [m.seq, m.body, m.senderId])).toEqual([[1, "hello", "alice"]]);
    expect(log.after(CONV, 0).length).toBe(1);
  });

  test("sendDirect uses the deterministic direct conversation id", async () => {
    const { bridges: [b] } = world();
    const { c } = client(registry(() => b!));
    await c.connect();
    expect((await c.sendDirect("bob", "hi")).conv).toBe("d:alice:bob");
  });

  test("an unacked send is retried with the same id on ack timeout", async () => {
    const { log, bridges: [b] } = world();
    let dropped = 0;
    b!.hook = (_ws, f) => f.t === "send" && dropped++ === 0;
    const { c } = client(registry(() => b!), { ackTimeoutMs: 50 });
    await c.connect();
    const ack = await c.send(CONV, "retry me");
    const sends = b!.sent("send");
    expect(sends.length).toBe(2);
    expect(sends[0]!.id).toBe(sends[1]!.id);
    expect(ack.seq).toBe(1);
    expect(log.after(CONV, 0).length).toBe(1);
  });

  test("a send whose ack is lost is resent with the same id after a forced reconnect; resolves once", async () => {
    const { log, bridges: [b1, b2] } = world(2);
    // b1 stores the first send but the link dies before the ack.
    b1!.hook = (ws, f) => {
      if (f.t !== "send") return false;
      log.append(f.conv, ws.data.user, f.body, f.id);
      ws.close(1011, "crash");
      return true;
    };
    const reg = registry((n) => (n === 0 ? b1! : b2!));
    const { c, got } = client(reg, { ackTimeoutMs: 5_000 });
    await c.connect();
    let settled = 0;
    const ack = await c.send(CONV, "exactly once").finally(() => settled++);
    expect(ack).toMatchObject({ seq: 1, dup: true });
    expect(b1!.sent("send")[0]!.id).toBe(b2!.sent("send")[0]!.id);
    expect(log.after(CONV, 0).length).toBe(1);
    expect(reg.calls).toBe(2);
    await c.idle();
    expect(got.map((m) => m.seq)).toEqual([1]); // synced after reconnect, the dup ack adds nothing
    expect(settled).toBe(1);
  });

  test("a caller-chosen client message id is idempotent across sends", async () => {
    const { log, bridges: [b] } = world();
    const { c } = client(registry(() => b!));
    await c.connect();
    const first = await c.send(CONV, "once", { clientMsgId: "fixed-1" });
    const again = await c.send(CONV, "once", { clientMsgId: "fixed-1" });
    expect([first.seq, first.dup, again.seq, again.dup]).toEqual([1, false, 1, true]);
    expect(log.after(CONV, 0).length).toBe(1);
  });

  test("receipt frames become receipt events; receipt() sends one", async () => {
    const { bridges: [b] } = world();
    const { c } = client(registry(() => b!));
    await c.connect();
    const seen = new Promise((resolve) => c.on("receipt", resolve));
    for (const ws of b!.sockets) ws.send(JSON.stringify({ t: "receipt", conv: CONV, user: "bob", device: "d", seq: 3, kind: "read" }));
    expect(await seen).toMatchObject({ conv: CONV, user: "bob", seq: 3, kind: "read" });
    expect(c.receipt(CONV, 3)).toBe(true);
    await until(() => b!.sent("receipt").length === 1);
    expect(b!.sent("receipt")[0]).toEqual({ t: "receipt", conv: CONV, seq: 3, kind: "read" });
  });

  test("non-retryable error frames reject the send with their code", async () => {
    const { bridges: [b] } = world();
    const { c } = client(registry(() => b!));
    await c.connect();
    const err = await c.send("g:forbidden", "x").catch((e) => e);
    expect(err).toBeInstanceOf(MagpieError);
    expect((err as MagpieError).code).toBe("not_member");
    expect(b!.sent("send").length).toBe(1);
  });

  test("invalid input is refused locally", async () => {
    const { bridges: [b] } = world();
    const { c } = client(registry(() => b!));
    await c.connect();
    expect(((await c.send(CONV, "").catch((e) => e)) as MagpieError).code).toBe("body_empty");
    expect(((await c.send(CONV, "x".repeat(16_385)).catch((e) => e)) as MagpieError).code).toBe("body_too_large");
    expect(((await c.send("nope", "x").catch((e) => e)) as MagpieError).code).toBe("invalid_id");
    expect(((await c.send(CONV, "x", { clientMsgId: "has space" }).catch((e) => e)) as MagpieError).code).toBe("invalid_id");
    expect(b!.sent("send").length).toBe(0);
  });

  test("move makes the client reselect through the registry and resume on the new bridge", async () => {
    const { log, bridges: [b1, b2] } = world(2);
    const reg = registry((n) => (n === 0 ? b1! : b2!));
    const { c, seqs } = client(reg);
    await c.connect();
    expect(c.bridge?.nodeId).toBe("b1");
    const moved = c.waitForState("reconnecting");
    for (const ws of b1!.sockets) {
      ws.send(JSON.stringify({ t: "move", reason: "draining", retryAfterMs: 0 }));
      ws.close(4010, "moved");
    }
    await moved;
    log.append(CONV, "bob", "while moving");
    await c.waitForState("ready");
    expect(c.bridge?.nodeId).toBe("b2");
    expect(reg.calls).toBe(2);
    await until(() => seqs().length > 0);
    expect(seqs()).toEqual([1]);
    expect(b2!.sent("sync")[0]!.cursors).toEqual({});
  });

  test("close code 4001 stops the client with an auth error and no reconnect loop", async () => {
    const { bridges: [b] } = world();
    const reg = registry(() => b!);
    const { c } = client(reg, { token: "bad" });
    const errors: string[] = [];
    c.on("error", (e) => errors.push(e.code));
    const err = await c.connect().catch((e) => e);
    expect((err as MagpieError).code).toBe("unauthenticated");
    expect(c.state).toBe("closed");
    await Bun.sleep(50);
    expect(reg.calls).toBe(1);
    expect(errors).toContain("unauthenticated");
  });

  test("registry failover: unreachable and failing registries are skipped", async () => {
    const { bridges: [b] } = world();
    const dead = Bun.serve({ port: 0, fetch: () => new Response() });
    const deadUrl = `http://127.0.0.1:${dead.port}`;
    dead.stop(true);
    const failing = registry(() => 500);
    const empty = registry(() => 503);
    const good = registry(() => b!);
    const { c } = client([deadUrl, failing.url, empty.url, good.url], { strategy: "least-connections", region: "r1" });
    await c.connect();
    expect(failing.calls).toBe(1);
    expect(empty.calls).toBe(1);
    expect(good.calls).toBe(1);
  });

  test("a silent link is dropped by the heartbeat and replaced", async () => {
    const { bridges: [b1, b2] } = world(2);
    b1!.heartbeatMs = 20;
    b1!.answerPings = false;
    const reg = registry((n) => (n === 0 ? b1! : b2!));
    const { c } = client(reg);
    await c.connect();
    await until(() => c.bridge?.nodeId === "b2" && c.state === "ready");
    expect(b1!.sent("ping").length).toBeGreaterThan(0);
  });

  test("cursors persist in the store: a new client resumes after them", async () => {
    const { log, bridges: [b] } = world();
    for (let i = 1; i <= 3; i++) log.append(CONV, "bob", `m${i}`);
    const store = new MemoryCursorStore();
    const first = client(registry(() => b!), { cursorStore: store });
    await first.c.connect();
    await first.c.close();
    log.append(CONV, "bob", "m4");
    const second = client(registry(() => b!), { cursorStore: store });
    await second.c.connect();
    expect(second.seqs()).toEqual([4]);
  });

  test("client rate limiting: reject mode refuses beyond the burst, wait mode queues in order", async () => {
    const { bridges: [b] } = world();
    const rejecting = client(registry(() => b!), { rateLimit: { ratePerSec: 0.001, burst: 2, mode: "reject" } });
    await rejecting.c.connect();
    const results = await Promise.allSettled([1, 2, 3].map((i) => rejecting.c.send(CONV, `r${i}`)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect(((results[2] as PromiseRejectedResult).reason as MagpieError).code).toBe("rate_limited");
    expect(b!.sent("send").length).toBe(2);

    const waiting = client(registry(() => b!), { rateLimit: { ratePerSec: 200, burst: 1 }, token: "carol", userId: "carol" });
    await waiting.c.connect();
    const acks = await Promise.all([1, 2, 3, 4].map((i) => waiting.c.send("g:w", `w${i}`)));
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3, 4]);
    expect(b!.sent("send").filter((f) => f.conv === "g:w").map((f) => f.body)).toEqual(["w1", "w2", "w3", "w4"]);
  });

  test("close rejects pending sends and stops reconnecting", async () => {
    const { bridges: [b] } = world();
    b!.hook = (_ws, f) => f.t === "send"; // never acked
    const reg = registry(() => b!);
    const { c } = client(reg);
    await c.connect();
    const p = c.send(CONV, "never acked").catch((e) => e);
    await until(() => b!.sent("send").length === 1);
    await c.close();
    expect(((await p) as MagpieError).code).toBe("unavailable");
    expect(c.state).toBe("closed");
    await Bun.sleep(30);
    expect(reg.calls).toBe(1);
  });
});
