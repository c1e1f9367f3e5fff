/**
 * The handler's message service: the transport-free core of sending, syncing, history and
 * group management. The link route and the REST routes both call it.
 *
 * Guarantees: a send is acknowledged only after the store made it durable at its seq; a
 * retried send (same sender and client id) returns the original seq; pushes go only to the
 * bridges that the recipients are on (see {@link Pusher}).
 */
import { MagpieError } from "../core/errors.ts";
import { fnv1a } from "../core/hash.ts";
import { ConvId, UserId, randomId } from "../core/ids.ts";
import type { Logger } from "../core/log.ts";
import type { Store } from "../core/store.ts";
import type { Conversation, Membership, Message } from "../core/types.ts";
import type { Identity } from "../auth/jwt.ts";
import type { ConversationSummary, HistoryFrame, ReceiptFrame, SendFrame, ServerFrame, SyncFrame } from "../protocol/frames.ts";
import type { MemberCache } from "./members.ts";

/** Delivers a frame to every device of `users` except `skip`, via their bridges only. */
export interface Pusher {
  push(users: readonly string[], frame: ServerFrame, skip?: { u: string; d: string }): Promise<void>;
}

/** Counters the service reports (implemented by the metrics layer). */
export interface ServiceMetrics {
  sent(dup: boolean): void;
  fanout(recipients: number): void;
  storeWrite(ms: number): void;
  storeRead(ms: number): void;
}

/** Settings of the service. */
export interface ServiceOptions {
  /** Groups up to this size get write fan-out into members' sync index. */
  fanoutLimit: number;
  /** How long after sending a sender may recall a message (ms). */
  recallWindowMs: number;
}

/** Result of a history read. */
export interface HistoryPage {
  messages: Message[];
  more: boolean;
}

/** The message service. */
export class MessageService {
  constructor(
    private readonly store: Store,
    private readonly members: MemberCache,
    private readonly pusher: Pusher,
    private readonly opts: ServiceOptions,
    private readonly log: Logger,
    private readonly metrics?: ServiceMetrics,
  ) {}

  /** Stores a message and returns its ack; then pushes it to recipients and the sender's other devices. */
  async send(who: Identity, f: SendFrame, kind: "text" | "recall" = "text"): Promise<Extract<ServerFrame, { t: "ack" }>> {
    await this.members.requireMember(f.conv, who.userId);
    const memberIds = await this.members.members(f.conv);
    const notify = memberIds.length <= this.opts.fanoutLimit ? memberIds : [who.userId];
    const t0 = performance.now();
    const { message, duplicate } = await this.store.append({
      convId: f.conv, senderId: who.userId, senderDevice: who.deviceId, clientMsgId: f.id, body: f.body, notify, kind,
    });
    this.metrics?.storeWrite(performance.now() - t0);
    this.metrics?.sent(duplicate);
    // Push is the fast path only; a failure here never fails the (durable) send.
    this.metrics?.fanout(memberIds.length);
    this.pusher.push(memberIds, { t: "msg", m: message }, { u: who.userId, d: who.deviceId })
      .catch((err) => this.log.warn("push failed", { conv: f.conv, err: String(err) }));
    return { t: "ack", id: f.id, conv: f.conv, seq: message.seq, at: message.createdAt, dup: duplicate };
  }

  /** One sync page: conversations that moved past the device's cursors and their messages. */
  async sync(who: Identity, f: SyncFrame): Promise<Extract<ServerFrame, { t: "synced" }>> {
    const t0 = performance.now();
    const convs = await this.store.listUserConversations(who.userId);
    const messages: Message[] = [];
    let budget = f.limit;
    let more = false;
    for (const c of convs) {
      const from = Math.max(f.cursors[c.convId] ?? 0, c.floorSeq);
      if (c.lastSeq <= from) continue;
      if (budget <= 0) {
        more = true;
        break;
      }
      const page = await this.maskHidden(who.userId, c.convId, await this.store.read(c.convId, { after: from, limit: budget }));
      messages.push(...page);
      budget -= page.length;
      if (page.length > 0 && page[page.length - 1]!.seq < c.lastSeq) more = true;
    }
    this.metrics?.storeRead(performance.now() - t0);
    return { t: "synced", ref: f.ref, convs, messages, more };
  }

