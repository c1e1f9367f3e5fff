/**
 * Bridge selection strategies: pure functions over a list of candidate bridges. Draining,
 * overloaded (connections ≥ capacity) and URL-less bridges are removed by {@link eligible}
 * before any strategy runs, so no strategy can ever pick them.
 */
import type { StrategyName } from "./schemas.ts";

/** What a strategy needs to know about a bridge. */
export interface Candidate {
  nodeId: string;
  publicUrl?: string;
  region: string;
  zone: string;
  capacity: number;
  draining: boolean;
  /** Connections as last reported plus selections made since (see `pending`). */
  connections: number;
}

/** Inputs a strategy may use besides the candidates. */
export interface SelectContext {
  user?: string;
  region?: string;
  /** Round-robin position (the caller increments it). */
  counter: number;
  /** Random number in [0, 1). */
  random: () => number;
  /** Region → ordered list of nearest other regions. */
  preference: ReadonlyMap<string, readonly string[]>;
}

/** Bridges a client may be sent to: not draining, below capacity, with a public URL. */
export function eligible(all: readonly Candidate[]): Candidate[] {
  return all
    .filter((b) => !b.draining && b.connections < b.capacity && !!b.publicUrl)
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

/** Round-robin over bridges sorted by node id. */
export function roundRobin(c: readonly Candidate[], ctx: SelectContext): Candidate | undefined {
  return c.length ? c[ctx.counter % c.length] : undefined;
}

/** Uniformly random bridge. */
export function random(c: readonly Candidate[], ctx: SelectContext): Candidate | undefined {
  return c.length ? c[Math.floor(ctx.random() * c.length) % c.length] : undefined;
}

/** The bridge with fewest connections; ties go to the lower utilisation, then node id. */
export function leastConnections(c: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const b of c) {
    if (!best || b.connections < best.connections ||
      (b.connections === best.connections && b.connections / b.capacity < best.connections / best.capacity)) best = b;
  }
  return best;
}

/**
 * Rendezvous (highest-random-weight) hashing on the user id: the same user gets the same
 * bridge while the set of eligible bridges is unchanged, and removing a bridge moves only
 * the users that were on it (~1/n). Without a user id it falls back to least-connections.
 */
export function consistentHash(c: readonly Candidate[], ctx: SelectContext): Candidate | undefined {
  if (!ctx.user) return leastConnections(c);
  let best: Candidate | undefined;
  let bestScore = -1;
  for (const b of c) {
    const s = hash32(`${b.nodeId}\u0000${ctx.user}`);
    if (s > bestScore || (s === bestScore && best && b.nodeId < best.nodeId)) {
      best = b;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Region affinity: least-connections among bridges in the client's region; else in the first
 * region of the configured preference list that has one; else among all eligible bridges.
 */
export function regionAffinity(c: readonly Candidate[], ctx: SelectContext): Candidate | undefined {
  if (ctx.region) {
    const order = [ctx.region, ...(ctx.preference.get(ctx.region) ?? [])];
    for (const r of order) {
      const pick = leastConnections(c.filter((b) => b.region === r));
      if (pick) return pick;
    }
  }
  return leastConnections(c);
}

/** Picks a bridge among `all` with `strategy`; undefined when none is eligible. */
export function select(strategy: StrategyName, all: readonly Candidate[], ctx: SelectContext): Candidate | undefined {
  const c = eligible(all);
  switch (strategy) {
    case "round-robin": return roundRobin(c, ctx);
    case "random": return random(c, ctx);
    case "least-connections": return leastConnections(c);
    case "consistent-hash": return consistentHash(c, ctx);
    case "region": return regionAffinity(c, ctx);
  }
}

/** 32-bit FNV-1a followed by the murmur3 finaliser (good avalanche, unsigned result). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Parses `eu-west=eu-central,us-east;us-east=us-west` into region → preference list. */
export function parseRegionPreference(spec: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of spec.split(";").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`bad region preference entry "${part}" (want region=r1,r2)`);
    const region = part.slice(0, eq).trim();
    const list = part.slice(eq + 1).split(",").map((s) => s.trim()).filter(Boolean);
    out.set(region, list);
  }
  return out;
}
