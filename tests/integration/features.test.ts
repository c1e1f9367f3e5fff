/**
 * Storage-side features end to end on real processes and real Cassandra: history paging while
 * messages arrive, the conversation list, receipts, typing, presence, recall and delete-for-me,
 * on every device.
 */
import { describe, expect, test } from "bun:test";
import { signUserToken } from "../../src/auth/jwt.ts";
import { MagpieClient, MemoryCursorStore } from "../../src/client/index.ts";
import { directConvId } from "../../src/core/ids.ts";
import type { Message } from "../../src/core/types.ts";
import type { PresenceState } from "../../src/protocol/frames.ts";
import { waitUntil } from "../helpers/cluster.ts";
import { cassandraClusterSuite } from "../helpers/suite.ts";

const suite = cassandraClusterSuite("magpie_feat", { registries: 1, handlers: 2, bridges: 2, env: { MAGPIE_RECALL_WINDOW_S: "6" } });
const clients = suite.clients;

type Probe = MagpieClient & { got: Message[]; events: { t: string; v: unknown }[] };
async function client(user: string, device: string, cursors?: MemoryCursorStore): Promise<Probe> {
  const c = new MagpieClient({
    registries: suite.cluster.registryUrls, userId: user, rateLimit: false, cursorStore: cursors,
    token: () => signUserToken("dev-jwt-secret", user, device),
  }) as Probe;
  c.got = [];
  c.events = [];
  c.on("message", (m: Message) => c.got.push(m));
  for (const t of ["receipt", "typing", "presence", "recall", "deleted"] as const) c.on(t, (v: unknown) => c.events.push({ t, v }));
  clients.push(c);
  await c.connect();
  return c;
}
const ev = (c: Probe, t: string) => c.events.filter((e) => e.t === t).map((e) => e.v as Record<string, unknown>);


describe("history and the conversation list", () => {
  test("paging backwards is complete and stable while new messages arrive", async () => {
    const a = await client("pa", "d1");
    const conv = directConvId("pa", "pb");
    for (let i = 1; i <= 45; i++) await a.send(conv, `m${i}`);
    const seen: number[] = [];
    let before: number | undefined;
    let round = 0;
    for (;;) {
      const page = await a.history(conv, { before, limit: 10 });
      seen.push(...page.messages.map((m) => m.seq));
      await a.send(conv, `late${round++}`); // arrives while we page; must not disturb older pages
      if (!page.more) break;
      before = page.messages[page.messages.length - 1]!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => 45 - i));
    const forward = await a.history(conv, { after: 40, limit: 100 });
    expect(forward.messages.map((m) => m.body).slice(0, 5)).toEqual(["m41", "m42", "m43", "m44", "m45"]);
  });

  test("conversation list: last message and unread count; a read receipt clears unread on every device and tells the sender", async () => {
    const s = await client("ls", "d1");
    const r1 = await client("lr", "phone");
    const r2 = await client("lr", "laptop");
    const conv = directConvId("ls", "lr");
    for (let i = 1; i <= 3; i++) await s.send(conv, `hi ${i}`);
    await waitUntil(() => r1.got.filter((m) => m.convId === conv).length === 3, 10_000, "delivery");
    let list = await r1.conversations();
    const row = list.find((c) => c.convId === conv)!;
    expect(row.unread).toBe(3);
    expect(row.lastMessage?.body).toBe("hi 3");
    r1.receipt(conv, 3, "read");
    await waitUntil(() => ev(s, "receipt").some((e) => e.seq === 3 && e.kind === "read" && e.user === "lr"), 10_000, "sender sees read receipt");
    await waitUntil(() => ev(r2, "receipt").some((e) => e.seq === 3 && e.user === "lr"), 10_000, "reader's other device sees it");
    list = await r2.conversations();
    expect(list.find((c) => c.convId === conv)!.unread).toBe(0);
  });
});

