/**
 * Membership answers for the handler, cached with bounded staleness. Direct conversations need
 * no lookup (members are in the id) and are created on first use.
 */
import { MagpieError } from "../core/errors.ts";
import { directMembers } from "../core/ids.ts";
import type { Store } from "../core/store.ts";
import type { Conversation, Membership } from "../core/types.ts";

interface Entry<T> {
  value: T;
  at: number;
}

/** Cached membership and member lists; `ttlMs` bounds how stale an answer may be. */
export class MemberCache {
  private readonly convs = new Map<string, Entry<Conversation>>();
  private readonly memberships = new Map<string, Entry<Membership | null>>();
  private readonly lists = new Map<string, Entry<string[]>>();

  constructor(private readonly store: Store, private readonly ttlMs: number, private readonly maxEntries = 100_000) {}

  /** In-flight loads by conversation id: concurrent first uses share one load/create. */
  private readonly loading = new Map<string, Promise<Conversation>>();

  /** The conversation (creating a direct one on first use), or `conversation_not_found`. */
  async conversation(convId: string, actor: string): Promise<Conversation> {
    const hit = this.fresh(this.convs.get(convId));
    if (hit) return hit;
    // Without this, a second concurrent first send could see the conversation row before the
    // first caller's create wrote the membership rows, cache "no membership" and fail not_member.
    const running = this.loading.get(convId);
    if (running) {
      let conv: Conversation;
      try {
        conv = await running;
      } catch {
        return await this.load(convId, actor); // the other caller's failure may be theirs only (not a member)
      }
      const pair = directMembers(convId);
      if (pair && !pair.includes(actor)) throw new MagpieError("not_member", "not a member of this conversation");
      return conv;
    }
    const p = this.load(convId, actor);
    this.loading.set(convId, p);
    try {
      return await p;
    } finally {
      this.loading.delete(convId);
    }
  }

  private async load(convId: string, actor: string): Promise<Conversation> {
    let conv = await this.store.getConversation(convId);
    const pair = directMembers(convId);
    if (!conv && pair) {
      if (!pair.includes(actor)) throw new MagpieError("not_member", "not a member of this conversation");
      conv = await this.store.createConversation({ id: convId, kind: "direct", createdBy: actor, members: pair[0] === pair[1] ? [pair[0]] : pair });
    }
    if (!conv) throw new MagpieError("conversation_not_found", `conversation ${convId} not found`);
    this.put(this.convs, convId, conv);
    return conv;
  }

  /** The user's membership, or throws `not_member`. */
  async requireMember(convId: string, userId: string): Promise<Membership> {
    await this.conversation(convId, userId);
    const key = `${convId}\u0000${userId}`;
    let entry = this.memberships.get(key);
    if (!this.fresh(entry)) {
      const m = await this.store.getMembership(convId, userId);
      this.put(this.memberships, key, m);
      entry = this.memberships.get(key);
    }
    const m = entry?.value;
    if (!m) throw new MagpieError("not_member", "not a member of this conversation");
    return m;
  }

  /** All member ids (paged read of the store, cached). */
  async members(convId: string): Promise<string[]> {
    const hit = this.fresh(this.lists.get(convId));
    if (hit) return hit;
    const pair = directMembers(convId);
    let ids: string[];
    if (pair) ids = pair[0] === pair[1] ? [pair[0]] : [...pair];
    else {
      ids = [];
      let after: string | undefined;
      for (;;) {
        const page = await this.store.listMembers(convId, { after, limit: 1000 });
        for (const m of page) ids.push(m.userId);
        if (page.length < 1000) break;
        after = page[page.length - 1]!.userId;
      }
    }
    this.put(this.lists, convId, ids);
    return ids;
  }

  /** Drops cached answers for a conversation (after a membership change made here). */
  invalidate(convId: string): void {
    this.lists.delete(convId);
    this.convs.delete(convId);
    for (const key of this.memberships.keys()) if (key.startsWith(`${convId}\u0000`)) this.memberships.delete(key);
  }

  private fresh<T>(e: Entry<T> | undefined): T | undefined {
    return e && Date.now() - e.at < this.ttlMs ? e.value : undefined;
  }

  private put<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    if (map.size >= this.maxEntries) map.delete(map.keys().next().value!);
    map.set(key, { value, at: Date.now() });
  }
}
