/** The handler's Hono app: bridge links, conversation REST, health. */
import type { UpgradeWebSocket } from "hono/ws";
import type { Logger } from "../../src/core/log.ts";
import type { LinkHub } from "../../src/handler/links.ts";
import type { MessageService } from "../../src/handler/service.ts";
import type { PresenceService } from "../../src/handler/presence.ts";
import type { SearchService } from "../../src/handler/search_service.ts";
import { createBaseApp } from "../../src/http/app.ts";
import { linkRoute } from "./link.ts";
import { conversationRoutes } from "./conversations.ts";
import { searchRoutes } from "./search.ts";

/** Dependencies of the handler app. */
export interface HandlerAppDeps {
  upgradeWebSocket: UpgradeWebSocket;
  hub: LinkHub;
  service: MessageService;
  presence: PresenceService;
  /** Full-text search (GET /v1/search and the `search` frame); optional for tests that do not need it. */
  search?: SearchService;
  clusterSecret: string;
  jwtSecret: string;
  handlerId: string;
  log: Logger;
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
