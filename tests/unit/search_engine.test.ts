/** The store-independent search engine (merge, verification, paging) and search cursors. */
import { describe, expect, test } from "bun:test";
import { MagpieError } from "../../src/core/errors.ts";
import type { Message } from "../../src/core/types.ts";
import { compareHits, runSearch, type Candidate, type SearchBackend } from "../../src/search/engine.ts";
import { decodeSearchCursor, encodeSearchCursor } from "../../src/handler/search_service.ts";

/** A fake backend over in-memory messages; every text message is a candidate (verification filters). */
function backend(messages: Message[], chunk = 2): SearchBackend & { loads: number } {
  const b = {
    parallel: 4,
    loads: 0,
    source(convId: string) {
      const mine = messages.filter((m) => m.convId === convId).sort((x, y) => y.seq - x.seq);
      let i = 0;
      return {
        async next() {
          if (i >= mine.length) return null;
          const out: Candidate[] = mine.slice(i, i + chunk).map((m) => ({ convId, seq: m.seq, createdAt: m.createdAt, senderId: m.senderId }));
          i += chunk;
          return out;
        },
      };
    },
    async load(cands: readonly Candidate[]) {
      b.loads += cands.length;
      return cands.map((c) => messages.find((m) => m.convId === c.convId && m.seq === c.seq) ?? null);
    },
  };
  return b;
}
const m = (convId: string, seq: number, createdAt: number, body: string, kind: Message["kind"] = "text"): Message =>
  ({ convId, seq, createdAt, body, kind, senderId: "u", senderDevice: "d", clientMsgId: `${convId}-${seq}` });

describe("runSearch", () => {
  const data = [
    m("g:a", 1, 100, "消息 one"), m("g:a", 2, 300, "消息 two"), m("g:a", 3, 500, "other"), m("g:a", 4, 700, "消息 four"),
    m("g:b", 1, 200, "消息 b1"), m("g:b", 2, 300, "消息 b2"), m("g:b", 3, 600, "", "recalled"), m("g:b", 4, 800, "消息 b4"),
  ];
  const convs = [{ convId: "g:a", floorSeq: 0 }, { convId: "g:b", floorSeq: 0 }];

  test("merges conversations newest first, verifies (drops non-matching and recalled), ties by convId", async () => {
    const r = await runSearch(backend(data), { convs, text: "消息", limit: 10 });
    expect(r.map((x) => `${x.convId}/${x.seq}`)).toEqual(["g:b/4", "g:a/4", "g:a/2", "g:b/2", "g:b/1", "g:a/1"]);
  });

  test("paging with before is complete, ordered and non-overlapping for every page size", async () => {
    const full = await runSearch(backend(data), { convs, text: "消息", limit: 10 });
    for (const size of [1, 2, 3, 4]) {
      const seen: Message[] = [];
      let before;
      for (;;) {
        const page = await runSearch(backend(data, 1), { convs, text: "消息", limit: size, before });
        if (page.length === 0) break;
        seen.push(...page);
        const last = page.at(-1)!;
        before = { createdAt: last.createdAt, convId: last.convId, seq: last.seq };
      }
      expect(seen).toEqual(full);
    }
    for (let i = 1; i < full.length; i++) expect(compareHits(full[i - 1]!, full[i]!)).toBeLessThan(0);
  });

  test("floors, duplicates in the list, unlisted conversations", async () => {
    const r = await runSearch(backend(data), { convs: [{ convId: "g:a", floorSeq: 2 }, { convId: "g:a", floorSeq: 2 }], text: "消息", limit: 10 });
    expect(r.map((x) => x.seq)).toEqual([4]);
    expect(await runSearch(backend(data), { convs: [], text: "消息", limit: 10 })).toEqual([]);
  });

  test("time filters", async () => {
    const r = await runSearch(backend(data), { convs, text: "消息", limit: 10, since: 200, until: 700 });
    expect(r.map((x) => `${x.convId}/${x.seq}`)).toEqual(["g:a/2", "g:b/2", "g:b/1"]);
  });

  test("reads only about a page of messages when the first candidates verify", async () => {
    const many = Array.from({ length: 500 }, (_, i) => m("g:c", i + 1, i, `消息 ${i}`));
    const b = backend(many, 50);
    const r = await runSearch(b, { convs: [{ convId: "g:c", floorSeq: 0 }], text: "消息", limit: 5 });
    expect(r.map((x) => x.seq)).toEqual([500, 499, 498, 497, 496]);
    expect(b.loads).toBe(5);
  });

  test("bad input", async () => {
    const bad = [
      { convs, text: "", limit: 5 },
      { convs, text: "消息", limit: 0 },
      { convs, text: "消息", limit: 201 },
      { convs: [{ convId: "nope", floorSeq: 0 }], text: "消息", limit: 5 },
    ];
    for (const q of bad) await expect(runSearch(backend(data), q)).rejects.toBeInstanceOf(MagpieError);
  });
});

describe("search cursors", () => {
  test("round-trip and rejection of garbage", () => {
    const c = { createdAt: 1_700_000_000_000, convId: "d:alice:bob", seq: 42 };
    expect(decodeSearchCursor(encodeSearchCursor(c))).toEqual(c);
    for (const bad of ["", "***", "eyJ9", encodeSearchCursor({ ...c, convId: "bad id" }), btoa("[1,2]")]) {
      expect(() => decodeSearchCursor(bad)).toThrow(MagpieError);
    }
  });
});
