/**
 * The store-independent half of search: query validation, the k-way merge of per-conversation
 * candidate streams into the global order (createdAt desc, convId asc, seq desc), and the exact
 * verification of candidates against the stored message (the index is a candidate filter; a hit
 * is only returned after its live, non-recalled body was re-checked). Each store supplies the
 * candidate streams from its own postings (src/store/{sqlite,cassandra}/search.ts).
 */
import { MagpieError } from "../core/errors.ts";
import { ConvId, UserId } from "../core/ids.ts";
import type { SearchCursor, SearchQuery } from "../core/store.ts";
import type { Message } from "../core/types.ts";
import { matches, parseQuery, type ParsedQuery } from "./tokenize.ts";

/** Largest page. */
export const MAX_SEARCH_LIMIT = 200;
/** Most conversations one query may span. */
export const MAX_SEARCH_CONVS = 10_000;

/** A posting that matched every lookup term: where, when, who. */
export interface Candidate {
  convId: string;
  seq: number;
  createdAt: number;
  senderId: string;
}

/** Filters a store pushes down into its postings scan. */
export interface CandidateFilter {
  terms: string[];
  floorSeq: number;
  lastSeq?: number;
  senderId?: string;
  since?: number;
  until?: number;
  /** Only candidates strictly after this cursor (in the global order). */
  before?: SearchCursor;
}

/**
 * Candidates of one conversation in order (createdAt desc, seq desc), chunk by chunk.
 * `next()` returns the next non-empty chunk, or null once the conversation is exhausted.
 * Chunks may contain candidates that fail the filter; the engine re-checks.
 */
export interface CandidateSource {
  next(): Promise<Candidate[] | null>;
}

/** What a store provides to {@link runSearch}. */
export interface SearchBackend {
  /** A candidate stream of one conversation; `hint` = how many hits the caller still needs. */
  source(convId: string, filter: CandidateFilter, hint: number): CandidateSource;
  /** The live messages (null when gone/expired), in the order asked. */
  load(cands: readonly Candidate[]): Promise<(Message | null)[]>;
  /** Concurrency for opening sources (Cassandra: parallel partition reads). */
  readonly parallel: number;
}

/** Validates a query; returns the parsed text. Throws `invalid_query` / `invalid_id`. */
export function checkSearch(q: SearchQuery): ParsedQuery {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_SEARCH_LIMIT) {
    throw new MagpieError("invalid_query", `limit must be an integer in 1..${MAX_SEARCH_LIMIT}`);
  }
  if (!Array.isArray(q.convs) || q.convs.length > MAX_SEARCH_CONVS) {
    throw new MagpieError("invalid_query", `at most ${MAX_SEARCH_CONVS} conversations per search`);
  }
  for (const c of q.convs) {
    if (!ConvId.safeParse(c.convId).success) throw new MagpieError("invalid_id", "invalid conversation id");
    if (!Number.isSafeInteger(c.floorSeq) || c.floorSeq < 0) throw new MagpieError("invalid_query", "floorSeq must be a non-negative integer");
  }
  if (q.senderId !== undefined && !UserId.safeParse(q.senderId).success) throw new MagpieError("invalid_id", "invalid sender id");
  for (const t of [q.since, q.until]) {
    if (t !== undefined && !Number.isSafeInteger(t)) throw new MagpieError("invalid_query", "since/until must be integer milliseconds");
  }
  const b = q.before;
  if (b !== undefined && (!Number.isSafeInteger(b.createdAt) || !Number.isSafeInteger(b.seq) || typeof b.convId !== "string")) {
    throw new MagpieError("invalid_cursor", "invalid search cursor");
  }
  return parseQuery(q.text);
}

/** Global order: negative when `a` comes first. */
export function compareHits(a: { createdAt: number; convId: string; seq: number }, b: { createdAt: number; convId: string; seq: number }): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  if (a.convId !== b.convId) return a.convId < b.convId ? -1 : 1;
  return b.seq - a.seq;
}

/** True when `c` passes the query's filters (floor, sender, time, cursor). */
export function passes(c: Candidate, f: CandidateFilter): boolean {
  if (c.seq <= f.floorSeq) return false;
  if (f.senderId !== undefined && c.senderId !== f.senderId) return false;
  if (f.since !== undefined && c.createdAt < f.since) return false;
  if (f.until !== undefined && c.createdAt >= f.until) return false;
  if (f.before && compareHits(c, f.before) <= 0) return false;
  return true;
}

/** Runs a search over a backend: merge, verify, page. */
export async function runSearch(backend: SearchBackend, q: SearchQuery): Promise<Message[]> {
  const parsed = checkSearch(q);
  const seen = new Set<string>();
  // Distinct conversations that can hold a hit (an empty one, or one wholly below its floor, cannot).
  const convs = q.convs.filter((c) => !seen.has(c.convId) && seen.add(c.convId) && (c.lastSeq === undefined || c.lastSeq > c.floorSeq));
  const filters = new Map<string, CandidateFilter>();
  const states = convs.map((c) => {
    const f: CandidateFilter = {
      terms: parsed.terms, floorSeq: c.floorSeq, lastSeq: c.lastSeq, senderId: q.senderId,
      since: q.since, until: q.until, before: q.before,
    };
    filters.set(c.convId, f);
    return { convId: c.convId, src: backend.source(c.convId, f, q.limit), buf: [] as Candidate[], done: false };
  });
  type State = (typeof states)[number];
  const refill = async (s: State) => {
    while (s.buf.length === 0 && !s.done) {
      const chunk = await s.src.next();
      if (chunk === null) s.done = true;
      else s.buf = chunk.filter((c) => passes(c, filters.get(s.convId)!)).sort(compareHits);
    }
  };
  await pool(states, backend.parallel, refill);

  const out: Message[] = [];
  while (out.length < q.limit) {
    // Take the next `need` candidates in global order.
    const need = q.limit - out.length;
    const picked: Candidate[] = [];
    while (picked.length < need) {
      let best: State | null = null;
      for (const s of states) if (s.buf.length > 0 && (!best || compareHits(s.buf[0]!, best.buf[0]!) < 0)) best = s;
      if (!best) break;
      picked.push(best.buf.shift()!);
      if (best.buf.length === 0 && !best.done) await refill(best);
    }
    if (picked.length === 0) break;
    const loaded = await backend.load(picked);
    for (const [i, m] of loaded.entries()) {
      const c = picked[i]!;
      if (!m || m.kind !== "text" || !matches(parsed, m.body)) continue;
      const f = filters.get(c.convId)!;
      if (!passes({ convId: m.convId, seq: m.seq, createdAt: m.createdAt, senderId: m.senderId }, f)) continue;
      out.push(m);
    }
  }
  return out.sort(compareHits);
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}
