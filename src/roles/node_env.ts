/** Environment settings shared by the node roles (bridge, handler). */
import { z } from "zod";
import { env, parseConfig } from "../core/config.ts";

/** Settings every node role reads. */
export const NodeEnv = z.object({
  MAGPIE_HOST: env.str("127.0.0.1"),
  MAGPIE_NODE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - (1-64)").optional(),
  MAGPIE_REGISTRIES: env.list("http://127.0.0.1:7700").pipe(z.array(z.url()).min(1, "at least one registry URL")),
  MAGPIE_CLUSTER_SECRET: env.str("dev-cluster-secret"),
  MAGPIE_JWT_SECRET: env.str("dev-jwt-secret"),
  MAGPIE_REGION: env.str("local"),
  MAGPIE_ZONE: env.str("local-a"),
  MAGPIE_HEARTBEAT_MS: env.int(5000, 10),
  MAGPIE_SNAPSHOT_MS: env.int(30000, 100),
  MAGPIE_LOG_LEVEL: env.level(),
});

/**
 * Parses a role's environment once; on a bad value prints the message (naming the variable)
 * and exits with status 2 — a role never starts on a configuration it could not read.
 */
export function loadConfig<S extends z.ZodType>(role: string, schema: S): Readonly<z.output<S>> {
  try {
    return parseConfig(schema, process.env);
  } catch (e) {
    console.error(`${role}: ${(e as Error).message}`);
    process.exit(2);
  }
}

/** Installs SIGINT/SIGTERM handlers that run `stop` once, then exit. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const run = () => {
    if (stopping) return;
    stopping = true;
    stop().finally(() => process.exit(0));
  };
  process.on("SIGINT", run);
  process.on("SIGTERM", run);
}
