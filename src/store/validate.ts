/** Input checks shared by every store, in the stable error codes the store contract names. */
import { MagpieError } from "../core/errors.ts";
import { assertBody, assertId, ClientMsgId, ConvId, DeviceId, UserId } from "../core/ids.ts";
import type { AppendInput, NewConversation, ReadQuery } from "../core/store.ts";

/** Throws `invalid_id` unless `convId` is a conversation id. */
export function checkConvId(convId: unknown): asserts convId is string {
  assertId(ConvId, convId, "conversation id");
}

/** Throws `invalid_id` unless `userId` is a user id. */
export function checkUserId(userId: unknown): asserts userId is string {
  assertId(UserId, userId, "user id");
}

/** Throws `invalid_id` unless every entry is a user id. */
export function checkUserIds(userIds: readonly unknown[]): void {
  if (!Array.isArray(userIds)) throw new MagpieError("bad_request", "expected a list of user ids");
  for (const u of userIds) checkUserId(u);
}

/** Validates an append (ids, body, notify list) before anything is written. */
export function checkAppend(input: AppendInput): void {
  checkConvId(input.convId);
  assertId(UserId, input.senderId, "sender id");
  assertId(DeviceId, input.senderDevice, "device id");
  assertId(ClientMsgId, input.clientMsgId, "client message id");
  assertBody(input.body);
  if (input.kind !== undefined && input.kind !== "text" && input.kind !== "recall") {
    throw new MagpieError("bad_request", "message kind must be text or recall");
  }
  checkUserIds(input.notify ?? []);
}

/** Validates a new conversation. */
export function checkNewConversation(input: NewConversation): void {
  checkConvId(input.id);
  assertId(UserId, input.createdBy, "creator id");
  checkUserIds(input.members);
  if (input.kind !== "direct" && input.kind !== "group") {
    throw new MagpieError("bad_request", `unknown conversation kind: ${String(input.kind)}`);
  }
}

/** Validates a history query (`invalid_query`). */
export function checkQuery(q: ReadQuery): void {
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > 1000) {
    throw new MagpieError("invalid_query", "limit must be an integer in 1..1000");
  }
  for (const [name, v] of [["after", q.after], ["before", q.before]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new MagpieError("invalid_query", `${name} must be a non-negative integer`);
    }
  }
}

/** Throws `invalid_query` unless `seq` is a non-negative safe integer. */
export function checkSeq(seq: unknown, what = "seq"): asserts seq is number {
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw new MagpieError("invalid_query", `${what} must be a non-negative integer`);
}

/** True when `seq` can name a message. */
export function isSeq(seq: unknown): seq is number {
  return Number.isSafeInteger(seq) && (seq as number) >= 1;
}
