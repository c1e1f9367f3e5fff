/**
 * Search benchmark (docs/search.md, docs/benchmarks.md "Search").
 *
 *   bun scripts/bench/search.ts --store sqlite|cassandra [--messages 1000000] [--convs 1000]
 *       [--concurrency 256] [--queries 300] [--user-convs 50] [--write-messages 20000] [--skip-load]
 *
 * 1. Load: `--messages` generated messages (mixed Chinese / English / Japanese, Zipf-distributed
 *    vocabulary, 4–24 tokens) into `--convs` conversations through `store.append`, with
 *    `--concurrency` appends in flight. Reports appends/s and posting rows per message.
 * 2. Query latency: `--queries` searches per class for a user in `--user-convs` conversations
 *    (and single-conversation searches), p50/p99/max. Classes: common CJK word, rare CJK word,
 *    Japanese, English prefix, two-term AND, mixed.
 * 3. Write cost: `--write-messages` appends into fresh conversations with the index on vs off
 *    (two stores over the same database/keyspace, `searchIndex: false` for the second).
 * Also prints index terms per message as a function of length (pure tokenizer, no store).
 */
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Store } from "../../src/core/store.ts";
import { indexTerms } from "../../src/search/tokenize.ts";

const { values: a } = parseArgs({
  options: {
    store: { type: "string", default: "sqlite" },
    messages: { type: "string", default: "1000000" },
    convs: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "256" },
    queries: { type: "string", default: "300" },
    "user-convs": { type: "string", default: "50" },
    "write-messages": { type: "string", default: "20000" },
    "skip-load": { type: "boolean", default: false },
    /** Stop loading after this many seconds (the report says how many were loaded). */
    "max-seconds": { type: "string", default: "0" },
    keyspace: { type: "string", default: "magpie_bench_search" },
    path: { type: "string", default: ".magpie/bench/search.sqlite" },
  },
});
const N = Number(a.messages);
const C = Number(a.convs);
const K = Number(a.concurrency);
const Q = Number(a.queries);
const U = Number(a["user-convs"]);
const W = Number(a["write-messages"]);

// ---------- deterministic text generation ----------
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
/** Zipf-ish pick: low indexes are common. */
const zipf = <T>(xs: readonly T[]): T => xs[Math.min(xs.length - 1, Math.floor(xs.length * rnd() ** 2.2))]!;
const ZH = ("消息 同步 存储 搜索 服务器 客户端 我们 今天 明天 会议 项目 进度 问题 解决 数据库 性能 测试 发布 版本 用户 " +
  "群组 聊天 离线 在线 推送 通知 文件 图片 视频 语音 朋友 周末 吃饭 电影 天气 下雨 北京 上海 深圳 杭州 " +
  "架构 设计 文档 代码 审查 部署 监控 报警 延迟 吞吐 分区 副本 一致性 事务 索引 分词 高亮 分页 撤回 删除 " +
  "蜻蜓 琵琶 麒麟 饕餮 踌躇 囹圄 耄耋 魑魅 魍魉 龃龉").split(" ");
const JA = ("メッセージ 検索 同期 サーバー テスト 東京 大阪 会議 資料 確認 よろしく お願いします ありがとう " +
  "データベース パフォーマンス リリース バージョン 明日 今日 天気 ラーメン 寿司 新幹線 打ち合わせ").split(" ");
const EN = ("the and sync message search server client meeting project release database performance " +
  "latency throughput partition replica index token highlight paging recall delete weekend dinner movie " +
  "weather deploy monitor alert review design document code cassandra sqlite bun typescript websocket " +
  "bridge handler registry metric dashboard kubernetes prometheus grafana xylophone quixotic zephyr").split(" ");
function genBody(): string {
  const kind = rnd();
  const n = 4 + Math.floor(rnd() * 20);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = kind < 0.5 ? 0 : kind < 0.75 ? 1 : kind < 0.9 ? 2 : Math.floor(rnd() * 3);
    parts.push(r === 0 ? zipf(ZH) : r === 1 ? zipf(EN) : zipf(JA));
  }
  const sep = kind < 0.5 || (kind >= 0.75 && kind < 0.9) ? "" : " ";
  return parts.join(sep) + (rnd() < 0.5 ? "。" : "!");
}

