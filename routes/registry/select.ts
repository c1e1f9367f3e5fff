/**
 * `/v1/bridges/select`: the public bridge selection endpoint. Open, but rate-limited per client
 * address with a token bucket (429 `rate_limited`).
 */
import { Hono } from "hono";
import { MagpieError } from "../../src/core/errors.ts";
import { validate } from "../../src/http/validate.ts";
import { defaultClientAddress, type RegistryDeps } from "../../src/registry/deps.ts";
import { KeyedRateLimiter } from "../../src/registry/rate_limit.ts";
import { SelectQuery, STRATEGIES, type SelectResponseT, type StrategyName } from "../../src/registry/schemas.ts";
import { select } from "../../src/registry/strategies.ts";

/** Bridge selection; mount at `/v1/bridges`. */
export function selectRoutes(deps: RegistryDeps): Hono {
  const { state, settings, metrics } = deps;
  const now = deps.now ?? Date.now;
  const rand = deps.random ?? Math.random;
  const address = deps.clientAddress ?? ((c) => defaultClientAddress(c, settings.trustProxy));
  const limiter = new KeyedRateLimiter(settings.selectRate, settings.selectBurst);
  let counter = 0;
  const app = new Hono();

  app.get("/select", (c, next) => {
    if (!limiter.take(address(c), now())) {
      metrics?.rateLimited?.();
      throw new MagpieError("rate_limited", "too many selection requests from this address");
    }
    return next();
  }, validate("query", SelectQuery), (c) => {
    const q = c.req.valid("query");
    const strategy = (q.strategy ?? settings.defaultStrategy) as StrategyName;
    if (!(STRATEGIES as readonly string[]).includes(strategy)) {
      throw new MagpieError("unknown_strategy", `unknown strategy "${q.strategy}"; one of ${STRATEGIES.join(", ")}`);
    }
    const pick = select(strategy, state.candidates(now()), {
      user: q.user, region: q.region, counter: counter++, random: rand, preference: settings.regionPreference,
    });
    if (!pick?.publicUrl) {
      metrics?.selection?.(strategy, "none");
      throw new MagpieError("no_bridge_available", "no healthy bridge is available");
    }
    state.noteSelected(pick.nodeId);
    metrics?.selection?.(strategy, "ok");
    const out: SelectResponseT = {
      bridge: { nodeId: pick.nodeId, publicUrl: pick.publicUrl, region: pick.region, zone: pick.zone },
      strategy,
    };
    return c.json(out);
  });

  // Idle buckets are dropped once a minute so memory follows the active addresses.
  const timer = setInterval(() => limiter.prune(now()), 60_000);
  (timer as { unref?: () => void }).unref?.();
  return app;
}
