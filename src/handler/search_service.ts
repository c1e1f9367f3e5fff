/**
 * Search for a user: the transport-free core behind `GET /v1/search` and the `search` frame.
 *
 * Safety: the conversations searched are exactly the user's own (`listUserConversations`, read
 * at every call), each above its floor (a member who joined a group whose history is hidden
 * searches only from the join point); with `conv`, membership is required (`not_member`).
 * Messages the user deleted for themselves are filtered out (`hiddenSeqs`). The store re-checks
 * every hit against the live message (recalled or expired messages are never returned).
 */
import { MagpieError } from "../core/errors.ts";
import { ConvId, UserId } from "../core/ids.ts";
import type { SearchCursor, Store } from "../core/store.ts";
import type { Message } from "../core/types.ts";
import type { Identity } from "../auth/jwt.ts";
import { MAX_QUERY_CHARS, buildSnippet, parseQuery, type Snippet } from "../search/tokenize.ts";

/** A search request. */
export interface SearchInput {
  text: string;
  /** Only this conversation (the caller must be a member). */
  conv?: string;
  sender?: string;
  /** createdAt >= since (ms). */
  since?: number;
  /** createdAt < until (ms). */
  until?: number;
  limit: number;
  /** `next` of the previous page. */
  cursor?: string;
}

/** One hit: the message and a highlighted snippet of its body. */
export interface SearchHit {
  message: Message;
  snippet: Snippet;
}

/** A page of hits; `next` continues it (null at the end). */
export interface SearchPage {
  hits: SearchHit[];
  next: string | null;
}

/** Largest page a client may ask for. */
export const MAX_PAGE = 100;
/** Store rounds per page when deleted-for-me messages thin a page out. */
const MAX_ROUNDS = 5;

/** Search over what a user may read. */
export class SearchService {
  constructor(private readonly store: Store) {}

  async searchFor(who: Identity, input: SearchInput): Promise<SearchPage> {
    if (typeof input.text !== "string" || [...input.text.trim()].length > MAX_QUERY_CHARS) {
      throw new MagpieError("invalid_query", `query longer than ${MAX_QUERY_CHARS} characters`);
    }
    const parsed = parseQuery(input.text);
    if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > MAX_PAGE) {
      throw new MagpieError("invalid_query", `limit must be an integer in 1..${MAX_PAGE}`);
    }
    if (input.conv !== undefined && !ConvId.safeParse(input.conv).success) throw new MagpieError("invalid_id", "invalid conversation id");
    if (input.sender !== undefined && !UserId.safeParse(input.sender).success) throw new MagpieError("invalid_id", "invalid sender id");
    let before = input.cursor === undefined ? undefined : decodeSearchCursor(input.cursor);
    if (before && input.conv !== undefined && before.convId !== input.conv) {
      throw new MagpieError("cursor_mismatch", "cursor belongs to another conversation");
    }

    const mine = await this.store.listUserConversations(who.userId);
    let scope = mine;
    if (input.conv !== undefined) {
      scope = mine.filter((c) => c.convId === input.conv);
      if (scope.length === 0) throw new MagpieError("not_member", "not a member of this conversation");
    }
    const convs = scope.map((c) => ({ convId: c.convId, floorSeq: c.floorSeq, lastSeq: c.lastSeq }));

    const hits: SearchHit[] = [];
    let exhausted = false;
    for (let round = 0; round < MAX_ROUNDS && hits.length < input.limit; round++) {
      const want = input.limit - hits.length;
      const page = await this.store.search({
        convs, text: input.text, senderId: input.sender, since: input.since, until: input.until, limit: want, before,
      });
      if (page.length < want) exhausted = true;
      const visible = await this.#withoutHidden(who.userId, page);
      for (const m of visible) hits.push({ message: m, snippet: buildSnippet(parsed, m.body) });
      const last = page[page.length - 1];
      if (last) before = { createdAt: last.createdAt, convId: last.convId, seq: last.seq };
      if (exhausted) break;
    }
    return { hits, next: !exhausted && before ? encodeSearchCursor(before) : null };
  }

  /** Drops messages the user deleted for themselves. */
  async #withoutHidden(userId: string, ms: Message[]): Promise<Message[]> {
    const byConv = new Map<string, number[]>();
    for (const m of ms) (byConv.get(m.convId) ?? byConv.set(m.convId, []).get(m.convId)!).push(m.seq);
    const hidden = new Map<string, Set<number>>();
    await Promise.all([...byConv].map(async ([conv, seqs]) => {
      hidden.set(conv, await this.store.hiddenSeqs(userId, conv, Math.min(...seqs), Math.max(...seqs)));
    }));
    return ms.filter((m) => !hidden.get(m.convId)?.has(m.seq));
  }
}

/** Encodes a search position as an opaque URL-safe token. */
export function encodeSearchCursor(c: SearchCursor): string {
  const raw = JSON.stringify([c.createdAt, c.convId, c.seq]);
  return btoa(String.fromCharCode(...new TextEncoder().encode(raw))).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Decodes a search cursor (`invalid_cursor` when it is not one). */
export function decodeSearchCursor(token: string): SearchCursor {
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(token)) throw new Error("charset");
    const b64 = token.replaceAll("-", "+").replaceAll("_", "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)))) as unknown;
    if (!Array.isArray(v) || v.length !== 3) throw new Error("shape");
    const [createdAt, convId, seq] = v as [unknown, unknown, unknown];
    if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(seq) || (seq as number) < 0 || !ConvId.safeParse(convId).success) {
      throw new Error("fields");
    }
    return { createdAt: createdAt as number, convId: convId as string, seq: seq as number };
  } catch {
    throw new MagpieError("invalid_cursor", "search cursor is not a valid token");
  }
}
