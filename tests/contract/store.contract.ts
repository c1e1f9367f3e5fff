/**
 * The shared store contract suite: every guarantee documented in src/core/store.ts, run against
 * each implementation (tests/contract/sqlite.test.ts, tests/contract/cassandra.test.ts).
 * Ids are unique per run (tests/helpers/builders.ts), so a backend may share one database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_BODY_BYTES, utf8Length } from "../../src/core/ids.ts";
import type { Store } from "../../src/core/store.ts";
import type { Message } from "../../src/core/types.ts";
import {
  appendMany, clientMsgId, createGroup, expectMagpieError, groupId, msg, newGroup, range, sleep, userId,
} from "../helpers/builders.ts";
import { searchContract } from "./search.contract.ts";

/** How the suite gets stores. */
export interface StoreFactory {
  /** A fresh, empty store (ttlSeconds 0). */
  open(): Promise<Store>;
  /** A new store over the same data as the last `open()`; the suite closes the old one first. */
  reopen(): Promise<Store>;
  /**
   * A fresh store whose messages expire after `ttlSeconds`. Every backend that supports
   * retention (sqlite, cassandra) must provide it; without it the retention tests are not registered.
   */
  openWithTtl?(ttlSeconds: number): Promise<Store>;
}

/** Slow backends (a real Cassandra) get this much time per heavy test. */
const SLOW = 120_000;

