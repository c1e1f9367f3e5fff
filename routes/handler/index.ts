/** The handler's Hono app: bridge links, conversation REST, health. */
import { createBaseApp } from "../../src/http/app.ts";
import { linkRoute, type LinkRouteDeps } from "./link.ts";
import { conversationRoutes } from "./conversations.ts";
import { searchRoutes } from "./search.ts";

/** Dependencies of the handler app: the link route's, plus user-token REST and readiness. */
export interface HandlerAppDeps extends LinkRouteDeps {
  jwtSecret: string;
  ready: () => boolean;
}

/** Creates the handler app. */
export function createHandlerApp(deps: HandlerAppDeps) {
  const app = createBaseApp(deps.log);
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => (deps.ready() ? c.json({ status: "ready" }) : c.json({ status: "starting" }, 503)));
  app.route("/", linkRoute(deps));
  app.route("/v1", conversationRoutes({ service: deps.service, jwtSecret: deps.jwtSecret }));
  if (deps.search) app.route("/v1", searchRoutes({ search: deps.search, jwtSecret: deps.jwtSecret }));
  return app;
}
