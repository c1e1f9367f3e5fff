/** `/v1/routes/lookup`: where are these users connected (cluster secret). */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { MagpieError } from "../../src/core/errors.ts";
import { requireBearer } from "../../src/registry/auth.ts";
import type { RegistryDeps } from "../../src/registry/deps.ts";
import { LookupBody, MAX_LOOKUP_BYTES, MAX_LOOKUP_USERS } from "../../src/registry/schemas.ts";
import { limitBody } from "./body_limit.ts";

/** Route lookup; mount at `/v1/routes`. More than 10k users answers 413 `payload_too_large`. */
export function routeLookupRoutes(deps: RegistryDeps): Hono {
  const { state, settings, metrics } = deps;
  const now = deps.now ?? Date.now;
  const app = new Hono();
  const cluster = requireBearer([settings.clusterSecret], () => metrics?.authFailure?.("cluster"));

  const body = zValidator("json", LookupBody, (result) => {
    if (result.success) return;
    const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const tooMany = result.error.issues.some((i) => i.code === "too_big" && i.path.length === 1 && i.path[0] === "users");
    if (tooMany) throw new MagpieError("payload_too_large", `at most ${MAX_LOOKUP_USERS} users per lookup`);
    throw new MagpieError("bad_request", `invalid json: ${issues.map((i) => `${i.path || "(root)"} ${i.message}`).join("; ")}`, { issues });
  });

  app.post("/lookup", cluster, limitBody(MAX_LOOKUP_BYTES), body, (c) => {
    const { users } = c.req.valid("json");
    metrics?.routeLookup?.(users.length);
    return c.json({ routes: state.lookup(users, now()) });
  });
  return app;
}
