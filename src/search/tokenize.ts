/**
 * Text → index terms, query → terms, match verification and highlighted snippets.
 * One tokenizer for both stores (docs/search.md):
 *
 * - Normalisation: NFKC (full-width → ASCII, half-width katakana → full-width, ligatures) and
 *   lower case. Everything that is not a letter or digit separates tokens (punctuation-insensitive).
 * - CJK runs (Han, Hiragana, Katakana incl. ー, Hangul): every overlapping character **bigram** is a
 *   term (`消息的同步` → 消息 息的 的同 同步). A query run of ≥ 2 chars becomes its bigrams; the
 *   candidates are then verified to contain the run contiguously, so any ≥ 2-char substring the
 *   user types is found exactly. No unigrams are indexed (they would double the write cost and
 *   match almost everything); a lone one-character CJK token in a query is checked only during
 *   verification, and a query made only of one-character tokens is `invalid_query`.
 * - Other letters/digits (Latin, Cyrillic, …): words. Each word of length L ≥ 2 is indexed by its
 *   prefixes of length 2 … min(L, {@link PREFIX_MAX}), so a query word is a *prefix* match
 *   (`sync` finds `synchronise`). A query word longer than PREFIX_MAX looks up its 12-char prefix
 *   and is verified in full. One-letter words are not indexed.
 */
import { MagpieError } from "../core/errors.ts";

/** Longest prefix indexed per word (query words longer than this are verified after lookup). */
export const PREFIX_MAX = 12;
/** Most distinct terms indexed per message; text beyond it (rare: > ~3 KB of CJK) is not findable. */
export const MAX_TERMS_PER_MESSAGE = 4000;
/** Longest query accepted, in characters (after trimming). */
export const MAX_QUERY_CHARS = 200;
/** Most lookup terms per query (a long query is still verified in full). */
export const MAX_QUERY_TERMS = 16;

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3005\u3006\u30fc\u30fd\u30fe\u309d\u309e]/u;
const WORD = /[\p{L}\p{N}\p{M}]/u;

/** A token of normalised text: a CJK run or a word. */
export interface Token {
  kind: "cjk" | "word";
  text: string;
}

/** NFKC + lower case. */
export function normalize(s: string): string {
  return s.normalize("NFKC").toLowerCase();
}

/** Splits normalised text into CJK runs and words (everything else separates). */
export function tokens(normalized: string): Token[] {
  const out: Token[] = [];
  let cur = "";
  let kind: Token["kind"] | null = null;
  const flush = () => {
    if (kind && cur) out.push({ kind, text: cur });
    cur = "";
    kind = null;
  };
  for (const ch of normalized) {
    const k: Token["kind"] | null = CJK.test(ch) ? "cjk" : WORD.test(ch) ? "word" : null;
    if (k === null) {
      flush();
      continue;
    }
    if (k !== kind) flush();
    kind = k;
    cur += ch;
  }
  flush();
  return out;
}

/** Index terms of one token. */
function tokenTerms(t: Token, into: Set<string>): void {
  const chars = [...t.text];
  if (t.kind === "cjk") {
    for (let i = 0; i + 1 < chars.length; i++) into.add(chars[i]! + chars[i + 1]!);
    return;
  }
  const n = Math.min(chars.length, PREFIX_MAX);
  for (let len = 2; len <= n; len++) into.add(chars.slice(0, len).join(""));
}

/** The distinct index terms of a message body (at most {@link MAX_TERMS_PER_MESSAGE}). */
export function indexTerms(body: string): string[] {
  const set = new Set<string>();
  for (const t of tokens(normalize(body))) {
    tokenTerms(t, set);
    if (set.size >= MAX_TERMS_PER_MESSAGE) break;
  }
  return [...set].slice(0, MAX_TERMS_PER_MESSAGE);
}

/** A parsed query: the tokens to verify and the terms to look up (AND). */
export interface ParsedQuery {
  /** Normalised query tokens; every one must match (CJK: contiguous substring; word: word prefix). */
  tokens: Token[];
  /** Index terms to intersect (a subset of what verification checks). */
  terms: string[];
}

/**
 * Parses a user query. Operators, quotes and other punctuation are plain separators.
 * Throws `invalid_query` when the query is too long, empty after normalisation, or made only of
 * one-character tokens.
 */
export function parseQuery(text: unknown): ParsedQuery {
  if (typeof text !== "string") throw new MagpieError("invalid_query", "query must be a string");
  const trimmed = text.trim();
  if ([...trimmed].length > MAX_QUERY_CHARS) throw new MagpieError("invalid_query", `query longer than ${MAX_QUERY_CHARS} characters`);
  const toks = dedupeTokens(tokens(normalize(trimmed)));
  if (toks.length === 0) throw new MagpieError("invalid_query", "query has no letters or digits");
  const terms = new Set<string>();
  for (const t of toks) {
    const chars = [...t.text];
    if (chars.length < 2) continue;
    if (t.kind === "cjk") tokenTerms(t, terms);
    else terms.add(chars.slice(0, PREFIX_MAX).join(""));
  }
  if (terms.size === 0) throw new MagpieError("invalid_query", "query needs a word or CJK text of at least two characters");
  return { tokens: toks, terms: [...terms].slice(0, MAX_QUERY_TERMS) };
}