// ---------- helpers ----------
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const f1 = (x: number) => x.toFixed(1);
async function pool<T>(items: number, n: number, fn: (i: number) => Promise<T>, deadline = Infinity): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items) }, async () => {
    while (i < items && performance.now() < deadline) await fn(i++);
  }));
}

async function open(searchIndex: boolean): Promise<Store> {
  if (a.store === "cassandra") {
    const { openCassandraStore } = await import("../../src/store/cassandra/index.ts");
    return openCassandraStore({
      contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1", keyspace: a.keyspace!,
      replication: 1, consistency: "LOCAL_QUORUM", ttlSeconds: 0, searchIndex,
    });
  }
  const { openSqliteStore } = await import("../../src/store/sqlite/index.ts");
  mkdirSync(".magpie/bench", { recursive: true });
  return openSqliteStore({ path: a.path!, ttlSeconds: 0, searchIndex });
}

const user = (i: number) => `bench-u${i}`;
const conv = (i: number) => `g:bench-c${i}`;

// ---------- terms per message vs length ----------
console.log("## index terms per message (tokenizer only)");
for (const [label, make] of [
  ["Chinese, n chars", (n: number) => Array.from({ length: n }, () => { const z = ZH.join(""); return z[Math.floor(rnd() * z.length)]!; }).join("")],
  ["English, n words", (n: number) => Array.from({ length: n }, () => zipf(EN)).join(" ")],
] as const) {
  const row = [10, 20, 50, 100, 200].map((n) => `${n}: ${indexTerms(make(n)).length}`);
  console.log(`${label}: ${row.join(", ")}`);
}
{
  let s = 0;
  const save = seed;
  for (let i = 0; i < 10_000; i++) s += indexTerms(genBody()).length;
  seed = save;
  console.log(`generated corpus: ${f1(s / 10_000)} terms (posting rows) per message on average`);
}

const store = await open(true);
const owner = "bench-owner";
// Every user bench-u{i} is in conversations i, i+1, … i+U-1 (mod C); bench-u0 is the query user.
if (!a["skip-load"]) {
  console.log(`## load ${N} messages into ${C} conversations (${a.store}, concurrency ${K})`);
  await pool(C, 32, async (i) => {
    const members = [owner, ...Array.from({ length: Math.min(U, C) }, (_, k) => user((i - k + C) % C))];
    await store.createConversation({ id: conv(i), kind: "group", title: `bench ${i}`, createdBy: owner, members });
  });
  const t0 = performance.now();
  let done = 0;
  let last = t0;
  const lat: number[] = [];
  const maxS = Number(a["max-seconds"]);
  await pool(N, K, async (i) => {
    const s = performance.now();
    await store.append({
      convId: conv(i % C), senderId: user(i % 7), senderDevice: "bench", clientMsgId: `b-${i}`, body: genBody(), notify: [],
    });
    if (i % 50 === 0) lat.push(performance.now() - s);
    done++;
    const now = performance.now();
    if (now - last > 15_000) {
      last = now;
      console.log(`  ${done} loaded, ${Math.round(done / ((now - t0) / 1000))}/s`);
    }
  }, maxS > 0 ? t0 + maxS * 1000 : Infinity);
  const secs = (performance.now() - t0) / 1000;
  console.log(`loaded ${done} of ${N} in ${f1(secs)} s = ${Math.round(done / secs)} appends/s (append p50 ${f1(pct(lat, 50))} ms, p99 ${f1(pct(lat, 99))} ms)`);
}

