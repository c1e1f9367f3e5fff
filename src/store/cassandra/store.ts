/**
 * CassandraStore: the production {@link Store} on Apache Cassandra (cassandra-driver).
 * Data model, sync model, group commit, dedupe window and limits: docs/storage.md.
 */
import cassandra from "cassandra-driver";
import { silentLogger, type Logger } from "../../core/log.ts";
import type { AppendInput, AppendResult, NewConversation, ReadQuery, SearchQuery, Store } from "../../core/store.ts";
import type { Conversation, Membership, Message, UserConversation } from "../../core/types.ts";
import { Ctx } from "./context.ts";
import { CassandraDirectory } from "./directory.ts";
import { CassandraLog } from "./log.ts";
import { migrate } from "./migrate.ts";
import { CassandraSearch } from "./search.ts";

/** Options of {@link openCassandraStore}. */
export interface CassandraStoreConfig {
  /** `host` or `host:port`. */
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  /** SimpleStrategy replication factor used when the keyspace is created. */
  replication: number;
  /** Read/write consistency (`ONE`, `LOCAL_ONE`, `QUORUM`, `LOCAL_QUORUM`, `ALL`); LWTs use SERIAL or LOCAL_SERIAL. */
  consistency: string;
  /** Message retention in seconds; 0 keeps forever. */
  ttlSeconds: number;
  /** Maintain the search index on append (default true; benchmarks turn it off). */
  searchIndex?: boolean;
  log?: Logger;
}

export class CassandraStore implements Store {
  readonly kind = "cassandra";
  readonly #client: cassandra.Client;
  readonly #log: CassandraLog;
  readonly #dir: CassandraDirectory;
  readonly indexer: CassandraSearch;
  #closed = false;

  constructor(client: cassandra.Client, ctx: Ctx, searchIndex = true) {
    this.#client = client;
    this.indexer = new CassandraSearch(ctx, searchIndex);
    this.#log = new CassandraLog(ctx, this.indexer);
    this.#dir = new CassandraDirectory(ctx, this.#log.appender);
  }

  /** Group-commit counters: batches, messages, CAS conflicts. */
  get stats(): Readonly<{ batches: number; messages: number; conflicts: number }> {
    return this.#log.appender.stats;
  }

  append(input: AppendInput): Promise<AppendResult> { return this.#log.append(input); }
  read(convId: string, query: ReadQuery): Promise<Message[]> { return this.#log.read(convId, query); }
  get(convId: string, seq: number): Promise<Message | null> { return this.#log.get(convId, seq); }
  head(convId: string): Promise<number> { return this.#log.head(convId); }
  recall(convId: string, seq: number): Promise<Message | null> { return this.#log.recall(convId, seq); }
  search(q: SearchQuery): Promise<Message[]> { return this.indexer.search(q); }

  createConversation(input: NewConversation): Promise<Conversation> { return this.#dir.createConversation(input); }
  getConversation(convId: string): Promise<Conversation | null> { return this.#dir.getConversation(convId); }
  addMembers(convId: string, userIds: readonly string[]): Promise<void> { return this.#dir.addMembers(convId, userIds); }
  removeMembers(convId: string, userIds: readonly string[]): Promise<void> { return this.#dir.removeMembers(convId, userIds); }
  getMembership(convId: string, userId: string): Promise<Membership | null> { return this.#dir.getMembership(convId, userId); }
  listMembers(convId: string, opts: { after?: string; limit: number }): Promise<Membership[]> { return this.#dir.listMembers(convId, opts); }
  countMembers(convId: string): Promise<number> { return this.#dir.countMembers(convId); }
  listUserConversations(userId: string): Promise<UserConversation[]> { return this.#dir.listUserConversations(userId); }

  setReadSeq(userId: string, convId: string, seq: number): Promise<number> { return this.#dir.setReadSeq(userId, convId, seq); }
  getReadSeq(userId: string, convId: string): Promise<number> { return this.#dir.getReadSeq(userId, convId); }
  hideMessage(userId: string, convId: string, seq: number): Promise<void> { return this.#dir.hideMessage(userId, convId, seq); }
  hiddenSeqs(userId: string, convId: string, fromSeq: number, toSeq: number): Promise<Set<number>> {
    return this.#dir.hiddenSeqs(userId, convId, fromSeq, toSeq);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.shutdown();
  }
}

/**
 * Connects, creates the keyspace when missing, applies pending migrations and returns the store.
 * Fails with a clear error when no contact point answers.
 */
export async function openCassandraStore(cfg: CassandraStoreConfig): Promise<CassandraStore> {
  const log = cfg.log ?? silentLogger;
  if (!Number.isInteger(cfg.ttlSeconds) || cfg.ttlSeconds < 0) throw new Error(`invalid ttlSeconds: ${cfg.ttlSeconds}`);
  const client = new cassandra.Client({
    contactPoints: cfg.contactPoints,
    localDataCenter: cfg.localDataCenter,
    socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
    queryOptions: { prepare: true },
    pooling: { coreConnectionsPerHost: { [cassandra.types.distance.local]: 2 } },
  });
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => {});
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cassandra: cannot connect to ${cfg.contactPoints.join(",")} (dc ${cfg.localDataCenter}): ${reason}`);
  }
  try {
    await migrate(client, cfg.keyspace, cfg.replication, log);
    const ctx = new Ctx(client, cfg.keyspace, cfg.consistency, cfg.ttlSeconds, log);
    return new CassandraStore(client, ctx, cfg.searchIndex ?? true);
  } catch (err) {
    await client.shutdown().catch(() => {});
    throw err;
  }
}
