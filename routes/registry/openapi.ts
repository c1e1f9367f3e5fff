/** `/openapi.json`: the generated OpenAPI document (built once). */
import { Hono } from "hono";
import { buildOpenApi } from "../../src/registry/openapi.ts";

/** OpenAPI route; mount at `/`. */
export function openApiRoutes(): Hono {
  const doc = buildOpenApi();
  const app = new Hono();
  app.get("/openapi.json", (c) => c.json(doc));
  return app;
}
