/**
 * Search part of the store contract (MessageSearch in src/core/store.ts), run against every
 * store by runStoreContract. Each test makes its own conversations, so results are exact.
 */
import { describe, expect, test } from "bun:test";
import type { SearchQuery, Store } from "../../src/core/store.ts";
import type { Message } from "../../src/core/types.ts";
import { createGroup, expectMagpieError, groupId, msg, range, sleep, userId } from "../helpers/builders.ts";
import type { StoreFactory } from "./store.contract.ts";

const SLOW = 120_000;

/** Registers the search tests; `get` returns the suite's current store. */
export function searchContract(get: () => Store, factory: StoreFactory): void {
  describe("search", () => {
    const bodies = (ms: Message[]) => ms.map((m) => m.body);
    const all = (convs: string[]) => convs.map((convId) => ({ convId, floorSeq: 0 }));
    const q = (convs: string[], text: string, extra: Partial<SearchQuery> = {}): Promise<Message[]> =>
      get().search({ convs: all(convs), text, limit: 50, ...extra });
    /** A conversation with these bodies appended in order (seq i+1), each by `sender`. */
    const seed = async (sender: string, texts: string[], others: string[] = []) => {
      const conv = await createGroup(get(), sender, others);
      for (const t of texts) await get().append(msg(conv, sender, t));
      return conv;
    };

    test("Chinese: a word, any ≥2-char substring, not a non-contiguous one", async () => {
      const a = userId();
      const conv = await seed(a, ["我们讨论消息的同步", "存储和搜索", "同步服务器", "无关的内容"]);
      expect(bodies(await q([conv], "消息"))).toEqual(["我们讨论消息的同步"]);
      expect(bodies(await q([conv], "同步"))).toEqual(["同步服务器", "我们讨论消息的同步"]);
      expect(bodies(await q([conv], "息的同"))).toEqual(["我们讨论消息的同步"]);
      expect(bodies(await q([conv], "消息同步"))).toEqual([]);
      expect(bodies(await q([conv], "搜索"))).toEqual(["存储和搜索"]);
    }, SLOW);

    test("Japanese: katakana, kanji, half-width query", async () => {
      const a = userId();
      const conv = await seed(a, ["メッセージの検索", "東京で会いましょう", "メッセージを送った"]);
      expect(bodies(await q([conv], "検索"))).toEqual(["メッセージの検索"]);
      expect(bodies(await q([conv], "メッセージ"))).toEqual(["メッセージを送った", "メッセージの検索"]);
      expect(bodies(await q([conv], "ﾒｯｾｰｼﾞ 検索"))).toEqual(["メッセージの検索"]);
      expect(bodies(await q([conv], "東京"))).toEqual(["東京で会いましょう"]);
    }, SLOW);

    test("English: case-insensitive, punctuation-insensitive, prefix; mixed language", async () => {
      const a = userId();
      const conv = await seed(a, ["Hello, World!", "synchronisation of state", "HELLO again", "Bun的性能很好", "cassandra消息存储"]);
      expect(bodies(await q([conv], "hello"))).toEqual(["HELLO again", "Hello, World!"]);
      expect(bodies(await q([conv], "\"WORLD\"!!"))).toEqual(["Hello, World!"]);
      expect(bodies(await q([conv], "sync"))).toEqual(["synchronisation of state"]);
      expect(bodies(await q([conv], "orld"))).toEqual([]);
      expect(bodies(await q([conv], "bun 性能"))).toEqual(["Bun的性能很好"]);
      expect(bodies(await q([conv], "消息存储 cass"))).toEqual(["cassandra消息存储"]);
    }, SLOW);

    test("AND semantics, sender and time filters", async () => {
      const [a, b] = [userId(), userId()];
      const conv = await createGroup(get(), a, [b]);
      await get().append(msg(conv, a, "alpha beta"));
      await get().append(msg(conv, b, "alpha gamma"));
      await sleep(30);
      const mid = Date.now();
      await sleep(30);
      await get().append(msg(conv, b, "alpha beta gamma"));
      expect(bodies(await q([conv], "alpha beta"))).toEqual(["alpha beta gamma", "alpha beta"]);
      expect(bodies(await q([conv], "alpha", { senderId: b }))).toEqual(["alpha beta gamma", "alpha gamma"]);
      expect(bodies(await q([conv], "alpha", { since: mid }))).toEqual(["alpha beta gamma"]);
      expect(bodies(await q([conv], "alpha", { until: mid }))).toEqual(["alpha gamma", "alpha beta"]);
      expect(bodies(await q([conv], "alpha", { senderId: a, since: mid }))).toEqual([]);
    }, SLOW);

    test("never returns conversations not listed; floors are respected", async () => {
      const [a, b] = [userId(), userId()];
      const mine = await seed(a, ["secret plan 秘密计划 1"]);
      const theirs = await seed(b, ["secret plan 秘密计划 2"]);
      const floored = await seed(a, ["secret plan old", "secret plan new"]);
      expect(bodies(await q([mine], "secret"))).toEqual(["secret plan 秘密计划 1"]);
      expect(bodies(await q([mine], "秘密"))).toEqual(["secret plan 秘密计划 1"]);
      expect(await q([groupId()], "secret")).toEqual([]);
      const r = await get().search({ convs: [{ convId: floored, floorSeq: 1 }, { convId: mine, floorSeq: 0 }], text: "secret plan", limit: 50 });
      expect(bodies(r).sort()).toEqual(["secret plan new", "secret plan 秘密计划 1"].sort());
      expect(r.every((m) => m.convId !== theirs)).toBe(true);
      expect(await get().search({ convs: [], text: "secret", limit: 10 })).toEqual([]);
    }, SLOW);

    test("paging across conversations is complete, ordered and stable while new messages arrive", async () => {
      const a = userId();
      const convs = [await createGroup(get(), a), await createGroup(get(), a), await createGroup(get(), a)];
      const expected = new Set<string>();
      for (const i of range(1, 24)) {
        const conv = convs[i % 3]!;
        const body = i % 4 === 0 ? `noise ${i}` : `paging 翻页测试 ${i}`;
        await get().append(msg(conv, a, body));
        if (i % 4 !== 0) expected.add(body);
      }
      const seen: Message[] = [];
      let before: SearchQuery["before"];
      for (let page = 0; page < 20; page++) {
        const r = await q(convs, "翻页 pag", { limit: 5, before });
        if (r.length === 0) break;
        expect(r.length).toBeLessThanOrEqual(5);
        seen.push(...r);
        const last = r.at(-1)!;
        before = { createdAt: last.createdAt, convId: last.convId, seq: last.seq };
        // A newer match arriving mid-paging never shows up on later pages, and never shifts them.
        if (page === 1) await get().append(msg(convs[0]!, a, "paging 翻页测试 late"));
      }
      expect(seen.map((m) => m.body).sort()).toEqual([...expected].sort());
      expect(new Set(seen.map((m) => `${m.convId}/${m.seq}`)).size).toBe(seen.length);
      for (let i = 1; i < seen.length; i++) {
        const [x, y] = [seen[i - 1]!, seen[i]!];
        const ordered = x.createdAt > y.createdAt || (x.createdAt === y.createdAt && (x.convId < y.convId || (x.convId === y.convId && x.seq > y.seq)));
        expect(ordered).toBe(true);
      }
      expect(bodies(await q(convs, "翻页", { limit: 1 }))).toEqual(["paging 翻页测试 late"]);
    }, SLOW);

    test("recall removes a message from results", async () => {
      const a = userId();
      const conv = await seed(a, ["撤回这条消息 recall me", "keep this 消息"]);
      expect(bodies(await q([conv], "消息"))).toHaveLength(2);
      await get().recall(conv, 1);
      expect(bodies(await q([conv], "消息"))).toEqual(["keep this 消息"]);
      expect(await q([conv], "recall")).toEqual([]);
      expect(await q([conv], "撤回")).toEqual([]);
    }, SLOW);

    test("bad queries: empty, too long, operators only, bad limit → invalid_query", async () => {
      const conv = await seed(userId(), ["anything"]);
      await expectMagpieError(q([conv], ""), "invalid_query");
      await expectMagpieError(q([conv], "  \"\" ** () "), "invalid_query");
      await expectMagpieError(q([conv], "x".repeat(201)), "invalid_query");
      await expectMagpieError(q([conv], "anything", { limit: 0 }), "invalid_query");
      await expectMagpieError(q([conv], "anything", { limit: 10_000 }), "invalid_query");
      expect(bodies(await q([conv], "'; DROP TABLE messages; -- anything"))).toEqual([]);
      expect(bodies(await q([conv], "\"anything\" OR 1=1"))).toEqual([]);
      expect(bodies(await q([conv], "+anything*"))).toEqual(["anything"]);
    }, SLOW);
  });

  const openWithTtl = factory.openWithTtl?.bind(factory);
  if (openWithTtl) {
    test("search: expired messages are no longer found (the index expires with them)", async () => {
      const ttlStore = await openWithTtl(2);
      try {
        const a = userId();
        const conv = await createGroup(ttlStore, a);
        await ttlStore.append(msg(conv, a, "短命的消息 ephemeral"));
        const find = (text: string) => ttlStore.search({ convs: [{ convId: conv, floorSeq: 0 }], text, limit: 10 });
        expect((await find("短命")).map((m) => m.body)).toEqual(["短命的消息 ephemeral"]);
        await sleep(3500);
        expect(await find("短命")).toEqual([]);
        expect(await find("ephemeral")).toEqual([]);
        await ttlStore.append(msg(conv, a, "ephemeral again"));
        expect((await find("ephemeral")).map((m) => m.body)).toEqual(["ephemeral again"]);
      } finally {
        await ttlStore.close();
      }
    }, 30_000);
  }
}
