/**
 * Full-text search for the embedded store: our own postings table fed by the shared tokenizer
 * (src/search/tokenize.ts — FTS5's default tokenizer cannot split CJK), written in the append
 * transaction, deleted on recall, purged with expired messages. See docs/search.md.
 *
 *   search_postings (conv_id, term, seq) — one row per distinct term per message.
 *
 * A query intersects the terms with EXISTS probes on the primary key, joined to the live
 * message row (kind, sender, created_at), newest seq first, in keyset chunks per conversation.
 */
import type { SearchQuery } from "../../core/store.ts";
import type { Message } from "../../core/types.ts";
import { runSearch, type Candidate, type CandidateFilter, type CandidateSource, type SearchBackend } from "../../search/engine.ts";
import { indexTerms } from "../../search/tokenize.ts";
import type { SqlDatabase, SqlValue } from "./database.ts";
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from "./schema.ts";

/** Tables of the search index (idempotent). */
export const SEARCH_SCHEMA = `
CREATE TABLE IF NOT EXISTS search_postings (
  conv_id TEXT NOT NULL,
  term TEXT NOT NULL,
  seq INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (conv_id, term, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_postings_expiry ON search_postings (expires_at) WHERE expires_at IS NOT NULL;
`;

const INSERT = "INSERT OR IGNORE INTO search_postings (conv_id, term, seq, expires_at) VALUES (?, ?, ?, ?)";
const DELETE = "DELETE FROM search_postings WHERE conv_id = ? AND term = ? AND seq = ?";

/** The SQLite search index over one database. */
export class SqliteSearch {
  constructor(private readonly db: SqlDatabase, private readonly enabled = true) {
    db.exec(SEARCH_SCHEMA);
  }

  /** Indexes a new message; call inside the append transaction. Returns rows written. */
  index(m: Message, expiresAt: number | null): number {
    if (!this.enabled || m.kind !== "text") return 0;
    const terms = indexTerms(m.body);
    for (const t of terms) this.db.run(INSERT, m.convId, t, m.seq, expiresAt);
    return terms.length;
  }

  /** Removes a message's postings (recall): `body` is the text it was indexed with. */
  unindex(convId: string, seq: number, body: string): void {
    for (const t of indexTerms(body)) this.db.run(DELETE, convId, t, seq);
  }

  /** Deletes a batch of expired postings; call inside the purge transaction. */
  purge(now: number, batch: number): void {
    this.db.run(
      `DELETE FROM search_postings WHERE (conv_id, term, seq) IN
         (SELECT conv_id, term, seq FROM search_postings WHERE expires_at <= ? LIMIT ${batch * 50})`, now,
    );
  }

  search(q: SearchQuery): Promise<Message[]> {
    return runSearch(this.#backend(), q);
  }

  #backend(): SearchBackend {
    const db = this.db;
    return {
      parallel: 1,
      source: (convId, f, hint) => chunks(db, convId, f, hint),
      async load(cands: readonly Candidate[]) {
        const now = Date.now();
        return cands.map((c) => {
          const row = db.get<MessageRow>(
            `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conv_id = ? AND seq = ? AND (expires_at IS NULL OR expires_at > ?)`,
            c.convId, c.seq, now,
          );
          return row ? toMessage(row) : null;
        });
      },
    };
  }
}

/** Keyset-paged candidates of one conversation, newest seq first. */
function chunks(db: SqlDatabase, convId: string, f: CandidateFilter, hint: number): CandidateSource {
  // The longest term drives the scan (longer prefixes are rarer); the others are EXISTS probes.
  const terms = [...f.terms].sort((a, b) => b.length - a.length);
  let upper = f.before && f.before.convId === convId ? f.before.seq : Number.MAX_SAFE_INTEGER;
  if (f.lastSeq !== undefined) upper = Math.min(upper, f.lastSeq + 1);
  let size = Math.max(16, hint * 2);
  let done = false;
  return {
    async next() {
      if (done) return null;
      const where = ["p.conv_id = ?", "p.term = ?", "p.seq > ?", "p.seq < ?", "m.kind = 'text'", "(m.expires_at IS NULL OR m.expires_at > ?)"];
      const params: SqlValue[] = [convId, terms[0]!, f.floorSeq, upper, Date.now()];
      for (const t of terms.slice(1)) {
        where.push("EXISTS (SELECT 1 FROM search_postings q WHERE q.conv_id = p.conv_id AND q.term = ? AND q.seq = p.seq)");
        params.push(t);
      }
      if (f.senderId !== undefined) { where.push("m.sender_id = ?"); params.push(f.senderId); }
      if (f.since !== undefined) { where.push("m.created_at >= ?"); params.push(f.since); }
      if (f.until !== undefined) { where.push("m.created_at < ?"); params.push(f.until); }
      if (f.before !== undefined) { where.push("m.created_at <= ?"); params.push(f.before.createdAt); }
      const rows = db.all<{ seq: number; created_at: number; sender_id: string }>(
        `SELECT p.seq, m.created_at, m.sender_id FROM search_postings p
           JOIN messages m ON m.conv_id = p.conv_id AND m.seq = p.seq
          WHERE ${where.join(" AND ")} ORDER BY p.seq DESC LIMIT ?`,
        ...params, size,
      );
      if (rows.length < size) done = true;
      if (rows.length === 0) return null;
      upper = rows[rows.length - 1]!.seq;
      size = Math.min(size * 4, 4096);
      return rows.map((r) => ({ convId, seq: r.seq, createdAt: r.created_at, senderId: r.sender_id }));
    },
  };
}