/** Registers the contract suite for one store implementation. */
export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await factory.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    describe("append", () => {
      test("returns the stored message with dense seqs 1..n", async () => {
        const alice = userId();
        const conv = await createGroup(store, alice);
        const before = Date.now();
        const first = await store.append(msg(conv, alice, "first", { senderDevice: "phone-1" }));
        expect(first.duplicate).toBe(false);
        expect(first.message).toMatchObject({
          convId: conv, seq: 1, senderId: alice, senderDevice: "phone-1", kind: "text", body: "first",
        });
        expect(first.message.createdAt).toBeGreaterThanOrEqual(before - 2000);
        expect(first.message.createdAt).toBeLessThanOrEqual(Date.now() + 2000);
        expect(await appendMany(store, conv, alice, 9)).toEqual(range(2, 10));
        expect(await store.head(conv)).toBe(10);
      });

      test("a retry of (sender, clientMsgId) returns the original, even with another body", async () => {
        const alice = userId();
        const conv = await createGroup(store, alice);
        await appendMany(store, conv, alice, 2);
        const input = msg(conv, alice, "original");
        const first = await store.append(input);
        const retry = await store.append({ ...input, body: "changed on retry", senderDevice: "other-dev" });
        expect(retry.duplicate).toBe(true);
        expect(retry.message).toEqual(first.message);
        expect(await store.head(conv)).toBe(3);
        const all = await store.read(conv, { after: 0, limit: 100 });
        expect(all.filter((m) => m.clientMsgId === input.clientMsgId)).toHaveLength(1);
        expect(all.map((m) => m.body)).not.toContain("changed on retry");
      });

      test("the same clientMsgId from another sender is a different message", async () => {
        const [alice, bob] = [userId(), userId()];
        const conv = await createGroup(store, alice, [bob]);
        const id = clientMsgId();
        const a = await store.append(msg(conv, alice, "from alice", { clientMsgId: id }));
        const b = await store.append(msg(conv, bob, "from bob", { clientMsgId: id }));
        expect([a.duplicate, b.duplicate]).toEqual([false, false]);
        expect([a.message.seq, b.message.seq]).toEqual([1, 2]);
      });

      test("concurrent retries of one message store exactly one copy", async () => {
        const alice = userId();
        const conv = await createGroup(store, alice);
        const input = msg(conv, alice, "racing retries");
        const results = await Promise.all(range(1, 8).map(() => store.append(input)));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.message.seq))).toEqual(new Set([1]));
        expect(await store.head(conv)).toBe(1);
        expect(await store.read(conv, { after: 0, limit: 10 })).toHaveLength(1);
      }, SLOW);

      test("concurrent appends to one conversation get dense, unique seqs", async () => {
        const senders = range(1, 5).map(() => userId());
        const conv = await createGroup(store, senders[0]!, senders.slice(1));
        const inputs = range(1, 40).map((i) => msg(conv, senders[i % senders.length]!, `parallel ${i}`));
        const results = await Promise.all(inputs.map((input) => store.append(input)));
        expect(results.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(range(1, 40));
        const stored = await store.read(conv, { after: 0, limit: 1000 });
        expect(stored.map((m) => m.seq)).toEqual(range(1, 40));
        expect(new Set(stored.map((m) => m.body))).toEqual(new Set(inputs.map((i) => i.body)));
        expect(await store.head(conv)).toBe(40);
      }, SLOW);
    });

    describe("bad input is rejected and nothing is written", () => {
      test("invalid ids, empty and oversized bodies, unknown conversation", async () => {
        const alice = userId();
        const conv = await createGroup(store, alice);
        await appendMany(store, conv, alice, 2);
        const reused = clientMsgId();
        const base = msg(conv, alice, "ok", { clientMsgId: reused });
        const cjkOver = "消".repeat(Math.floor(MAX_BODY_BYTES / 3) + 1);
        expect(cjkOver.length).toBeLessThan(MAX_BODY_BYTES);
        expect(utf8Length(cjkOver)).toBeGreaterThan(MAX_BODY_BYTES);
        const cases = [
          [{ ...base, convId: "not a conversation" }, "invalid_id"],
          [{ ...base, senderId: "bad sender!" }, "invalid_id"],
          [{ ...base, senderDevice: "" }, "invalid_id"],
          [{ ...base, clientMsgId: "has space" }, "invalid_id"],
          [{ ...base, clientMsgId: "x".repeat(65) }, "invalid_id"],
          [{ ...base, body: "" }, "body_empty"],
          [{ ...base, body: "a".repeat(MAX_BODY_BYTES + 1) }, "body_too_large"],
          [{ ...base, body: cjkOver }, "body_too_large"],
        ] as const;
        for (const [input, code] of cases) {
          await expectMagpieError(store.append(input), code);
          expect(await store.head(conv)).toBe(2);
        }
        const unknown = groupId();
        await expectMagpieError(store.append({ ...base, convId: unknown }), "conversation_not_found");
        expect(await store.head(unknown)).toBe(0);
        expect(await store.get(unknown, 1)).toBeNull();
        expect(await store.read(conv, { after: 0, limit: 10 })).toHaveLength(2);
        // The failed attempts left no dedupe entry behind: the id is still free.
        const ok = await store.append(base);
        expect(ok.duplicate).toBe(false);
        expect(ok.message.seq).toBe(3);
      });

      test("bodies at the limit are accepted and round-trip, also multi-byte text", async () => {
        const alice = userId();
        const conv = await createGroup(store, alice);
        const ascii = "a".repeat(MAX_BODY_BYTES);
        const cjk = "消息同步".repeat(Math.floor(MAX_BODY_BYTES / 12));
        expect(utf8Length(cjk)).toBeLessThanOrEqual(MAX_BODY_BYTES);
        await store.append(msg(conv, alice, ascii));
        await store.append(msg(conv, alice, cjk));
        expect((await store.get(conv, 1))?.body).toBe(ascii);
        expect((await store.get(conv, 2))?.body).toBe(cjk);
      });

      test("createConversation rejects invalid ids without creating anything", async () => {
        const alice = userId();
        await expectMagpieError(store.createConversation({ ...newGroup(alice), id: "x:bad" }), "invalid_id");
        await expectMagpieError(store.createConversation({ ...newGroup(alice), createdBy: "no spaces" }), "invalid_id");
        const bad = newGroup(alice, ["bad user!"]);
        await expectMagpieError(store.createConversation(bad), "invalid_id");
        expect(await store.getConversation(bad.id)).toBeNull();
        expect(await store.listUserConversations(alice)).toEqual([]);
      });
    });

    describe("read", () => {
      let conv: string;
      beforeAll(async () => {
        const alice = userId();
        conv = await createGroup(store, alice);
        await appendMany(store, conv, alice, 25, "page");
      });
      const seqs = (ms: Message[]) => ms.map((m) => m.seq);

      test("without a bound: newest first, limited", async () => {
        expect(seqs(await store.read(conv, { limit: 5 }))).toEqual([25, 24, 23, 22, 21]);
        expect(seqs(await store.read(conv, { limit: 1000 }))).toEqual(range(1, 25).reverse());
      });
      test("after: ascending seqs > after", async () => {
        expect(seqs(await store.read(conv, { after: 20, limit: 100 }))).toEqual([21, 22, 23, 24, 25]);
        expect(seqs(await store.read(conv, { after: 3, limit: 2 }))).toEqual([4, 5]);
        expect(await store.read(conv, { after: 25, limit: 10 })).toEqual([]);
      });
      test("before: descending seqs < before", async () => {
        expect(seqs(await store.read(conv, { before: 10, limit: 3 }))).toEqual([9, 8, 7]);
        expect(seqs(await store.read(conv, { before: 3, limit: 10 }))).toEqual([2, 1]);
        expect(await store.read(conv, { before: 1, limit: 10 })).toEqual([]);
      });
      test("paging forward and backward is complete and gap-free", async () => {
        const forward: number[] = [];
        for (let cursor = 0; ;) {
          const page = await store.read(conv, { after: cursor, limit: 7 });
          if (page.length === 0) break;
          forward.push(...seqs(page));
          cursor = page.at(-1)!.seq;
        }
        expect(forward).toEqual(range(1, 25));
        const backward = seqs(await store.read(conv, { limit: 4 }));
        for (;;) {
          const page = await store.read(conv, { before: backward.at(-1)!, limit: 4 });
          if (page.length === 0) break;
          backward.push(...seqs(page));
        }
        expect(backward).toEqual(range(1, 25).reverse());
      });
      test("get and head", async () => {
        expect(await store.get(conv, 7)).toMatchObject({ convId: conv, seq: 7, body: "page 7", kind: "text" });
        expect(await store.get(conv, 26)).toBeNull();
        expect(await store.head(conv)).toBe(25);
        const empty = await createGroup(store, userId());
        expect(await store.head(empty)).toBe(0);
        expect(await store.read(empty, { limit: 10 })).toEqual([]);
      });
    });

    test("recall replaces the body by a marker, idempotently", async () => {
      const alice = userId();
      const conv = await createGroup(store, alice);
      await appendMany(store, conv, alice, 3, "secret");
      const original = (await store.get(conv, 2))!;
      const recalled = await store.recall(conv, 2);
      expect(recalled).toEqual({ ...original, kind: "recalled", body: "" });
      expect(await store.recall(conv, 2)).toEqual(recalled);
      expect(await store.get(conv, 2)).toEqual(recalled);
      const all = await store.read(conv, { after: 0, limit: 10 });
      expect(all.map((m) => [m.seq, m.kind, m.body])).toEqual([
        [1, "text", "secret 1"], [2, "recalled", ""], [3, "text", "secret 3"],
      ]);
      expect(await store.recall(conv, 99)).toBeNull();
    });

    test("the message kind given at append (text by default, or a recall event) is stored and read back", async () => {
      const alice = userId();
      const conv = await createGroup(store, alice);
      await store.append(msg(conv, alice, "plain"));
      const ev = await store.append(msg(conv, alice, "1", { kind: "recall" }));
      expect(ev.message.kind).toBe("recall");
      expect((await store.get(conv, ev.message.seq))?.kind).toBe("recall");
      expect((await store.read(conv, { after: 0, limit: 10 })).map((m) => m.kind)).toEqual(["text", "recall"]);
      await expectMagpieError(store.append(msg(conv, alice, "x", { kind: "bogus" as never })), "bad_request");
      expect(await store.head(conv)).toBe(2);
    });

    describe("conversations and membership", () => {
      test("createConversation stores the conversation and is idempotent", async () => {
        const [alice, bob, carol] = [userId(), userId(), userId()];
        const input = newGroup(alice, [bob], { title: "Team 团队", historyVisibleToNewMembers: false });
        const created = await store.createConversation(input);
        expect(created).toMatchObject({
          id: input.id, kind: "group", title: "Team 团队", createdBy: alice, historyVisibleToNewMembers: false,
        });
        const again = await store.createConversation({ ...input, title: "other", members: [alice, bob, carol] });
        expect(again).toEqual(created);
        expect(await store.getConversation(input.id)).toEqual(created);
        expect(await store.countMembers(input.id)).toBe(2);
        expect(await store.getMembership(input.id, carol)).toBeNull();
        expect(await store.getConversation(groupId())).toBeNull();
      });

      test("members: roles, joinedSeq = head at join, add is idempotent", async () => {
        const [alice, bob, carol] = [userId(), userId(), userId()];
        const conv = await createGroup(store, alice, [bob]);
        expect(await store.getMembership(conv, alice)).toMatchObject({ convId: conv, userId: alice, role: "owner", joinedSeq: 0 });
        expect(await store.getMembership(conv, bob)).toMatchObject({ role: "member", joinedSeq: 0 });
        await appendMany(store, conv, alice, 3);
        await store.addMembers(conv, [carol]);
        const joined = await store.getMembership(conv, carol);
        expect(joined).toMatchObject({ convId: conv, userId: carol, role: "member", joinedSeq: 3 });
        expect(typeof joined!.joinedAt).toBe("number");
        await appendMany(store, conv, alice, 2);
        await store.addMembers(conv, [carol, bob]);
        expect(await store.getMembership(conv, carol)).toEqual(joined);
        expect(await store.getMembership(conv, bob)).toMatchObject({ role: "member", joinedSeq: 0 });
        expect(await store.countMembers(conv)).toBe(3);
      });

      test("listMembers pages by user id; countMembers; removeMembers", async () => {
        const owner = userId();
        const others = range(1, 11).map(() => userId());
        const conv = await createGroup(store, owner, others);
        const everyone = [owner, ...others].sort();
        const paged: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.listMembers(conv, { after, limit: 5 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(5);
          paged.push(...page.map((m) => m.userId));
          after = page.at(-1)!.userId;
        }
        expect(paged).toEqual(everyone);
        expect(await store.countMembers(conv)).toBe(12);
        const gone = [others[0]!, others[1]!];
        await store.removeMembers(conv, gone);
        await store.removeMembers(conv, gone);
        expect(await store.countMembers(conv)).toBe(10);
        expect(await store.getMembership(conv, gone[0]!)).toBeNull();
        expect((await store.listMembers(conv, { limit: 100 })).map((m) => m.userId)).toEqual(everyone.filter((u) => !gone.includes(u)));
        expect((await store.listUserConversations(gone[0]!)).map((c) => c.convId)).not.toContain(conv);
      });
    });

    describe("sync index", () => {
      test("notified members see lastSeq of every conversation", async () => {
        const [alice, bob] = [userId(), userId()];
        const c1 = await createGroup(store, alice, [bob]);
        const c2 = await createGroup(store, bob, [alice]);
        const sent = await store.append(msg(c1, alice, "hi", { notify: [alice, bob] }));
        const list = await store.listUserConversations(bob);
        const byId = new Map(list.map((c) => [c.convId, c]));
        expect(byId.size).toBe(2);
        expect(byId.get(c1)).toEqual({ convId: c1, kind: "group", lastSeq: sent.message.seq, floorSeq: 0 });
        expect(byId.get(c2)).toEqual({ convId: c2, kind: "group", lastSeq: 0, floorSeq: 0 });
        expect(await store.listUserConversations(userId())).toEqual([]);
      });

      test("large groups without fan-out (notify empty) still report the exact lastSeq", async () => {
        const owner = userId();
        const members = range(1, 20).map(() => userId());
        const conv = await createGroup(store, owner, members);
        for (let i = 1; i <= 6; i++) {
          await store.append(msg(conv, members[i]!, `big ${i}`, { notify: [] }));
          const row = (await store.listUserConversations(members[19]!)).find((c) => c.convId === conv);
          expect(row?.lastSeq).toBe(i);
        }
      });

      test("floorSeq is the join point when history is hidden from new members", async () => {
        const [alice, late, late2] = [userId(), userId(), userId()];
        const hidden = await createGroup(store, alice, [], { historyVisibleToNewMembers: false });
        const open = await createGroup(store, alice, [], { historyVisibleToNewMembers: true });
        await appendMany(store, hidden, alice, 3);
        await appendMany(store, open, alice, 2);
        await store.addMembers(hidden, [late, late2]);
        await store.addMembers(open, [late]);
        const rows = new Map((await store.listUserConversations(late)).map((c) => [c.convId, c]));
        expect(rows.get(hidden)).toMatchObject({ lastSeq: 3, floorSeq: 3 });
        expect(rows.get(open)).toMatchObject({ lastSeq: 2, floorSeq: 0 });
        expect((await store.listUserConversations(alice)).find((c) => c.convId === hidden)?.floorSeq).toBe(0);
      });
    });

    describe("user state", () => {
      test("the read cursor only moves forward", async () => {
        const [alice, bob] = [userId(), userId()];
        const conv = await createGroup(store, alice, [bob]);
        expect(await store.getReadSeq(alice, conv)).toBe(0);
        expect(await store.setReadSeq(alice, conv, 5)).toBe(5);
        expect(await store.setReadSeq(alice, conv, 3)).toBe(5);
        expect(await store.getReadSeq(alice, conv)).toBe(5);
        expect(await store.setReadSeq(alice, conv, 8)).toBe(8);
        expect(await store.getReadSeq(bob, conv)).toBe(0);
      });

      test("hidden messages are per user, idempotent, and ranged inclusively", async () => {
        const [alice, bob] = [userId(), userId()];
        const conv = await createGroup(store, alice, [bob]);
        await appendMany(store, conv, alice, 5);
        await store.hideMessage(alice, conv, 2);
        await store.hideMessage(alice, conv, 2);
        await store.hideMessage(alice, conv, 4);
        expect(await store.hiddenSeqs(alice, conv, 1, 3)).toEqual(new Set([2]));
        expect(await store.hiddenSeqs(alice, conv, 2, 4)).toEqual(new Set([2, 4]));
        expect(await store.hiddenSeqs(alice, conv, 1, 100)).toEqual(new Set([2, 4]));
        expect(await store.hiddenSeqs(bob, conv, 1, 100)).toEqual(new Set());
        expect((await store.get(conv, 2))?.body).toBe("msg 2");
      });
    });

    test("concurrent writers and a syncing reader: every message exactly once, in seq order", async () => {
      const reader = userId("reader");
      const writers = range(1, 4).map(() => userId("writer"));
      const convs = [
        await createGroup(store, writers[0]!, [...writers.slice(1), reader]),
        await createGroup(store, writers[1]!, [...writers.filter((w) => w !== writers[1]), reader]),
        await createGroup(store, writers[2]!, [...writers.filter((w) => w !== writers[2]), reader]),
      ];
      const PER = 50;
      const written = new Map(convs.map((c) => [c, [] as string[]]));
      const write = async (writer: string, w: number) => {
        for (let i = 0; i < PER; i++) {
          for (const [k, conv] of convs.entries()) {
            const notify = k === 2 ? [] : [reader, ...writers]; // the third behaves as a large group
            const r = await store.append(msg(conv, writer, `w${w} #${i}`, { notify }));
            written.get(conv)!.push(r.message.clientMsgId);
          }
          if (i % 5 === w) await sleep(0);
        }
      };
      const seen = new Map(convs.map((c) => [c, [] as Message[]]));
      const cursors = new Map(convs.map((c) => [c, 0]));
      const sync = async () => {
        for (const row of await store.listUserConversations(reader)) {
          if (!cursors.has(row.convId)) continue;
          let cursor = cursors.get(row.convId)!;
          while (cursor < row.lastSeq) {
            const page = await store.read(row.convId, { after: cursor, limit: 17 });
            expect(page.length).toBeGreaterThan(0);
            if (writing) pagesWhileWriting++;
            for (const m of page) {
              expect(m.seq).toBe(cursor + 1);
              seen.get(row.convId)!.push(m);
              cursor = m.seq;
            }
          }
          cursors.set(row.convId, cursor);
        }
      };
      let writing = true;
      let pagesWhileWriting = 0;
      const readerLoop = (async () => {
        while (writing) {
          await sync();
          await sleep(1);
        }
        await sync();
      })();
      try {
        await Promise.all(writers.map((w, i) => write(w, i)));
      } finally {
        writing = false;
      }
      await readerLoop;
      expect(pagesWhileWriting).toBeGreaterThan(0); // the reader really raced the writers
      for (const conv of convs) {
        const got = seen.get(conv)!;
        expect(got.map((m) => m.seq)).toEqual(range(1, writers.length * PER));
        expect(got.map((m) => m.clientMsgId).sort()).toEqual([...written.get(conv)!].sort());
        expect(await store.head(conv)).toBe(writers.length * PER);
        for (const [w, writer] of writers.entries()) {
          const mine = got.filter((m) => m.senderId === writer).map((m) => m.body);
          expect(mine).toEqual(range(0, PER - 1).map((i) => `w${w} #${i}`));
        }
      }
    }, SLOW);

    test("restart: messages, dedupe, membership and user state survive close + reopen", async () => {
      const [alice, bob, carol] = [userId(), userId(), userId()];
      const conv = await createGroup(store, alice, [bob]);
      await appendMany(store, conv, alice, 2, "before restart");
      const retried = msg(conv, bob, "kept");
      const original = await store.append(retried);
      await store.addMembers(conv, [carol]);
      await store.setReadSeq(bob, conv, 2);
      await store.hideMessage(bob, conv, 1);
      await store.close();
      store = await factory.reopen();
      expect(await store.head(conv)).toBe(3);
      expect((await store.read(conv, { after: 0, limit: 10 })).map((m) => m.body)).toEqual([
        "before restart 1", "before restart 2", "kept",
      ]);
      const again = await store.append({ ...retried, body: "retried after restart" });
      expect(again).toEqual({ message: original.message, duplicate: true });
      expect(await store.getMembership(conv, carol)).toMatchObject({ role: "member", joinedSeq: 3 });
      expect(await store.countMembers(conv)).toBe(3);
      expect(await store.getConversation(conv)).toMatchObject({ id: conv, createdBy: alice });
      expect((await store.listUserConversations(carol)).find((c) => c.convId === conv)?.lastSeq).toBe(3);
      expect(await store.getReadSeq(bob, conv)).toBe(2);
      expect(await store.hiddenSeqs(bob, conv, 1, 3)).toEqual(new Set([1]));
      expect((await store.append(msg(conv, alice, "after restart"))).message.seq).toBe(4);
    }, SLOW);

    searchContract(() => store, factory);
  });

  const openWithTtl = factory.openWithTtl?.bind(factory);
  if (openWithTtl) {
    describe(`store contract: ${name} retention`, () => {
      test("messages expire after ttlSeconds; seqs keep counting; the conversation stays", async () => {
        const ttlStore = await openWithTtl(2);
        try {
          const alice = userId();
          const conv = await createGroup(ttlStore, alice);
          const kept = msg(conv, alice, "short-lived");
          await ttlStore.append(kept);
          await ttlStore.append(msg(conv, alice, "short-lived 2"));
          expect(await ttlStore.read(conv, { after: 0, limit: 10 })).toHaveLength(2);
          await sleep(3500);
          expect(await ttlStore.read(conv, { after: 0, limit: 10 })).toEqual([]);
          expect(await ttlStore.read(conv, { limit: 10 })).toEqual([]);
          expect(await ttlStore.get(conv, 1)).toBeNull();
          expect(await ttlStore.getConversation(conv)).not.toBeNull();
          expect(await ttlStore.getMembership(conv, alice)).not.toBeNull();
          const next = await ttlStore.append(msg(conv, alice, "fresh"));
          expect(next.message.seq).toBe(3);
          expect((await ttlStore.read(conv, { after: 0, limit: 10 })).map((m) => m.body)).toEqual(["fresh"]);
        } finally {
          await ttlStore.close();
        }
      }, 30_000);
    });
  }
}
