/** Runtime-neutral serving contract implemented under src/runtime/<runtime>/. */

/** Options for serving a Hono app. */
export interface ServeOptions {
  hostname: string;
  port: number;
  maxRequestBodySize?: number;
  ws?: { maxPayloadLength?: number; idleTimeoutSeconds?: number; backpressureLimit?: number };
}

/** A running server. */
export interface Served {
  readonly port: number;
  readonly hostname: string;
  stop(force?: boolean): Promise<void>;
}
