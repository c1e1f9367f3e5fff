/**
 * Presence: online / offline / last seen, derived from where users are connected (the bridges'
 * link reports, instant, and the registries' route table), with subscriptions. A user's
 * subscriptions live on the handler that owns the user (rendezvous on the user id); every
 * handler hears every online/offline report, so the owner can notify the subscriber's devices.
 * Subscriptions are dropped when the subscriber's last device goes offline; the SDK renews them
 * after every reconnect. Last-seen times are kept in memory (a restarted handler forgets them).
 */
import type { Identity } from "../auth/jwt.ts";
import type { PresenceState } from "../protocol/frames.ts";
import type { LinkHub } from "./links.ts";

/** Presence tracking and subscriptions. */
export class PresenceService {
  private readonly watching = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, Set<string>>();
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly hub: LinkHub, private readonly maxTracked = 1_000_000) {
    hub.onPresence((user, online) => this.transition(user, online));
  }

  /** Replaces `who`'s subscription list and returns the users' current states. */
  async subscribe(who: Identity, users: readonly string[]): Promise<PresenceState[]> {
    this.unsubscribe(who.userId);
    const set = new Set(users);
    this.watching.set(who.userId, set);
    for (const u of set) {
      let w = this.watchers.get(u);
      if (!w) this.watchers.set(u, (w = new Set()));
      w.add(who.userId);
    }
    return await this.states([...set]);
  }

  /** Current states of `users`: online from link reports, else from the registries' routes. */
  async states(users: string[]): Promise<PresenceState[]> {
    const unknown = users.filter((u) => !this.hub.isOnline(u));
    const routed = new Set<string>();
    if (unknown.length > 0) for (const list of (await this.hub.resolve(unknown)).values()) for (const u of list) routed.add(u);
    return users.map((u) => this.state(u, this.hub.isOnline(u) || routed.has(u)));
  }

  private state(user: string, online: boolean): PresenceState {
    const seen = this.lastSeen.get(user);
    return online || seen === undefined ? { user, online } : { user, online, lastSeen: seen };
  }

  private transition(user: string, online: boolean): void {
    if (!online) {
      if (this.lastSeen.size >= this.maxTracked) this.lastSeen.delete(this.lastSeen.keys().next().value!);
      this.lastSeen.delete(user);
      this.lastSeen.set(user, Date.now());
      this.unsubscribe(user);
    }
    const subscribers = this.watchers.get(user);
    if (!subscribers || subscribers.size === 0) return;
    void this.hub.push([...subscribers], { t: "presence", states: [this.state(user, online)] });
  }

  private unsubscribe(subscriber: string): void {
    const old = this.watching.get(subscriber);
    if (!old) return;
    this.watching.delete(subscriber);
    for (const u of old) {
      const w = this.watchers.get(u);
      w?.delete(subscriber);
      if (w && w.size === 0) this.watchers.delete(u);
    }
  }
}
