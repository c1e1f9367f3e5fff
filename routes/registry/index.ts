/** The registry's Hono app: the shared base app with every registry route module mounted. */
import type { Hono } from "hono";
import { createBaseApp } from "../../src/http/app.ts";
import type { RegistryDeps } from "../../src/registry/deps.ts";
import { adminRoutes } from "./admin.ts";
import { healthRoutes } from "./health.ts";
import { nodesRoutes } from "./nodes.ts";
import { openApiRoutes } from "./openapi.ts";
import { routeLookupRoutes } from "./routes.ts";
import { sdRoutes } from "./sd.ts";
import { selectRoutes } from "./select.ts";

export type { RegistryDeps } from "../../src/registry/deps.ts";

/** Creates the registry app from its dependencies (no sockets; serve it or call `app.request`). */
export function createRegistryApp(deps: RegistryDeps): Hono {
  const app = createBaseApp(deps.log);
  app.route("/", healthRoutes(deps));
  app.route("/", openApiRoutes());
  app.route("/v1/nodes", nodesRoutes(deps));
  app.route("/v1/routes", routeLookupRoutes(deps));
  app.route("/v1/bridges", selectRoutes(deps));
  app.route("/v1/admin", adminRoutes(deps));
  app.route("/v1/sd", sdRoutes(deps));
  return app;
}
