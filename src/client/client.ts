/**
 * MagpieClient: the SDK's entry point. Web-standard APIs only (WebSocket, fetch, crypto,
 * timers), so it runs on Bun, Node ≥ 22, Deno and browsers.
 *
 * Guarantees (docs/protocol.md): messages are emitted exactly once and in seq order per
 * conversation on this device (see {@link Sequencer}); `send()` resolves once, on the server's
 * ack, retrying with the same client message id across timeouts and reconnects (see
 * {@link Outbox}). Every (re)connect selects a bridge afresh through the registries, syncs from
 * the saved cursors, then resends what is unacked.
 */
import { MagpieError, toMagpieError } from "../core/errors.ts";
import { assertBody, assertId, ClientMsgId, ConvId, directConvId, randomId } from "../core/ids.ts";
import type { Message } from "../core/types.ts";
import type { ConversationSummary, PresenceState, SearchHitWire, ServerFrame } from "../protocol/frames.ts";
import { Backoff } from "./backoff.ts";
import { Connection, nextRef } from "./connection.ts";
import { MemoryCursorStore } from "./cursors.ts";
import { Emitter } from "./emitter.ts";
import type { ClientEvents, ClientState, MagpieClientOptions, Welcome } from "./options.ts";
import { Outbox, type Ack, type PendingSend } from "./outbox.ts";
import { SendLimiter } from "./rate_limit.ts";
import { RestApi, type CreateGroupOptions, type HistoryQuery, type MemberPage } from "./rest.ts";
import { BridgeSelector, errorFromBody, httpOrigin, socketUrl, type BridgeInfo, type FetchFn } from "./selector.ts";
import { Sequencer, type Page } from "./sequencer.ts";
import { syncAll } from "./sync.ts";

/** Filters and paging of {@link MagpieClient.search}. */
export interface SearchOptions {
  conv?: string;
  sender?: string;
  /** createdAt >= since (ms). */
  since?: number;
  /** createdAt < until (ms). */
  until?: number;
  /** 1..100 (default 20). */
  limit?: number;
  cursor?: string;
}

/** A Magpie client for one user on one device. */
export class MagpieClient extends Emitter<ClientEvents> {
  readonly userId: string;
  private readonly opts: MagpieClientOptions;
  private readonly selector: BridgeSelector;
  private readonly limiter?: SendLimiter;
  private readonly outbox: Outbox;
  private readonly seq: Sequencer;
  private readonly rest: RestApi;
  private readonly backoff: Backoff;
  private conn?: Connection;
  private currentBridge?: BridgeInfo;
  private welcome?: Welcome;
  private st: ClientState = "idle";
  private stopped = false;
  private loop?: Promise<void>;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private buffered: Message[] | undefined;
  private wake?: () => void;

  constructor(opts: MagpieClientOptions) {
    super();
    this.opts = opts;
    this.userId = opts.userId;
    const doFetch: FetchFn = opts.fetch ?? ((i, r) => fetch(i, r));
    this.selector = new BridgeSelector({ registries: opts.registries, userId: opts.userId, strategy: opts.strategy, region: opts.region, fetch: doFetch });
    const rl = opts.rateLimit === undefined ? { ratePerSec: 50, burst: 100 } : opts.rateLimit;
    if (rl) this.limiter = new SendLimiter(rl);
    this.outbox = new Outbox({
      ackTimeoutMs: opts.ackTimeoutMs ?? 5_000,
      maxRetries: opts.maxRetries ?? 5,
      transmit: (p) => this.transmit(p),
    });
    this.seq = new Sequencer({
      store: opts.cursorStore ?? new MemoryCursorStore(),
      emit: (m) => {
        this.emit("message", m);
        if (m.kind === "recall") this.emit("recall", { conv: m.convId, seq: Number(m.body), by: m.senderId });
      },
      pull: (conv, after) => this.pull(conv, after),
      onError: (err) => {
        const e = toMagpieError(err);
        if (e.code !== "unavailable") this.emit("error", e);
      },
    });
    this.rest = new RestApi(() => this.origin(), () => this.token(), doFetch, opts.requestTimeoutMs ?? 10_000);
    this.backoff = new Backoff(opts.backoff);
  }

  /** Current state. */
  get state(): ClientState {
    return this.st;
  }

  /** The bridge of the current (or last) connection. */
  get bridge(): BridgeInfo | undefined {
    return this.currentBridge;
  }

  /** This device's id, as the bridge read it from the token (after the first `welcome`). */
  get deviceId(): string | undefined {
    return this.welcome?.device;
  }

