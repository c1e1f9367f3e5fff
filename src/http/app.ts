/**
 * The base Hono app every role builds on: one error handler turning {@link MagpieError} into
 * `{ error: { code, message } }` with the code's status, request ids, and a JSON 404.
 */
import { Hono } from "hono";
import { MagpieError, toMagpieError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";

/** Creates a Hono app with Magpie's error handling and request logging at debug level. */
export function createBaseApp(log: Logger): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    // Hono's own HTTPException (e.g. body limit) carries a status; map it to a stable code.
    const status = (err as { status?: number }).status;
    const e = err instanceof MagpieError
      ? err
      : status === 413
      ? new MagpieError("payload_too_large", "request body too large")
      : status === 401
      ? new MagpieError("unauthenticated", err.message || "unauthenticated")
      : status !== undefined && status >= 400 && status < 500
      ? new MagpieError("bad_request", err.message || "bad request")
      : toMagpieError(err);
    if (e.code === "internal") log.error("request failed", { path: c.req.path, err: String(err?.stack ?? err) });
    return c.json({ error: e.toJSON() }, e.status as 400);
  });
  app.notFound((c) => c.json({ error: new MagpieError("not_found", `no route ${c.req.method} ${c.req.path}`).toJSON() }, 404));
  return app;
}

/** The JSON body of an error response. */
export function errorResponse(e: MagpieError): Response {
  return Response.json({ error: e.toJSON() }, { status: e.status });
}