describe("typing and presence", () => {
  test("typing reaches the other member's devices and is never stored", async () => {
    const a = await client("ta", "d1");
    const b = await client("tb", "d1");
    const conv = directConvId("ta", "tb");
    a.typing(conv);
    await waitUntil(() => ev(b, "typing").some((e) => e.conv === conv && e.user === "ta"), 10_000, "typing");
    expect((await b.history(conv, { limit: 10 })).messages).toHaveLength(0);
    expect(ev(a, "typing")).toHaveLength(0);
  });

  test("presence: subscribe, see online, offline with last seen, online again", async () => {
    const watcher = await client("pw", "d1");
    const states = await watcher.subscribePresence(["pf"]);
    expect(states).toEqual([{ user: "pf", online: false }]);
    const friend = await client("pf", "d1");
    const last = () => ev(watcher, "presence").flat() as unknown as PresenceState[];
    await waitUntil(() => last().some((s) => s.user === "pf" && s.online), 10_000, "online");
    await friend.close();
    await waitUntil(() => last().some((s) => s.user === "pf" && !s.online && typeof s.lastSeen === "number"), 10_000, "offline with last seen");
    await client("pf", "d2");
    await waitUntil(() => last().filter((s) => s.user === "pf" && s.online).length >= 2, 10_000, "online again");
  });
});

describe("recall and delete", () => {
  test("recall: every device of every member (online and offline) learns it; the stored text is gone; only the sender, only within the window", async () => {
    const s = await client("rs", "d1");
    const r = await client("rr", "d1");
    const offlineCursors = new MemoryCursorStore();
    const later = await client("rr", "tablet", offlineCursors);
    const conv = directConvId("rr", "rs");
    // Sent first, so the steps below count towards its recall window (6 s in this cluster).
    const old = await s.send(conv, "too late to recall");
    const ack = await s.send(conv, "oops, wrong chat");
    await waitUntil(() => later.got.some((m) => m.seq === ack.seq), 10_000, "tablet got it");
    await later.close(); // offline while the recall happens
    await expect(r.recall(conv, ack.seq)).rejects.toMatchObject({ code: "not_sender" });
    const ev1 = await s.recall(conv, ack.seq);
    expect(ev1.seq).toBe(ack.seq + 1);
    const again = await s.recall(conv, ack.seq); // idempotent
    expect(again.seq).toBe(ev1.seq);
    await waitUntil(() => ev(r, "recall").some((e) => e.seq === ack.seq && e.by === "rs"), 10_000, "online recall");
    const back = await client("rr", "tablet", offlineCursors);
    await waitUntil(() => ev(back, "recall").some((e) => e.seq === ack.seq), 10_000, `offline device learns recall by sync (got ${JSON.stringify(back.got)} events ${JSON.stringify(back.events)})`);
    const stored = (await r.history(conv, { after: 0, limit: 10 })).messages.find((m) => m.seq === ack.seq)!;
    expect(stored.kind).toBe("recalled");
    expect(stored.body).toBe("");
    await new Promise((res) => setTimeout(res, Math.max(0, old.at + 6_300 - Date.now())));
    await expect(s.recall(conv, old.seq)).rejects.toMatchObject({ code: "recall_window_passed" });
  });

  test("delete for me: hidden on all my devices, still there for the other member", async () => {
    const a1 = await client("da", "d1");
    const a2 = await client("da", "d2");
    const b = await client("db", "d1");
    const conv = directConvId("da", "db");
    const ack = await b.send(conv, "private-ish");
    await waitUntil(() => a1.got.some((m) => m.seq === ack.seq), 10_000, "delivered");
    await a1.deleteForMe(conv, ack.seq);
    await waitUntil(() => ev(a2, "deleted").some((e) => e.seq === ack.seq), 10_000, "other device told");
    const mine = (await a2.history(conv, { after: 0, limit: 10 })).messages.find((m) => m.seq === ack.seq)!;
    expect(mine.kind).toBe("deleted");
    expect(mine.body).toBe("");
    const theirs = (await b.history(conv, { after: 0, limit: 10 })).messages.find((m) => m.seq === ack.seq)!;
    expect(theirs.body).toBe("private-ish");
    await expect(b.deleteForMe(conv, 999)).rejects.toMatchObject({ code: "message_not_found" });
  });
});