function dedupeTokens(toks: Token[]): Token[] {
  const seen = new Set<string>();
  return toks.filter((t) => {
    const k = `${t.kind}:${t.text}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** True when `body` satisfies every token of the query (the exact check after index lookup). */
export function matches(q: ParsedQuery, body: string): boolean {
  const bt = tokens(normalize(body));
  return q.tokens.every((t) =>
    t.kind === "cjk"
      ? bt.some((b) => b.kind === "cjk" && b.text.includes(t.text))
      : bt.some((b) => b.kind === "word" && b.text.startsWith(t.text)));
}

/** A highlighted snippet: `text` is a window of the body, `highlights` are `[start, end)` UTF-16 offsets into `text`. */
export interface Snippet {
  text: string;
  highlights: [number, number][];
}

/** Display width budget of a snippet (a CJK character counts 2). */
export const SNIPPET_WIDTH = 120;
/** Width kept before the first match. */
const LEAD_WIDTH = 30;

/**
 * Finds the query's matches in the original body (offsets into `body`, UTF-16), merged and sorted.
 * CJK tokens match anywhere inside a CJK run; words match at the start of a word (prefix).
 */
export function matchRanges(q: ParsedQuery, body: string): [number, number][] {
  // Normalise per code point, remembering where each normalised char came from.
  let norm = "";
  const from: number[] = []; // norm index → body start offset
  const to: number[] = []; // norm index → body end offset
  for (let i = 0; i < body.length;) {
    const cp = body.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const n = normalize(body.slice(i, i + len));
    for (let k = 0; k < n.length; k++) {
      from.push(i);
      to.push(i + len);
    }
    norm += n;
    i += len;
  }
  const ranges: [number, number][] = [];
  const isWordChar = (s: string) => WORD.test(s) && !CJK.test(s);
  for (const t of q.tokens) {
    if (t.kind === "cjk" && [...t.text].length < 1) continue;
    let at = norm.indexOf(t.text);
    while (at >= 0) {
      const endN = at + t.text.length;
      const ok = t.kind === "cjk" || at === 0 || !isWordChar(prevChar(norm, at));
      if (ok) ranges.push([from[at]!, to[endN - 1]!]);
      at = norm.indexOf(t.text, at + 1);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function prevChar(s: string, at: number): string {
  const code = s.charCodeAt(at - 1);
  if (code >= 0xdc00 && code <= 0xdfff && at >= 2) return s.slice(at - 2, at);
  return s.slice(at - 1, at);
}

const width = (ch: string) => (CJK.test(ch) || /[\u3000-\u303f\uff00-\uffef]/.test(ch) ? 2 : 1);

/**
 * Builds a snippet around the first match: about {@link SNIPPET_WIDTH} display columns (CJK
 * characters count double, so a Chinese snippet holds ~60 characters), starting ~30 columns
 * before the first match, never splitting a surrogate pair; `…` marks cut ends.
 */
export function buildSnippet(q: ParsedQuery, body: string, maxWidth = SNIPPET_WIDTH): Snippet {
  const ranges = matchRanges(q, body);
  const chars = [...body];
  // Offsets of each code point.
  const offs: number[] = [];
  let o = 0;
  for (const c of chars) {
    offs.push(o);
    o += c.length;
  }
  offs.push(o);
  const firstAt = ranges[0]?.[0] ?? 0;
  let startIdx = offs.findIndex((x) => x >= firstAt);
  if (startIdx < 0) startIdx = 0;
  // Walk back up to LEAD_WIDTH columns.
  let lead = 0;
  while (startIdx > 0 && lead + width(chars[startIdx - 1]!) <= LEAD_WIDTH) {
    startIdx--;
    lead += width(chars[startIdx]!);
  }
  let endIdx = startIdx;
  let w = 0;
  while (endIdx < chars.length && w + width(chars[endIdx]!) <= maxWidth) {
    w += width(chars[endIdx]!);
    endIdx++;
  }
  // Keep the whole tail when little is left.
  const start = offs[startIdx]!;
  const end = offs[endIdx]!;
  const prefix = start > 0 ? "…" : "";
  const suffix = end < body.length ? "…" : "";
  const text = prefix + body.slice(start, end).trim() + suffix;
  const lstrip = body.slice(start, end).length - body.slice(start, end).trimStart().length;
  const shift = prefix.length - start - lstrip;
  const bodyLen = text.length - suffix.length;
  const highlights: [number, number][] = [];
  for (const [a, b] of ranges) {
    const s = Math.max(a + shift, prefix.length);
    const e = Math.min(b + shift, bodyLen);
    if (e > s) highlights.push([s, e]);
  }
  return { text, highlights };
}
