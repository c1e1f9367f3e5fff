/**
 * Opaque history cursors. A cursor names a conversation and a seq; using a cursor with a
 * different conversation is rejected (`cursor_mismatch`) instead of silently reading elsewhere.
 */
import { MagpieError } from "./errors.ts";

/** Decoded cursor. */
export interface Cursor {
  convId: string;
  seq: number;
}

/** Encodes a cursor as URL-safe base64 of `convId|seq`. */
export function encodeCursor(c: Cursor): string {
  const raw = `${c.convId}|${c.seq}`;
  return btoa(String.fromCharCode(...new TextEncoder().encode(raw)))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Decodes a cursor and checks it belongs to `convId`. */
export function decodeCursor(token: string, convId: string): Cursor {
  let raw: string;
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(token)) throw new Error("charset");
    const b64 = token.replaceAll("-", "+").replaceAll("_", "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    raw = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
  } catch {
    throw new MagpieError("invalid_cursor", "cursor is not a valid token");
  }
  const bar = raw.lastIndexOf("|");
  const seq = Number(raw.slice(bar + 1));
  if (bar <= 0 || !Number.isSafeInteger(seq) || seq < 0) throw new MagpieError("invalid_cursor", "cursor is not a valid token");
  const cursor = { convId: raw.slice(0, bar), seq };
  if (cursor.convId !== convId) throw new MagpieError("cursor_mismatch", "cursor belongs to another conversation");
  return cursor;
}
