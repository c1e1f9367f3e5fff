/**
 * Identifier rules shared by every role, as zod schemas, plus the deterministic id of a
 * one-to-one conversation. Validation lives here once; stores and routes reuse it.
 */
import { z } from "zod";
import { MagpieError } from "./errors.ts";

/** Largest message body accepted, in UTF-8 bytes (documented in docs/protocol.md). */
export const MAX_BODY_BYTES = 16 * 1024;

/** User ids: 1–64 chars of letters, digits, `_ . @ -`. */
export const UserId = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "invalid user id");
/** Device ids: 1–64 chars of letters, digits, `_ . -`. */
export const DeviceId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "invalid device id");
/** Client message ids: chosen by the client, unique per sender; 1–64 chars. */
export const ClientMsgId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "invalid client message id");
/** Conversation ids: `d:<userA>:<userB>` (direct, sorted) or `g:<id>` (group). */
export const ConvId = z
  .string()
  .regex(/^(d:[A-Za-z0-9_.@-]{1,64}:[A-Za-z0-9_.@-]{1,64}|g:[A-Za-z0-9_-]{1,64})$/, "invalid conversation id");
/** Message body: non-empty text of at most {@link MAX_BODY_BYTES} UTF-8 bytes. */
export const Body = z
  .string()
  .min(1, "body is empty")
  .refine((s) => utf8Length(s) <= MAX_BODY_BYTES, `body exceeds ${MAX_BODY_BYTES} bytes`);

const encoder = new TextEncoder();
/** UTF-8 byte length of a string. */
export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/** The conversation id of the one-to-one conversation between two users (order-free). */
export function directConvId(a: string, b: string): string {
  assertId(UserId, a, "user id");
  assertId(UserId, b, "user id");
  const [x, y] = a <= b ? [a, b] : [b, a];
  return `d:${x}:${y}`;
}

/** The two members of a direct conversation id, or null for a group id. */
export function directMembers(convId: string): [string, string] | null {
  if (!convId.startsWith("d:")) return null;
  const [, a, b] = convId.split(":");
  return [a!, b!];
}

/** Throws `invalid_id` unless `value` matches `schema`. */
export function assertId(schema: z.ZodType<string>, value: unknown, what: string): asserts value is string {
  if (!schema.safeParse(value).success) {
    throw new MagpieError("invalid_id", `invalid ${what}: ${JSON.stringify(value)?.slice(0, 80)}`);
  }
}

/** Throws `body_empty` / `body_too_large` unless the body is acceptable. */
export function assertBody(body: unknown): asserts body is string {
  if (typeof body !== "string" || body.length === 0) throw new MagpieError("body_empty", "message body is empty");
  if (utf8Length(body) > MAX_BODY_BYTES) {
    throw new MagpieError("body_too_large", `message body exceeds ${MAX_BODY_BYTES} bytes`);
  }
}

/** A random id (URL-safe, 16 chars) for groups, nodes and connections. */
export function randomId(len = 16): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const bytes = crypto.getRandomValues(new Uint8Array(len));
  let out = "";
  for (const b of bytes) out += alphabet[b % 62];
  return out;
}