  /** A history page for a member, respecting the group's history visibility. */
  async history(who: Identity, f: Omit<HistoryFrame, "t" | "ref">): Promise<HistoryPage> {
    const m = await this.members.requireMember(f.conv, who.userId);
    const conv = await this.members.conversation(f.conv, who.userId);
    const floor = floorOf(conv, m);
    const t0 = performance.now();
    let messages: Message[];
    if (f.after !== undefined) messages = await this.store.read(f.conv, { after: Math.max(f.after, floor), limit: f.limit });
    else {
      messages = await this.store.read(f.conv, { before: f.before, limit: f.limit });
      messages = messages.filter((x) => x.seq > floor);
    }
    messages = await this.maskHidden(who.userId, f.conv, messages);
    this.metrics?.storeRead(performance.now() - t0);
    const edge = messages[messages.length - 1];
    const more = messages.length === f.limit && edge !== undefined && (f.after !== undefined || edge.seq - 1 > floor);
    return { messages, more };
  }

  /** Records a delivery/read receipt and tells the other members' and the reader's other devices. */
  async receipt(who: Identity, f: ReceiptFrame): Promise<void> {
    await this.members.requireMember(f.conv, who.userId);
    let seq = f.seq;
    if (f.kind === "read") seq = await this.store.setReadSeq(who.userId, f.conv, f.seq);
    const memberIds = await this.members.members(f.conv);
    if (memberIds.length > this.opts.fanoutLimit) return; // receipts in large groups stay per user
    await this.pusher.push(memberIds, { t: "receipt", conv: f.conv, user: who.userId, device: who.deviceId, seq, kind: f.kind }, { u: who.userId, d: who.deviceId });
  }

  /** Creates a group with the creator as owner. */
  async createGroup(who: Identity, input: { title: string; members: string[]; historyVisibleToNewMembers?: boolean }): Promise<Conversation> {
    for (const u of input.members) if (!UserId.safeParse(u).success) throw new MagpieError("invalid_id", `invalid user id ${JSON.stringify(u).slice(0, 70)}`);
    const members = [...new Set([who.userId, ...input.members])];
    return await this.store.createConversation({
      id: `g:${randomId(20)}`, kind: "group", title: input.title, createdBy: who.userId, members,
      historyVisibleToNewMembers: input.historyVisibleToNewMembers ?? true,
    });
  }

  /** Adds members to a group (any member may add). */
  async addMembers(who: Identity, convId: string, users: string[]): Promise<void> {
    this.assertGroup(convId);
    await this.members.requireMember(convId, who.userId);
    for (const u of users) if (!UserId.safeParse(u).success) throw new MagpieError("invalid_id", `invalid user id ${JSON.stringify(u).slice(0, 70)}`);
    await this.store.addMembers(convId, users);
    this.members.invalidate(convId);
  }

  /** Removes a member: the owner may remove anyone, a member only themselves. */
  async removeMember(who: Identity, convId: string, userId: string): Promise<void> {
    this.assertGroup(convId);
    const m = await this.members.requireMember(convId, who.userId);
    if (userId !== who.userId && m.role !== "owner") throw new MagpieError("forbidden", "only the owner removes other members");
    await this.store.removeMembers(convId, [userId]);
    this.members.invalidate(convId);
  }

  /** Members of a conversation the caller belongs to. */
  async listMembers(who: Identity, convId: string, after: string | undefined, limit: number): Promise<Membership[]> {
    await this.members.requireMember(convId, who.userId);
    return await this.store.listMembers(convId, { after, limit });
  }

