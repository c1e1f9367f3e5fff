/**
 * One error type for all of Magpie. Every failure that crosses a boundary (REST response,
 * WebSocket error frame, store call) is a {@link MagpieError} with a stable string code.
 * Codes never change meaning once released; new failures get new codes.
 */

/** Stable error codes, with the HTTP status each maps to. */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_id: 400,
  body_empty: 400,
  body_too_large: 413,
  payload_too_large: 413,
  malformed_frame: 400,
  unknown_frame: 400,
  frame_too_large: 413,
  invalid_cursor: 400,
  cursor_mismatch: 400,
  unknown_strategy: 400,
  invalid_query: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_member: 403,
  not_sender: 403,
  not_found: 404,
  conversation_not_found: 404,
  message_not_found: 404,
  unknown_node: 404,
  conflict: 409,
  recall_window_passed: 409,
  rate_limited: 429,
  no_bridge_available: 503,
  unavailable: 503,
  internal: 500,
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** JSON shape of an error on the wire (REST body and WebSocket `error` frame). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** The single error type. `status` is derived from the code. */
export class MagpieError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "MagpieError";
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = details;
  }

  /** Wire form of this error. */
  toJSON(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Turns anything thrown into a MagpieError (unknown errors become `internal`). */
export function toMagpieError(err: unknown): MagpieError {
  if (err instanceof MagpieError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MagpieError("internal", message);
}

/** True when `code` is one of the stable codes. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
