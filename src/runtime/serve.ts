/**
 * The runtime-neutral entry to serving: picks the Bun or Deno implementation at start (the
 * roles import this, never a runtime directly). Both implement {@link ServeOptions} → {@link Served}.
 */
import type { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import type { ServeOptions, Served } from "./types.ts";

interface RuntimeServe {
  serve(app: Hono, opts: ServeOptions): Served;
  upgradeWebSocket: UpgradeWebSocket;
}

/** Name of the runtime this process runs on. */
export const runtimeName: "bun" | "deno" = "Bun" in globalThis ? "bun" : "deno";

const impl: RuntimeServe = runtimeName === "bun"
  ? (await import("./bun/serve.ts")) as unknown as RuntimeServe
  : (await import("./deno/serve.ts")) as unknown as RuntimeServe;

/** Serves a Hono app on the current runtime. */
export const serve = impl.serve;
/** Hono's WebSocket upgrade helper for the current runtime. */
export const upgradeWebSocket: UpgradeWebSocket = impl.upgradeWebSocket;