  /** The cursor (highest applied seq) of a conversation. */
  cursor(conv: string): number {
    return this.seq.cursor(conv);
  }

  /** Delivery counters and the number of unacked sends. */
  get stats(): { applied: number; duplicates: number; gapPulls: number; unacked: number } {
    return { ...this.seq.stats, unacked: this.outbox.size };
  }

  /** Starts connecting (and reconnecting); resolves when ready, rejects on auth failure or close. */
  connect(): Promise<void> {
    if (this.st === "ready") return Promise.resolve();
    if (this.stopped) return Promise.reject(new MagpieError("unavailable", "client is closed"));
    const ready = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.loop ??= this.run();
    return ready;
  }

  /** Stops for good: closes the socket; pending sends reject with `unavailable`. */
  async close(): Promise<void> {
    if (this.stopped) return void (await this.loop);
    this.stop(new MagpieError("unavailable", "client closed"), false);
    await this.loop;
  }

  /** Sends `body` to `conv`; resolves with the ack (retrying with one client message id). */
  async send(conv: string, body: string, opts: { clientMsgId?: string } = {}): Promise<Ack> {
    assertId(ConvId, conv, "conversation id");
    assertBody(body);
    if (opts.clientMsgId !== undefined) assertId(ClientMsgId, opts.clientMsgId, "client message id");
    if (this.stopped) throw new MagpieError("unavailable", "client is closed");
    await this.limiter?.acquire();
    return await this.outbox.add(opts.clientMsgId ?? randomId(22), conv, body);
  }

  /** Sends to the one-to-one conversation with `peer`. */
  sendDirect(peer: string, body: string, opts: { clientMsgId?: string } = {}): Promise<Ack> {
    return this.send(directConvId(this.userId, peer), body, opts);
  }

  /** A history page (`after`/`before` seqs; newest when neither); does not move cursors. */
  async history(conv: string, q: HistoryQuery & { limit: number }): Promise<Page> {
    const c = this.conn;
    if (c?.open && this.welcome) {
      const f = await c.request({ t: "history", ref: nextRef(), conv, after: q.after, before: q.before, limit: q.limit }, this.reqTimeout);
      if (f.t === "history") return { messages: f.messages, more: f.more };
    }
    return await this.rest.messages(conv, q);
  }

  /**
   * Recalls one of this user's messages (within the server's recall window). Every device of
   * every member sees a `recall` event; the stored text is replaced by a marker.
   */
  async recall(conv: string, seq: number): Promise<Ack> {
    const f = await this.live().request({ t: "recall", ref: nextRef(), conv, seq }, this.reqTimeout);
    if (f.t !== "ack") throw new MagpieError("internal", `unexpected answer ${f.t}`);
    void this.seq.push({ convId: conv, seq: f.seq, senderId: this.userId, senderDevice: this.welcome?.device ?? "", clientMsgId: f.id, kind: "recall", body: String(seq), createdAt: f.at });
    return { conv: f.conv, seq: f.seq, at: f.at, dup: f.dup };
  }

  /** Deletes a message for this user only (all of this user's devices hide it). */
  async deleteForMe(conv: string, seq: number): Promise<void> {
    const f = await this.live().request({ t: "delete", ref: nextRef(), conv, seq }, this.reqTimeout);
    if (f.t !== "deleted") throw new MagpieError("internal", `unexpected answer ${f.t}`);
  }

  /** Signals "typing" to the other members (ephemeral; fire and forget). */
  typing(conv: string): boolean {
    return this.conn?.send({ t: "typing", conv }) ?? false;
  }

  /** Subscribes to these users' presence (renewed after every reconnect); resolves with their states. */
  async subscribePresence(users: readonly string[]): Promise<PresenceState[]> {
    this.presenceUsers = [...users];
    return await this.renewPresence(this.live());
  }

  /** The conversation list with last message and unread counts, over the socket. */
  async conversations(): Promise<ConversationSummary[]> {
    const f = await this.live().request({ t: "convs", ref: nextRef() }, this.reqTimeout);
    if (f.t !== "convs") throw new MagpieError("internal", `unexpected answer ${f.t}`);
    return f.conversations;
  }