// ---------- query latency ----------
const myConvs = await store.listUserConversations(user(0));
const total = (await Promise.all(myConvs.map((c) => store.head(c.convId)))).reduce((x, y) => x + y, 0);
console.log(`## queries: user in ${myConvs.length} conversations (${total} messages), limit 20`);
const classes: [string, () => string][] = [
  ["CJK common word", () => zipf(ZH.slice(0, 20))],
  ["CJK rare word", () => zipf(ZH.slice(-10))],
  ["CJK substring (3 chars)", () => { const w = zipf(ZH.slice(0, 40)) + zipf(ZH.slice(0, 40)); return w.slice(1, 4); }],
  ["Japanese", () => zipf(JA)],
  ["English prefix", () => zipf(EN).slice(0, 3)],
  ["two-term AND", () => `${zipf(ZH)} ${zipf(ZH)}`],
  ["mixed CJK + English", () => `${zipf(EN)} ${zipf(ZH)}`],
];
const allLat: number[] = [];
const rows: string[] = [];
for (const [label, gen] of classes) {
  const lat: number[] = [];
  let hits = 0;
  for (let i = 0; i < Q; i++) {
    const text = gen();
    const s = performance.now();
    const r = await store.search({ convs: myConvs, text, limit: 20 });
    lat.push(performance.now() - s);
    hits += r.length;
  }
  allLat.push(...lat);
  rows.push(`| ${label} | ${Q} | ${f1(hits / Q)} | ${f1(pct(lat, 50))} | ${f1(pct(lat, 99))} | ${f1(Math.max(...lat))} |`);
}
{
  const lat: number[] = [];
  for (let i = 0; i < Q; i++) {
    const c = myConvs[i % myConvs.length]!;
    const s = performance.now();
    await store.search({ convs: [c], text: zipf(ZH.slice(0, 30)), limit: 20 });
    lat.push(performance.now() - s);
  }
  rows.push(`| one conversation, CJK word | ${Q} | – | ${f1(pct(lat, 50))} | ${f1(pct(lat, 99))} | ${f1(Math.max(...lat))} |`);
}
{
  // A user in every conversation: the whole corpus.
  const every = Array.from({ length: C }, (_, i) => ({ convId: conv(i), floorSeq: 0 }));
  for (const [label, gen] of [["all conversations, CJK common word", classes[0]![1]], ["all conversations, two-term AND", classes[5]![1]]] as const) {
    const lat: number[] = [];
    let hits = 0;
    const n = Math.max(5, Math.floor(Q / 4));
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      hits += (await store.search({ convs: every, text: gen(), limit: 20 })).length;
      lat.push(performance.now() - s);
    }
    rows.push(`| ${label} (${C} convs) | ${n} | ${f1(hits / n)} | ${f1(pct(lat, 50))} | ${f1(pct(lat, 99))} | ${f1(Math.max(...lat))} |`);
  }
}
console.log("| query class | queries | avg hits | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
console.log(`all ${allLat.length} cross-conversation queries: p50 ${f1(pct(allLat, 50))} ms, p99 ${f1(pct(allLat, 99))} ms`);

// ---------- write cost: index on vs off ----------
if (W > 0) {
  console.log(`## write cost: ${W} appends into 64 fresh conversations, concurrency ${K}`);
  const noIndex = await open(false);
  const run = `${Date.now().toString(36)}`;
  for (const [label, s] of [["index off", noIndex], ["index on", store], ["index off (again)", noIndex], ["index on (again)", store]] as const) {
    const tag = `${run}${label.replace(/\W/g, "")}`;
    for (let c = 0; c < 64; c++) await s.createConversation({ id: `g:w${tag}${c}`, kind: "group", title: "w", createdBy: owner, members: [owner] });
    const lat: number[] = [];
    const t0 = performance.now();
    await pool(W, K, async (i) => {
      const st = performance.now();
      await s.append({ convId: `g:w${tag}${i % 64}`, senderId: owner, senderDevice: "bench", clientMsgId: `w-${tag}-${i}`, body: genBody(), notify: [owner] });
      lat.push(performance.now() - st);
    });
    const secs = (performance.now() - t0) / 1000;
    console.log(`| ${label} | ${W} | ${Math.round(W / secs)} | ${f1(pct(lat, 50))} | ${f1(pct(lat, 99))} |`);
  }
  await noIndex.close();
}
await store.close();
