/**
 * Search end to end on real processes and real Cassandra: the `search` frame and
 * `GET /v1/search` through a bridge, Chinese/Japanese/English/mixed hits with snippets, paging,
 * membership (never across conversations, hidden group history), recall and delete-for-me.
 */
import { describe, expect, test } from "bun:test";
import { signUserToken } from "../../src/auth/jwt.ts";
import { MagpieClient } from "../../src/client/index.ts";
import { directConvId } from "../../src/core/ids.ts";
import type { SearchHitWire } from "../../src/protocol/frames.ts";
import { waitUntil } from "../helpers/cluster.ts";
import { cassandraClusterSuite } from "../helpers/suite.ts";

const run = Math.random().toString(36).slice(2, 7);
const u = (name: string) => `${name}-${run}`;
const suite = cassandraClusterSuite("magpie_search", { registries: 1, handlers: 2, bridges: 2, env: { MAGPIE_RECALL_WINDOW_S: "60" } });
const clients = suite.clients;

async function client(user: string, device = "d1"): Promise<MagpieClient> {
  const c = new MagpieClient({ registries: suite.cluster.registryUrls, userId: user, rateLimit: false, token: () => signUserToken("dev-jwt-secret", user, device) });
  clients.push(c);
  await c.connect();
  return c;
}
const bodies = (hits: SearchHitWire[]) => hits.map((h) => h.message.body);
const marked = (h: SearchHitWire) => h.snippet.highlights.map(([a, b]) => h.snippet.text.slice(a, b));

/** GET /v1/search through the first bridge. */
async function rest(user: string | null, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = user ? { authorization: `Bearer ${await signUserToken("dev-jwt-secret", user, "rest")}` } : {};
  const res = await fetch(`${suite.cluster.bridges[0]!.url}/v1/search?${new URLSearchParams(params)}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}


describe("search through the cluster", () => {
  test("finds Chinese, Japanese, English and mixed text with snippets; never another user's conversation", async () => {
    const [alice, bob, eve] = [u("sa"), u("sb"), u("se")];
    const a = await client(alice);
    const b = await client(bob);
    const e = await client(eve);
    const conv = directConvId(alice, bob);
    const other = directConvId(eve, u("sx"));
    for (const body of ["我们明天讨论消息的同步", "メッセージの検索をテスト", "Hello, Synchronisation WORLD!", "Bun的性能很好 fast"]) await a.send(conv, body);
    await e.send(other, "eve 的消息同步 secret");

    let r = await b.search("消息");
    expect(bodies(r.hits)).toEqual(["我们明天讨论消息的同步"]);
    expect(marked(r.hits[0]!)).toEqual(["消息"]);
    expect(bodies((await b.search("同步")).hits)).toEqual(["我们明天讨论消息的同步"]);
    expect(bodies((await b.search("検索")).hits)).toEqual(["メッセージの検索をテスト"]);
    r = await b.search("sync world");
    expect(bodies(r.hits)).toEqual(["Hello, Synchronisation WORLD!"]);
    expect(marked(r.hits[0]!)).toEqual(["Sync", "WORLD"]); // the matched prefix is highlighted
    expect(bodies((await b.search("bun 性能")).hits)).toEqual(["Bun的性能很好 fast"]);
    // Eve sees only her own conversation; Bob never sees Eve's.
    expect(bodies((await e.search("消息")).hits)).toEqual(["eve 的消息同步 secret"]);
    expect(bodies((await b.search("secret")).hits)).toEqual([]);
    await expect(e.search("消息", { conv })).rejects.toMatchObject({ code: "not_member" });
    await expect(b.search("")).rejects.toMatchObject({ code: "invalid_query" });
  }, 60_000);

  test("REST: paging with next, filters, stable error codes", async () => {
    const [p, q] = [u("pa"), u("pb")];
    const a = await client(p);
    const conv = directConvId(p, q);
    for (let i = 1; i <= 7; i++) await a.send(conv, `分页 paging ${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await rest(q, { q: "分页", limit: "3", ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(...bodies(res.body.hits as SearchHitWire[]));
      cursor = (res.body.next as string | null) ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1].map((i) => `分页 paging ${i}`));
    expect((await rest(q, { q: "paging", sender: p, conv, limit: "2" })).body.hits).toHaveLength(2);
    expect((await rest(q, { q: "paging", sender: q })).body.hits).toEqual([]);
    expect((await rest(q, { q: "paging", since: String(Date.now() + 60_000) })).body.hits).toEqual([]);
    const cases: [Record<string, string>, number, string][] = [
      [{ q: "" }, 400, "invalid_query"],
      [{ q: "\"\" AND (*)" }, 200, ""],
      [{ q: "**()\"\"" }, 400, "invalid_query"],
      [{ q: "x".repeat(201) }, 400, "invalid_query"],
      [{ q: "paging", cursor: "not*a*cursor" }, 400, "invalid_cursor"],
      [{ q: "paging", limit: "0" }, 400, "bad_request"],
      [{ q: "paging", conv: "g:nope" }, 403, "not_member"],
      [{ q: "paging", conv: "bad conv" }, 400, "bad_request"],
    ];
    for (const [params, status, code] of cases) {
      const res = await rest(q, params);
      expect([params, res.status]).toEqual([params, status]);
      if (code) expect((res.body.error as { code: string }).code).toBe(code);
    }
    expect((await rest(null, { q: "paging" })).status).toBe(401);
  }, 60_000);

  test("hidden group history, recall and delete-for-me", async () => {
    const [owner, late] = [u("go"), u("gl")];
    const o = await client(owner);
    const l = await client(late);
    const group = await o.createGroup("秘密小组", [], { historyVisibleToNewMembers: false });
    await o.send(group.id, "早期的秘密消息 early");
    await o.addMembers(group.id, [late]);
    await o.send(group.id, "后来的公开消息 later");
    await waitUntil(async () => (await l.search("消息")).hits.length > 0, 10_000, "late member can search");
    expect(bodies((await l.search("消息")).hits)).toEqual(["后来的公开消息 later"]);
    expect(bodies((await o.search("消息", { conv: group.id })).hits)).toEqual(["后来的公开消息 later", "早期的秘密消息 early"]);

    const ack = await o.send(group.id, "发错了 撤回 oops");
    expect(bodies((await l.search("撤回")).hits)).toEqual(["发错了 撤回 oops"]);
    await o.recall(group.id, ack.seq);
    expect((await l.search("撤回")).hits).toEqual([]);
    expect((await o.search("oops")).hits).toEqual([]);

    const keep = await o.send(group.id, "只删除我这边 deleteme");
    await l.deleteForMe(group.id, keep.seq);
    expect((await l.search("deleteme")).hits).toEqual([]);
    expect(bodies((await o.search("deleteme")).hits)).toEqual(["只删除我这边 deleteme"]);
  }, 60_000);
});