  /**
   * Full-text search over the user's conversations (docs/search.md): newest first, with a
   * highlighted snippet per hit; pass `next` back as `cursor` for the next page. Uses the socket
   * when connected, else `GET /v1/search` on the bridge.
   */
  async search(text: string, opts: SearchOptions = {}): Promise<{ hits: SearchHitWire[]; next: string | null }> {
    const c = this.conn;
    if (c?.open && this.welcome) {
      const f = await c.request({ t: "search", ref: nextRef(), q: text, limit: opts.limit ?? 20, ...opts }, this.reqTimeout);
      if (f.t !== "search_result") throw new MagpieError("internal", `unexpected answer ${f.t}`);
      return { hits: f.hits, next: f.next };
    }
    const q = new URLSearchParams({ q: text });
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) q.set(k, String(v));
    const doFetch: FetchFn = this.opts.fetch ?? ((i, r) => fetch(i, r));
    let res: Response;
    try {
      res = await doFetch(`${await this.origin()}/v1/search?${q}`, {
        headers: { authorization: `Bearer ${await this.token()}` }, signal: AbortSignal.timeout(this.reqTimeout),
      });
    } catch (err) {
      throw new MagpieError("unavailable", `GET /v1/search: ${(err as Error)?.message ?? err}`);
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw errorFromBody(res.status, body, "GET /v1/search");
    return body as { hits: SearchHitWire[]; next: string | null };
  }

  private presenceUsers: string[] = [];

  private async renewPresence(c: Connection): Promise<PresenceState[]> {
    const f = await c.request({ t: "presence_sub", ref: nextRef(), users: this.presenceUsers }, this.reqTimeout);
    if (f.t !== "presence") throw new MagpieError("internal", `unexpected answer ${f.t}`);
    this.emit("presence", f.states);
    return f.states;
  }

  private live(): Connection {
    const c = this.conn;
    if (!c?.open || !this.welcome || this.st !== "ready") throw new MagpieError("unavailable", "not connected");
    return c;
  }

  /** Tells the conversation that this device received / the user read up to `seq`. */
  receipt(conv: string, seq: number, kind: "delivered" | "read" = "read"): boolean {
    return this.conn?.send({ t: "receipt", conv, seq, kind }) ?? false;
  }

  createGroup(title: string, members: readonly string[], opts?: CreateGroupOptions) {
    return this.rest.createGroup(title, members, opts);
  }
  addMembers(conv: string, users: readonly string[]) {
    return this.rest.addMembers(conv, users);
  }
  removeMember(conv: string, user: string) {
    return this.rest.removeMember(conv, user);
  }
  listMembers(conv: string, page?: MemberPage) {
    return this.rest.listMembers(conv, page);
  }
  listConversations() {
    return this.rest.listConversations();
  }

  /** Resolves with the first message (from now on) matching `pred`. */
  waitFor(pred: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    return this.waitEvent("message", pred, timeoutMs);
  }

  /** Resolves when the client reaches `state` (at once if it is there). */
  waitForState(state: ClientState, timeoutMs = 10_000): Promise<ClientState> {
    if (this.st === state) return Promise.resolve(state);
    return this.waitEvent("state", (s) => s === state, timeoutMs);
  }

  /** Resolves once every queued delivery task (pushes, gap pulls) has finished. */
  idle(): Promise<void> {
    return this.seq.idle();
  }

