/**
 * Bearer-token checks for the registry: the cluster secret for nodes, the admin token for
 * tooling. Tokens are compared in constant time (for a given length).
 */
import type { MiddlewareHandler } from "hono";
import { MagpieError } from "../core/errors.ts";

const enc = new TextEncoder();

/** Compares two strings without an early exit on the first differing byte. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The bearer token of a request, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1]?.trim();
}

/**
 * Middleware accepting any of `tokens` as bearer. Missing header → 401 `unauthenticated`;
 * a wrong token → 403 `forbidden`.
 */
export function requireBearer(tokens: readonly string[], onFail?: () => void): MiddlewareHandler {
  return async (c, next) => {
    const got = bearerToken(c.req.header("authorization"));
    if (got === undefined) {
      onFail?.();
      throw new MagpieError("unauthenticated", "missing bearer token");
    }
    let ok = false;
    for (const t of tokens) ok = constantTimeEqual(got, t) || ok;
    if (!ok) {
      onFail?.();
      throw new MagpieError("forbidden", "wrong bearer token");
    }
    await next();
  };
}
