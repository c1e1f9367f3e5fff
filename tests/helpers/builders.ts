/**
 * Fixture builders for store tests. Every id carries a per-run random prefix, so suites also run
 * against a shared database (a Cassandra keyspace) without seeing each other's rows.
 */
import { expect } from "bun:test";
import { MagpieError, type ErrorCode } from "../../src/core/errors.ts";
import { randomId } from "../../src/core/ids.ts";
import type { AppendInput, NewConversation, Store } from "../../src/core/store.ts";

const run = randomId(8);
let counter = 0;
const next = () => `${run}${(++counter).toString(36)}`;

/** A fresh, unique user id. */
export const userId = (label = "u"): string => `${label}-${next()}`;
/** A fresh, unique group conversation id. */
export const groupId = (): string => `g:${next()}`;
/** A fresh, unique client message id. */
export const clientMsgId = (): string => `m-${next()}`;

/** A group conversation input: `owner` creates it with `members` (owner included). */
export function newGroup(owner: string, others: readonly string[] = [], extra: Partial<NewConversation> = {}): NewConversation {
  return { id: groupId(), kind: "group", title: "test group", createdBy: owner, members: [owner, ...others], ...extra };
}

/** Creates a group conversation and returns its id. */
export async function createGroup(store: Store, owner: string, others: readonly string[] = [], extra: Partial<NewConversation> = {}): Promise<string> {
  const conv = await store.createConversation(newGroup(owner, others, extra));
  return conv.id;
}

/** An append input with a fresh client message id. */
export function msg(convId: string, senderId: string, body = "hello", extra: Partial<AppendInput> = {}): AppendInput {
  return { convId, senderId, senderDevice: "dev-1", clientMsgId: clientMsgId(), body, notify: [], ...extra };
}

/** Appends `n` messages (`"<prefix> 1"` …) one after another and returns their seqs. */
export async function appendMany(store: Store, convId: string, senderId: string, n: number, prefix = "msg"): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 1; i <= n; i++) seqs.push((await store.append(msg(convId, senderId, `${prefix} ${i}`))).message.seq);
  return seqs;
}

/** 1..n */
export const range = (from: number, to: number): number[] =>
  from > to ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Asserts that `promise` rejects with a MagpieError of `code`. */
export async function expectMagpieError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MagpieError);
  expect((caught as MagpieError).code).toBe(code);
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