  private waitEvent<K extends keyof ClientEvents>(ev: K, pred: (v: ClientEvents[K]) => boolean, timeoutMs: number): Promise<ClientEvents[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new MagpieError("unavailable", `timed out waiting for ${String(ev)}`));
      }, timeoutMs);
      const off = this.on(ev, (v) => {
        if (!pred(v)) return;
        clearTimeout(timer);
        off();
        resolve(v);
      });
    });
  }

  private get reqTimeout(): number {
    return this.opts.requestTimeoutMs ?? 10_000;
  }

  private async token(): Promise<string> {
    const t = this.opts.token;
    return typeof t === "string" ? t : await t();
  }

  private async origin(): Promise<string> {
    return httpOrigin((this.currentBridge ?? (await this.selector.select())).publicUrl);
  }

  private setState(s: ClientState): void {
    if (this.st === s) return;
    this.st = s;
    this.emit("state", s);
  }

  private stop(err: MagpieError, report: boolean): void {
    this.stopped = true;
    this.setState("closed");
    if (report) this.emit("error", err);
    this.conn?.close(1000, "client closed");
    this.wake?.();
    this.outbox.failAll(err);
    this.limiter?.cancelAll(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private async run(): Promise<void> {
    try {
      await this.seq.load();
    } catch (err) {
      this.stop(toMagpieError(err), true);
      return;
    }
    while (!this.stopped) {
      this.setState(this.backoff.attempts === 0 && !this.welcome ? "connecting" : "reconnecting");
      let delay: number;
      try {
        const bridge = await this.selector.select();
        const token = await this.token();
        if (this.stopped) break;
        const end = await this.session(bridge, token);
        if (end.code === 4001) {
          this.stop(new MagpieError("unauthenticated", `bridge refused the token: ${end.reason}`), true);
          break;
        }
        delay = end.moveDelay ?? this.backoff.next();
      } catch (err) {
        this.emit("error", toMagpieError(err));
        delay = this.backoff.next();
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => (clearTimeout(timer), resolve());
      });
      this.wake = undefined;
    }
  }

  /** One connection, from open to close. `moveDelay` is set when the bridge moved us. */
  private session(bridge: BridgeInfo, token: string): Promise<{ code: number; reason: string; moveDelay?: number }> {
    return new Promise((resolve) => {
      let moveDelay: number | undefined;
      const Impl = this.opts.WebSocketImpl ?? WebSocket;
      const conn: Connection = new Connection(socketUrl(bridge.publicUrl, token), Impl, {
        onFrame: (f) => {
          if (f.t === "move") {
            moveDelay = Math.floor(Math.random() * Math.min(Math.max(0, f.retryAfterMs ?? 0), 5_000));
            conn.close(4010, "moved");
          } else if (f.t === "welcome") {
            clearTimeout(welcomeTimer);
            void this.onWelcome(conn, f);
          } else this.onFrame(f);
        },
        onClose: (code, reason) => {
          clearTimeout(welcomeTimer);
          if (this.conn === conn) this.conn = undefined;
          this.buffered = undefined;
          this.outbox.connectionLost();
          if (code === 4010) moveDelay ??= 0;
          if (!this.stopped && this.st !== "closed") this.setState("reconnecting");
          resolve({ code, reason, moveDelay });
        },
      });
      this.conn = conn;
      this.currentBridge = bridge;
      const welcomeTimer = setTimeout(() => conn.close(4000, "no welcome"), this.opts.connectTimeoutMs ?? 10_000);
    });
  }

  private async onWelcome(conn: Connection, w: Welcome): Promise<void> {
    this.welcome = w;
    this.backoff.reset();
    this.emit("welcome", w);
    conn.startHeartbeat(this.opts.heartbeatMs ?? w.heartbeatMs);
    this.setState("syncing");
    this.buffered = [];
    try {
      await syncAll(conn, this.seq, this.opts.syncLimit ?? 500, this.reqTimeout);
    } catch (err) {
      if (this.conn === conn) conn.close(4000, `sync failed: ${toMagpieError(err).message}`);
      return;
    }
    if (this.conn !== conn || !conn.open) return;
    const held = this.buffered ?? [];
    this.buffered = undefined;
    for (const m of held) void this.seq.push(m);
    this.setState("ready");
    this.outbox.flush();
    if (this.presenceUsers.length > 0) this.renewPresence(conn).catch(() => {});
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private onFrame(f: ServerFrame): void {
    switch (f.t) {
      case "msg":
        if (this.buffered) this.buffered.push(f.m);
        else void this.seq.push(f.m);
        return;
      case "ack": {
        const p = this.outbox.ack(f);
        if (p) void this.seq.push(this.ownMessage(p, f));
        return;
      }
      case "error":
        if (!this.outbox.error(f)) this.emit("error", new MagpieError(f.code, f.message, f.ref ? { ref: f.ref } : undefined));
        return;
      case "receipt":
        this.emit("receipt", f);
        return;
      case "typing":
        this.emit("typing", { conv: f.conv, user: f.user });
        return;
      case "presence":
        this.emit("presence", f.states);
        return;
      case "deleted":
        this.emit("deleted", { conv: f.conv, seq: f.seq });
        return;
      default:
        return; // pong, late responses
    }
  }

  private ownMessage(p: PendingSend, a: { conv: string; seq: number; at: number }): Message {
    return { convId: a.conv, seq: a.seq, senderId: this.userId, senderDevice: this.welcome?.device ?? "", clientMsgId: p.id, kind: "text", body: p.body, createdAt: a.at };
  }

  private transmit(p: PendingSend): boolean {
    if (this.st !== "ready" || !this.conn?.open) return false;
    return this.conn.send({ t: "send", id: p.id, conv: p.conv, body: p.body });
  }

  private async pull(conv: string, after: number): Promise<Page> {
    const c = this.conn;
    if (!c?.open) throw new MagpieError("unavailable", "not connected");
    const f = await c.request({ t: "history", ref: nextRef(), conv, after, limit: 200 }, this.reqTimeout);
    if (f.t !== "history") throw new MagpieError("internal", `expected history, got ${f.t}`);
    return { messages: f.messages, more: f.more };
  }
}
