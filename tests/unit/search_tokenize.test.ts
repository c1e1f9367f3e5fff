/** Tokenizer, query parsing, verification and snippets (src/search/tokenize.ts). */
import { describe, expect, test } from "bun:test";
import { MagpieError } from "../../src/core/errors.ts";
import {
  buildSnippet, indexTerms, matches, matchRanges, MAX_QUERY_CHARS, parseQuery, PREFIX_MAX, tokens, normalize,
} from "../../src/search/tokenize.ts";

const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof MagpieError ? e.code : "other";
  }
};
/** True when every lookup term of the query is an index term of the body and the body verifies. */
const finds = (body: string, query: string) => {
  const q = parseQuery(query);
  const terms = new Set(indexTerms(body));
  return q.terms.every((t) => terms.has(t)) && matches(q, body);
};

describe("tokens", () => {
  test("splits CJK runs from words; punctuation separates", () => {
    expect(tokens(normalize("Bun的性能, really-fast!消息"))).toEqual([
      { kind: "word", text: "bun" }, { kind: "cjk", text: "的性能" }, { kind: "word", text: "really" },
      { kind: "word", text: "fast" }, { kind: "cjk", text: "消息" },
    ]);
  });
  test("NFKC: full-width Latin and half-width katakana", () => {
    expect(tokens(normalize("ＨＥＬＬＯ ｶﾀｶﾅ"))).toEqual([{ kind: "word", text: "hello" }, { kind: "cjk", text: "カタカナ" }]);
  });
  test("katakana long vowel mark stays inside the run", () => {
    expect(tokens(normalize("メッセージ検索"))).toEqual([{ kind: "cjk", text: "メッセージ検索" }]);
  });
});

describe("indexTerms", () => {
  test("CJK: overlapping bigrams, no unigrams", () => {
    expect(indexTerms("消息的同步")).toEqual(["消息", "息的", "的同", "同步"]);
    expect(indexTerms("好")).toEqual([]);
  });
  test("words: prefixes 2..PREFIX_MAX, lower-cased, deduped", () => {
    expect(indexTerms("Sync sync")).toEqual(["sy", "syn", "sync"]);
    const long = indexTerms("internationalization");
    expect(long).toHaveLength(PREFIX_MAX - 1);
    expect(long.at(-1)).toBe("internationalization".slice(0, PREFIX_MAX));
    expect(indexTerms("a I")).toEqual([]);
  });
  test("Hangul is bigrammed", () => {
    expect(indexTerms("메시지")).toEqual(["메시", "시지"]);
  });
});

describe("search semantics (index lookup + verification)", () => {
  test("Chinese: words and any ≥2-char substring", () => {
    const body = "我们今天讨论消息的同步和存储";
    for (const q of ["消息", "同步", "消息的同步", "息的同", "存储", "讨论 存储"]) expect(finds(body, q)).toBe(true);
    expect(finds(body, "同步消息")).toBe(false); // not contiguous
    expect(finds(body, "搜索")).toBe(false);
  });
  test("Japanese: katakana and kanji", () => {
    const body = "メッセージの検索機能をテストします";
    for (const q of ["メッセージ", "検索", "テスト", "ｍｅ"].slice(0, 3)) expect(finds(body, q)).toBe(true);
    expect(finds(body, "ﾒｯｾｰｼﾞ")).toBe(true); // half-width query
    expect(finds(body, "同期")).toBe(false);
  });
  test("English: case, punctuation, prefix", () => {
    const body = "Hello, World! Synchronisation works (really).";
    for (const q of ["hello", "HELLO", "world", "sync", "synchronisation", "wor hel", "\"hello\" +world*", "(really)", "hello:world~"]) {
      expect(finds(body, q)).toBe(true);
    }
    expect(finds(body, "orld")).toBe(false); // prefix, not infix
    expect(finds(body, "hello nope")).toBe(false); // AND
    expect(finds(body, "hello AND world")).toBe(false); // operators are plain words
  });
  test("mixed language", () => {
    const body = "Bun的性能很好, Cassandra消息存储 works";
    for (const q of ["bun 性能", "cassandra", "消息存储", "cass 存储", "性能 works"]) expect(finds(body, q)).toBe(true);
    expect(finds(body, "bun 搜索")).toBe(false);
  });
  test("a one-char token only narrows a longer query", () => {
    expect(finds("我的猫很可爱", "猫 可爱")).toBe(true);
    expect(finds("我的狗很可爱", "猫 可爱")).toBe(false);
  });
});

describe("parseQuery bad input", () => {
  test("empty, punctuation only, one-char only, too long → invalid_query", () => {
    expect(code(() => parseQuery(""))).toBe("invalid_query");
    expect(code(() => parseQuery("   "))).toBe("invalid_query");
    expect(code(() => parseQuery("\"\" AND OR -+*()[]{}:^~"))).toBe(null); // words AND / OR remain
    expect(code(() => parseQuery("\"\" -+*()[]{}:^~ !!"))).toBe("invalid_query");
    expect(code(() => parseQuery("猫"))).toBe("invalid_query");
    expect(code(() => parseQuery("a b c"))).toBe("invalid_query");
    expect(code(() => parseQuery("x".repeat(MAX_QUERY_CHARS + 1)))).toBe("invalid_query");
    expect(code(() => parseQuery("x".repeat(MAX_QUERY_CHARS)))).toBe(null);
    expect(code(() => parseQuery(42 as unknown as string))).toBe("invalid_query");
  });
  test("SQL/CQL-looking input is plain text", () => {
    const q = parseQuery("'; DROP TABLE messages; --");
    expect(q.tokens.map((t) => t.text)).toEqual(["drop", "table", "messages"]);
  });
});

describe("snippets", () => {
  test("highlights point at the matches in the snippet text", () => {
    const q = parseQuery("消息 sync");
    const body = "前面有很多很多的文字。".repeat(10) + "这里讲消息的同步 (Sync) 机制。";
    const s = buildSnippet(q, body);
    expect(s.text.startsWith("…")).toBe(true);
    const hl = s.highlights.map(([a, b]) => s.text.slice(a, b));
    expect(hl).toEqual(["消息", "Sync"]);
  });
  test("short body: whole text, no ellipsis; case preserved", () => {
    const q = parseQuery("hello");
    const s = buildSnippet(q, "Say HELLO to Hello-world");
    expect(s.text).toBe("Say HELLO to Hello-world");
    expect(s.highlights.map(([a, b]) => s.text.slice(a, b))).toEqual(["HELLO", "Hello"]);
  });
  test("full-width text maps back to original offsets", () => {
    const q = parseQuery("hello");
    const body = "ｓａｙ ＨＥＬＬＯ";
    expect(matchRanges(q, body).map(([a, b]) => body.slice(a, b))).toEqual(["ＨＥＬＬＯ"]);
  });
  test("emoji (surrogate pairs) before the match do not shift highlights", () => {
    const q = parseQuery("同步");
    const s = buildSnippet(q, "😀😀 消息同步");
    expect(s.highlights.map(([a, b]) => s.text.slice(a, b))).toEqual(["同步"]);
  });
  test("long text is cut to the width budget with ellipsis at the end", () => {
    const q = parseQuery("start");
    const s = buildSnippet(q, "start " + "word ".repeat(100));
    expect(s.text.endsWith("…")).toBe(true);
    expect(s.text.length).toBeLessThan(130);
    expect(s.highlights).toEqual([[0, 5]]);
  });
});
