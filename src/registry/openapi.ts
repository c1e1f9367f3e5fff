/**
 * The registry's OpenAPI 3.1 document, generated from the zod schemas in `schemas.ts` with
 * `z.toJSONSchema` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Only the list of
 * operations is written here; no schema is duplicated by hand.
 */
import { z } from "zod";
import * as S from "./schemas.ts";

type Op = {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  auth?: "cluster" | "admin" | "cluster-or-admin";
  body?: z.ZodType;
  query?: z.ZodObject;
  params?: string[];
  ok: z.ZodType;
  errors: Record<number, string>;
};

const AUTH_ERR = { 401: "unauthenticated (no bearer token)", 403: "forbidden (wrong token)" };
const OPS: Op[] = [
  { method: "post", path: "/v1/nodes/register", summary: "Register a node with a full snapshot", auth: "cluster", body: S.RegisterBody, ok: S.RegisterResponse, errors: { 400: "bad_request", 413: "payload_too_large", ...AUTH_ERR } },
  { method: "post", path: "/v1/nodes/heartbeat", summary: "Heartbeat with load and client deltas", auth: "cluster", body: S.HeartbeatBody, ok: S.HeartbeatResponse, errors: { 400: "bad_request", 404: "unknown_node (re-register)", 413: "payload_too_large", ...AUTH_ERR } },
  { method: "delete", path: "/v1/nodes/{nodeId}", summary: "Deregister a node at once", auth: "cluster", params: ["nodeId"], ok: S.OkResponse, errors: { 400: "bad_request", ...AUTH_ERR } },
  { method: "get", path: "/v1/nodes", summary: "Live nodes, optionally of one role", auth: "cluster-or-admin", query: S.ListNodesQuery, ok: S.ListNodesResponse, errors: { 400: "bad_request", ...AUTH_ERR } },
  { method: "post", path: "/v1/routes/lookup", summary: "Where users are connected", auth: "cluster", body: S.LookupBody, ok: S.LookupResponse, errors: { 400: "bad_request", 413: "payload_too_large (> 10000 users or > 1 MB)", ...AUTH_ERR } },
  { method: "get", path: "/v1/bridges/select", summary: "Pick a bridge for a client", query: S.SelectQuery, ok: S.SelectResponse, errors: { 400: "bad_request | unknown_strategy", 429: "rate_limited", 503: "no_bridge_available" } },
  { method: "get", path: "/v1/admin/nodes", summary: "All live nodes with their load", auth: "admin", ok: S.ListNodesResponse, errors: AUTH_ERR },
  { method: "post", path: "/v1/admin/nodes/{nodeId}/drain", summary: "Mark a node draining", auth: "admin", params: ["nodeId"], ok: S.OkResponse, errors: { 404: "unknown_node", ...AUTH_ERR } },
  { method: "delete", path: "/v1/admin/nodes/{nodeId}", summary: "Remove a node", auth: "admin", params: ["nodeId"], ok: S.OkResponse, errors: { 404: "unknown_node", ...AUTH_ERR } },
  { method: "get", path: "/v1/admin/summary", summary: "Cluster summary for Metric", auth: "admin", ok: S.SummaryResponse, errors: AUTH_ERR },
  { method: "get", path: "/healthz", summary: "Liveness", ok: S.HealthResponse, errors: {} },
  { method: "get", path: "/readyz", summary: "Readiness (503 unavailable while warming up)", ok: S.HealthResponse, errors: { 503: "unavailable" } },
];

function schema(s: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

const SECURITY: Record<string, unknown[]> = {
  cluster: [{ clusterSecret: [] }],
  admin: [{ adminToken: [] }],
  "cluster-or-admin": [{ clusterSecret: [] }, { adminToken: [] }],
};

/** Builds the OpenAPI document. */
export function buildOpenApi(version = "0.1.0"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = { content: { "application/json": { schema: schema(S.ErrorResponse, "output") } } };
  for (const op of OPS) {
    const parameters: unknown[] = [];
    for (const p of op.params ?? []) parameters.push({ name: p, in: "path", required: true, schema: schema(S.NodeId, "input") });
    if (op.query) {
      for (const [name, field] of Object.entries(op.query.shape)) {
        parameters.push({ name, in: "query", required: !(field as z.ZodType).safeParse(undefined).success, schema: schema(field as z.ZodType, "input") });
      }
    }
    const responses: Record<string, unknown> = {
      200: { description: "OK", content: { "application/json": { schema: schema(op.ok, "output") } } },
    };
    for (const [status, code] of Object.entries(op.errors)) responses[status] = { description: code, ...error };
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(op.auth ? { security: SECURITY[op.auth] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: schema(op.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Magpie registry", version },
    components: {
      securitySchemes: {
        clusterSecret: { type: "http", scheme: "bearer", description: "MAGPIE_CLUSTER_SECRET" },
        adminToken: { type: "http", scheme: "bearer", description: "MAGPIE_ADMIN_TOKEN" },
      },
    },
    paths,
  };
}
