/**
 * `RegistryClient`: how nodes, clients and admin tools query the registries. Registries are
 * tried in order; a network error, timeout or 5xx (other than 503 `no_bridge_available`, which
 * is an answer) moves on to the next one. 4xx answers are final and thrown as MagpieError.
 * Web-standard fetch only.
 */
import { isErrorCode, MagpieError } from "../core/errors.ts";
import type { LookupResponseT, NodeViewT, SelectResponseT, SummaryResponseT } from "./schemas.ts";

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  registries: string[];
  /** Cluster secret or admin token, sent as bearer (selection needs none). */
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Client of the registry REST API with fail-over across registries. */
export class RegistryClient {
  private readonly urls: string[];
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: RegistryClientOptions) {
    if (opts.registries.length === 0) throw new Error("RegistryClient needs at least one registry URL");
    this.urls = opts.registries.map((u) => u.replace(/\/+$/, ""));
    this.doFetch = opts.fetch ?? fetch;
  }

  /** Live nodes of `role` (all roles when omitted). */
  async listNodes(role?: "bridge" | "handler"): Promise<NodeViewT[]> {
    const r = await this.request<{ nodes: NodeViewT[] }>("GET", `/v1/nodes${role ? `?role=${role}` : ""}`);
    return r.nodes;
  }

  /** Where `users` are connected: userId → [{bridgeId, deviceId}]; unrouted users absent. */
  async lookupRoutes(users: string[]): Promise<LookupResponseT["routes"]> {
    const r = await this.request<LookupResponseT>("POST", "/v1/routes/lookup", { users });
    return r.routes;
  }

  /** A bridge for `user` chosen by `strategy` (registry default when omitted). */
  async selectBridge(q: { user?: string; strategy?: string; region?: string } = {}): Promise<SelectResponseT> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, v);
    const qs = p.toString();
    return this.request<SelectResponseT>("GET", `/v1/bridges/select${qs ? `?${qs}` : ""}`);
  }

  /** Cluster summary (admin token) from the first registry that answers. */
  async summary(): Promise<SummaryResponseT> {
    return this.request<SummaryResponseT>("GET", "/v1/admin/summary");
  }

  /** Marks a node draining on EVERY registry (admin token); resolves to how many accepted. */
  async drainEverywhere(nodeId: string): Promise<number> {
    const results = await Promise.allSettled(
      this.urls.map((u) => this.once<unknown>(u, "POST", `/v1/admin/nodes/${encodeURIComponent(nodeId)}/drain`)),
    );
    return results.filter((r) => r.status === "fulfilled").length;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let last: unknown;
    for (const u of this.urls) {
      try {
        return await this.once<T>(u, method, path, body);
      } catch (e) {
        if (e instanceof MagpieError && e.status < 500) throw e;
        if (e instanceof MagpieError && e.code === "no_bridge_available") throw e;
        last = e;
      }
    }
    throw last instanceof MagpieError ? last : new MagpieError("unavailable", `no registry answered: ${String((last as Error)?.message ?? last)}`);
  }

  private async once<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), this.opts.timeoutMs ?? 3000);
    try {
      const headers: Record<string, string> = {};
      if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await this.doFetch(base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: ac.signal,
      });
      const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      if (!res.ok) {
        const code = json?.error?.code;
        throw new MagpieError(code && isErrorCode(code) ? code : res.status >= 500 ? "unavailable" : "bad_request",
          json?.error?.message ?? `HTTP ${res.status} from ${base}`);
      }
      return json as T;
    } finally {
      clearTimeout(t);
    }
  }
}