  /** The caller's conversations with last seq, read cursor, unread count and last message. */
  async listConversations(who: Identity): Promise<ConversationSummary[]> {
    const convs = await this.store.listUserConversations(who.userId);
    const rows = await Promise.all(convs.map(async (c) => {
      const [readSeq, last, conv] = await Promise.all([
        this.store.getReadSeq(who.userId, c.convId),
        c.lastSeq > c.floorSeq ? this.store.read(c.convId, { limit: 1 }) : Promise.resolve([]),
        c.kind === "group" ? this.members.conversation(c.convId, who.userId) : Promise.resolve(null),
      ]);
      const [lastMessage] = await this.maskHidden(who.userId, c.convId, last);
      return {
        ...c, title: conv?.title ?? "", readSeq, unread: Math.max(0, c.lastSeq - Math.max(readSeq, c.floorSeq)), lastMessage: lastMessage ?? null,
      };
    }));
    // Most recently active first.
    return rows.sort((a, b) => (b.lastMessage?.createdAt ?? 0) - (a.lastMessage?.createdAt ?? 0));
  }

  /**
   * Recalls the caller's own message within the recall window: the stored text becomes a
   * `recalled` marker (search no longer finds it) and a `recall` event is appended to the
   * conversation, so every device of every member learns it — online by push, offline by sync.
   * Idempotent: recalling twice returns the same event.
   */
  async recall(who: Identity, conv: string, seq: number): Promise<Extract<ServerFrame, { t: "ack" }>> {
    await this.members.requireMember(conv, who.userId);
    const m = await this.store.get(conv, seq);
    if (!m || m.kind === "recall") throw new MagpieError("message_not_found", `no message ${seq} in this conversation`);
    if (m.senderId !== who.userId) throw new MagpieError("not_sender", "only the sender may recall a message");
    if (m.kind === "text" && Date.now() - m.createdAt > this.opts.recallWindowMs) {
      throw new MagpieError("recall_window_passed", `messages can be recalled for ${Math.round(this.opts.recallWindowMs / 1000)} s`);
    }
    await this.store.recall(conv, seq);
    // A deterministic client id makes the recall event idempotent (dedupe is per sender).
    const id = `recall.${fnv1a(conv).toString(36)}${fnv1a(conv, 0x9747b28c).toString(36)}.${seq}`;
    return await this.send(who, { t: "send", id, conv, body: String(seq) }, "recall");
  }

  /** Hides a message for the caller only; the caller's other devices are told at once. */
  async deleteForMe(who: Identity, conv: string, seq: number, ref?: string): Promise<Extract<ServerFrame, { t: "deleted" }>> {
    await this.members.requireMember(conv, who.userId);
    if (seq > (await this.store.head(conv))) throw new MagpieError("message_not_found", `no message ${seq} in this conversation`);
    await this.store.hideMessage(who.userId, conv, seq);
    const frame = { t: "deleted" as const, conv, seq };
    await this.pusher.push([who.userId], frame, { u: who.userId, d: who.deviceId });
    return ref === undefined ? frame : { ...frame, ref };
  }

  /** Ephemeral typing signal to the other members' devices (never stored). */
  async typing(who: Identity, conv: string): Promise<void> {
    await this.members.requireMember(conv, who.userId);
    const memberIds = await this.members.members(conv);
    if (memberIds.length > this.opts.fanoutLimit) return; // no typing storms in large groups
    await this.pusher.push(memberIds.filter((u) => u !== who.userId), { t: "typing", conv, user: who.userId });
  }

  /** Messages the user deleted for themselves become `deleted` markers (seqs stay dense). */
  private async maskHidden(userId: string, conv: string, msgs: Message[]): Promise<Message[]> {
    if (msgs.length === 0) return msgs;
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of msgs) {
      if (m.seq < lo) lo = m.seq;
      if (m.seq > hi) hi = m.seq;
    }
    const hidden = await this.store.hiddenSeqs(userId, conv, lo, hi);
    if (hidden.size === 0) return msgs;
    return msgs.map((m) => (hidden.has(m.seq) ? { ...m, kind: "deleted" as const, body: "" } : m));
  }

  private assertGroup(convId: string): void {
    if (!ConvId.safeParse(convId).success) throw new MagpieError("invalid_id", "invalid conversation id");
    if (!convId.startsWith("g:")) throw new MagpieError("bad_request", "membership of direct conversations is fixed");
  }
}

/** Lowest seq (exclusive) a member may read. */
function floorOf(conv: Conversation, m: Membership): number {
  return conv.historyVisibleToNewMembers ? 0 : m.joinedSeq;
}
