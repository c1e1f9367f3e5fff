/**
 * Wire schemas of the registry REST API. Every request body, query and response is declared
 * here once; routes validate with them and `openapi.ts` turns them into `/openapi.json`.
 */
import { z } from "zod";
import { DeviceId, UserId } from "../core/ids.ts";

/** Most users one route lookup may ask about (more answers 413 `payload_too_large`). */
export const MAX_LOOKUP_USERS = 10_000;
/** Largest register/heartbeat body (a full client snapshot), in bytes. */
export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;
/** Largest route lookup body, in bytes (10k ids of 64 chars fit comfortably). */
export const MAX_LOOKUP_BYTES = 1024 * 1024;
/** Largest body of any other registry endpoint, in bytes. */
export const MAX_SMALL_BYTES = 64 * 1024;

/** Node ids: 1–64 chars of letters, digits, `_ . -`. */
export const NodeId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "invalid node id");
/** Node roles that register. */
export const NodeRole = z.enum(["bridge", "handler"]);
/** Region/zone labels. */
const Label = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "invalid label");
const Url = z.string().min(1).max(2048).url();

/** Current load of a node. */
export const NodeLoad = z.object({
  connections: z.number().int().min(0),
  msgsPerSec: z.number().min(0),
});

/** What a node reports about itself on every register/heartbeat. */
export const NodeInfo = z.object({
  nodeId: NodeId,
  role: NodeRole,
  version: z.string().min(1).max(64),
  /** Bridges: the WebSocket URL clients connect to. */
  publicUrl: Url.optional(),
  /** HTTP base for node-to-node calls. */
  internalUrl: Url,
  metricsUrl: Url.optional(),
  region: Label,
  zone: Label,
  capacity: z.number().int().min(0),
  load: NodeLoad,
  /** Set by the node itself once it is draining (so every registry learns it). */
  draining: z.boolean().optional(),
});

/** One connected device of a user on a bridge. */
export const ClientRef = z.object({ userId: UserId, deviceId: DeviceId });

/** `POST /v1/nodes/register`: a full snapshot of the node. */
export const RegisterBody = z.object({
  node: NodeInfo,
  clients: z.array(ClientRef).optional(),
  /** Delta sequence number the next heartbeat continues from (optional). */
  seq: z.number().int().min(0).optional(),
  linkedBridges: z.array(NodeId).max(10_000).optional(),
});

/** Client changes carried by a heartbeat: either a `full` list or `added`/`removed` deltas. */
export const ClientsDelta = z.object({
  seq: z.number().int().min(0),
  full: z.array(ClientRef).optional(),
  added: z.array(ClientRef).optional(),
  removed: z.array(ClientRef).optional(),
});

/** `POST /v1/nodes/heartbeat`. */
export const HeartbeatBody = z.object({
  node: NodeInfo,
  clients: ClientsDelta.optional(),
  linkedBridges: z.array(NodeId).max(10_000).optional(),
});

/** Answer to register. */
export const RegisterResponse = z.object({
  ok: z.literal(true),
  expiresInMs: z.number().int(),
  draining: z.boolean(),
});

/** Answer to heartbeat. `wantSnapshot`: send `clients.full` on the next beat. */
export const HeartbeatResponse = RegisterResponse.extend({ wantSnapshot: z.boolean() });

/** `DELETE /v1/nodes/:nodeId` and admin node params. */
export const NodeParam = z.object({ nodeId: NodeId });

/** A live node as seen by a registry. */
export const NodeView = NodeInfo.extend({
  /** Epoch milliseconds of the last register/heartbeat. */
  lastSeenMs: z.number().int(),
  draining: z.boolean(),
  clientCount: z.number().int(),
  linkedBridges: z.array(NodeId).optional(),
});

/** `GET /v1/nodes` query. */
export const ListNodesQuery = z.object({ role: NodeRole.optional() });
/** `GET /v1/nodes` answer. */
export const ListNodesResponse = z.object({ nodes: z.array(NodeView) });

/** `POST /v1/routes/lookup` body. */
export const LookupBody = z.object({ users: z.array(UserId).max(MAX_LOOKUP_USERS) });
/** One place a user is connected. */
export const Route = z.object({ bridgeId: NodeId, deviceId: DeviceId });
/** `POST /v1/routes/lookup` answer: users with no route are absent. */
export const LookupResponse = z.object({ routes: z.record(z.string(), z.array(Route)) });

/** Names of the bridge selection strategies. */
export const STRATEGIES = ["round-robin", "random", "least-connections", "consistent-hash", "region"] as const;
/** A selection strategy name. */
export const Strategy = z.enum(STRATEGIES);
/** A selection strategy name. */
export type StrategyName = z.infer<typeof Strategy>;

/** `GET /v1/bridges/select` query (strategy is checked separately for `unknown_strategy`). */
export const SelectQuery = z.object({
  user: UserId.optional(),
  strategy: z.string().max(64).optional(),
  region: Label.optional(),
});

/** The bridge a client should connect to. */
export const SelectedBridge = z.object({
  nodeId: NodeId,
  publicUrl: z.string(),
  region: z.string(),
  zone: z.string(),
});
/** `GET /v1/bridges/select` answer. */
export const SelectResponse = z.object({ bridge: SelectedBridge, strategy: Strategy });

/** Per-role counts in the admin summary. */
export const RoleCounts = z.object({ live: z.number().int(), draining: z.number().int() });
/** `GET /v1/admin/summary`: cluster statistics for Metric. */
export const SummaryResponse = z.object({
  registryId: z.string(),
  nodes: z.object({ bridge: RoleCounts, handler: RoleCounts }),
  totalConnections: z.number().int(),
  totalMsgsPerSec: z.number(),
  routedUsers: z.number().int(),
  routedDevices: z.number().int(),
  bridges: z.array(z.object({
    nodeId: NodeId,
    region: z.string(),
    zone: z.string(),
    connections: z.number().int(),
    capacity: z.number().int(),
    msgsPerSec: z.number(),
    clientCount: z.number().int(),
    draining: z.boolean(),
  })),
});

/** `{ ok: true }` answers (deregister, drain, remove). */
export const OkResponse = z.object({ ok: z.literal(true) });
/** Health answers. */
export const HealthResponse = z.object({ status: z.string() });
/** Every error answer. */
export const ErrorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export type NodeInfoT = z.infer<typeof NodeInfo>;
export type ClientRefT = z.infer<typeof ClientRef>;
export type RegisterBodyT = z.infer<typeof RegisterBody>;
export type HeartbeatBodyT = z.infer<typeof HeartbeatBody>;
export type HeartbeatResponseT = z.infer<typeof HeartbeatResponse>;
export type RegisterResponseT = z.infer<typeof RegisterResponse>;
export type NodeViewT = z.infer<typeof NodeView>;
export type LookupResponseT = z.infer<typeof LookupResponse>;
export type SelectResponseT = z.infer<typeof SelectResponse>;
export type SummaryResponseT = z.infer<typeof SummaryResponse>;
