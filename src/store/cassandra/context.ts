/**
 * Shared plumbing of the Cassandra store: the driver client with its consistency levels, the
 * bucket arithmetic of the message log, and head discovery (the exact highest seq of a
 * conversation, read from the static `last_seq` of its current bucket).
 */
import { MagpieError } from "../../core/errors.ts";
import cassandra from "cassandra-driver";
import type { Logger } from "../../core/log.ts";

/** Messages per partition `(conv_id, bucket)`. See docs/storage.md for the size bound. */
export const BUCKET_SIZE = 10_000;
/** Bucket holding `seq`. Bucket 0 holds seqs 1..9999, bucket b ≥ 1 holds b·10000 .. b·10000+9999. */
export const bucketOf = (seq: number): number => Math.floor(seq / BUCKET_SIZE);
/** Highest seq bucket `b` can hold. */
export const bucketEnd = (b: number): number => b * BUCKET_SIZE + BUCKET_SIZE - 1;
/** Default idempotency window when messages are kept forever (ttlSeconds = 0): 30 days. */
export const DEFAULT_DEDUPE_TTL = 30 * 24 * 3600;

const { consistencies } = cassandra.types;

/** Long | number | null → number (0 for null). Seqs stay far below 2^53. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "number") return v;
  return Number((v as { toString(): string }).toString());
}

/** Long | null → number | null. */
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** Everything the store parts share. */
export class Ctx {
  readonly consistency: number;
  readonly serial: number;
  /** Seconds, 0 = forever. Message, dedupe and index writes carry it. */
  readonly ttl: number;
  readonly dedupeTtl: number;
  /** Conversations known to exist (they are never deleted, so this never goes stale). */
  readonly knownConvs = new Set<string>();

  constructor(
    readonly client: cassandra.Client,
    readonly ks: string,
    consistency: string,
    ttlSeconds: number,
    readonly log: Logger,
  ) {
    const level = (consistencies as unknown as Record<string, number>)[camel(consistency)];
    if (level === undefined) throw new Error(`unknown consistency level: ${consistency}`);
    this.consistency = level;
    this.serial = consistency.startsWith("LOCAL_") ? consistencies.localSerial : consistencies.serial;
    this.ttl = ttlSeconds;
    this.dedupeTtl = ttlSeconds > 0 ? ttlSeconds : DEFAULT_DEDUPE_TTL;
  }

  /** A prepared statement at the configured consistency. `{ks}` in the CQL names the keyspace. */
  exec(cql: string, params: unknown[], opts: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> {
    return this.client.execute(cql.replaceAll("{ks}", this.ks), params, {
      prepare: true,
      consistency: this.consistency,
      serialConsistency: this.serial,
      ...opts,
    }).catch(storageUnavailable);
  }

  /** A conditional (LWT) batch: all statements on one partition, Paxos at SERIAL/LOCAL_SERIAL. */
  casBatch(queries: { query: string; params: unknown[] }[]): Promise<cassandra.types.ResultSet> {
    return this.client.batch(
      queries.map((q) => ({ query: q.query.replaceAll("{ks}", this.ks), params: q.params })),
      { prepare: true, logged: true, consistency: this.consistency, serialConsistency: this.serial, isIdempotent: false },
    );
  }

  /** An UNLOGGED batch of idempotent writes (possibly several partitions): one request. */
  unloggedBatch(queries: { query: string; params: unknown[] }[]): Promise<cassandra.types.ResultSet> {
    return this.client.batch(
      queries.map((q) => ({ query: q.query.replaceAll("{ks}", this.ks), params: q.params })),
      { prepare: true, logged: false, consistency: this.consistency, isIdempotent: true },
    ).catch(storageUnavailable);
  }

  /** Static `last_seq` of one bucket (null when the bucket was never written). */
  async bucketHead(convId: string, bucket: number, serial = false): Promise<number | null> {
    const rs = await this.exec("SELECT last_seq FROM {ks}.messages WHERE conv_id = ? AND bucket = ? LIMIT 1", [convId, bucket],
      serial ? { consistency: this.serial } : {});
    return numOrNull(rs.first()?.get("last_seq"));
  }

  /** `last_seq_hint` of a conversation, or null when the conversation does not exist. */
  async headHint(convId: string): Promise<number | null> {
    const rs = await this.exec("SELECT conv_id, last_seq_hint FROM {ks}.conversations WHERE conv_id = ?", [convId]);
    const row = rs.first();
    if (!row) return null;
    this.knownConvs.add(convId);
    return num(row.get("last_seq_hint"));
  }

  /**
   * The exact head: start at the bucket of a lower bound (`from`, e.g. the hint or a cached head)
   * and walk forward while buckets are full. Exact because a bucket is only started after the
   * previous one is full, and `last_seq` is never expired (no TTL on it).
   */
  async discoverHead(convId: string, from: number): Promise<number> {
    let b = bucketOf(from);
    let head = from;
    for (;;) {
      const last = await this.bucketHead(convId, b);
      if (last === null) return head;
      head = Math.max(head, last);
      if (last < bucketEnd(b)) return head;
      b++;
    }
  }

  /** The exact head of a conversation (0 when unknown or empty). */
  async head(convId: string): Promise<number> {
    const hint = await this.headHint(convId);
    if (hint === null) return 0;
    return this.discoverHead(convId, hint);
  }
}

/** `LOCAL_QUORUM` → `localQuorum` (the driver's key names). */
function camel(level: string): string {
  return level.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Transient driver failures (no host, busy connections, client timeouts, Cassandra overloaded,
 * unavailable, read/write timeouts) surface as `unavailable`, which clients retry with the same
 * client message id; anything else (a bug, a schema problem) stays an error of its own.
 */
export function storageUnavailable(err: unknown): never {
  if (err instanceof MagpieError) throw err;
  const e = err as { name?: string; code?: number; message?: string };
  const codes = cassandra.types.responseErrorCodes;
  const transient = e?.name === "NoHostAvailableError" || e?.name === "OperationTimedOutError" || e?.name === "BusyConnectionError" ||
    (e?.name === "ResponseError" && [codes.overloaded, codes.isBootstrapping, codes.unavailableException, codes.writeTimeout,
      codes.readTimeout, codes.readFailure, codes.writeFailure].includes(e.code as number));
  if (!transient) throw err;
  throw new MagpieError("unavailable", `cassandra: ${e.message ?? String(err)}`);
}
