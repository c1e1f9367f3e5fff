/**
 * Route module: `GET /v1/search` — full-text search over the conversations the user in the
 * bearer token may read (docs/search.md). Bridges proxy `/v1/*` here.
 *
 *   GET /v1/search?q=消息&conv=g:…&sender=…&since=ms&until=ms&limit=20&cursor=…
 *   → { hits: [{ message, snippet: { text, highlights: [[start, end], …] } }], next: string | null }
 *
 * Errors: `invalid_query` (empty/too long/only one-char tokens, bad limit), `bad_request` (bad
 * parameter shape), `not_member` (conv), `invalid_cursor`, `cursor_mismatch`, `unauthenticated`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConvId, UserId } from "../../src/core/ids.ts";
import { MAX_PAGE, type SearchService } from "../../src/handler/search_service.ts";
import { userAuth, type UserAuthEnv } from "../../src/http/user_auth.ts";
import { validate } from "../../src/http/validate.ts";

const Millis = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Query parameters (also used for the OpenAPI document). Length of `q` is checked by the service (`invalid_query`). */
export const SearchParams = z.object({
  q: z.string().max(4096).default(""),
  conv: ConvId.optional(),
  sender: UserId.optional(),
  since: Millis.optional(),
  until: Millis.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(20),
  cursor: z.string().max(400).optional(),
});

/** Creates the search sub-app (mounted at `/v1`). */
export function searchRoutes(deps: { search: SearchService; jwtSecret: string }): Hono<UserAuthEnv> {
  const app = new Hono<UserAuthEnv>();
  app.use("/search", userAuth(deps.jwtSecret));
  app.get("/search", validate("query", SearchParams), async (c) => {
    const p = c.req.valid("query");
    const page = await deps.search.searchFor(c.get("identity"), {
      text: p.q, conv: p.conv, sender: p.sender, since: p.since, until: p.until, limit: p.limit, cursor: p.cursor,
    });
    return c.json(page);
  });
  return app;
}
