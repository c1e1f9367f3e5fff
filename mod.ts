/**
 * Magpie — an instant-messaging system: independent registries, WebSocket bridges, message
 * handlers on Cassandra, full-text search, metrics.
 *
 * This module is the public, runtime-neutral surface:
 * - the **client SDK** (`MagpieClient`) for browsers, Bun, Deno and Node;
 * - the **core**: domain types, the storage contract, the error type and its stable codes;
 * - the **wire protocol** (frame schemas, close codes);
 * - the **shared route modules** that each role mounts (`createRegistryApp`,
 *   `createHandlerApp`, `createBridgeApp`) and the registry clients nodes use.
 *
 * Roles are started with `bun run src/roles/<role>.ts` (see README.md). Runtime-specific code
 * (Bun serving, bun:sqlite) lives under `src/runtime/` and is not exported here.
 *
 * @module
 */

// Client SDK
export * from "./src/client/index.ts";

// Core
export { ERROR_CODES, MagpieError, isErrorCode, toMagpieError, type ErrorBody, type ErrorCode } from "./src/core/errors.ts";
export { Body, ClientMsgId, ConvId, DeviceId, MAX_BODY_BYTES, UserId, directConvId, directMembers } from "./src/core/ids.ts";
export type { Conversation, ConvKind, Membership, Message, MessageKind, UserConversation } from "./src/core/types.ts";
export type {
  AppendInput, AppendResult, ConversationDirectory, MessageLog, NewConversation, ReadQuery, Store, StoreOptions, UserState,
} from "./src/core/store.ts";
export { decodeCursor, encodeCursor, type Cursor } from "./src/core/cursor.ts";
export { createLogger, silentLogger, type Logger, type LogLevel } from "./src/core/log.ts";
export { rendezvous } from "./src/core/hash.ts";

// Protocol
export { CLOSE, ClientFrame, PROTOCOL_VERSION, decodeClientFrame, type ServerFrame } from "./src/protocol/frames.ts";

// Auth
export { signUserToken, verifyUserToken, type Identity } from "./src/auth/jwt.ts";

// Shared route modules (Hono sub-apps) and node-side registry clients
export { createRegistryApp } from "./routes/registry/index.ts";
export { createHandlerApp } from "./routes/handler/index.ts";
export { createBridgeApp } from "./routes/bridge/index.ts";
export { RegistryClient } from "./src/registry/client.ts";
export { createRegistrationClient, type RegistrationClient } from "./src/registry/node_client.ts";

// Production store (Cassandra); the embedded store is Bun-specific: src/store/sqlite/.
export { CassandraStore, openCassandraStore } from "./src/store/cassandra/index.ts";
