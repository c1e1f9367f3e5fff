/**
 * The registry's metric set: implements `RegistryMetrics` (src/registry/deps.ts) and reads the
 * live node table at collection.
 */
import type { Metrics } from "./types.ts";

/** A node as the registry lists it (the fields read here). */
export interface ListedNode {
  role: string;
  draining: boolean;
}

/** What the registry metric set reads at collection. */
export interface RegistrySources {
  nodes(): readonly ListedNode[];
  routedUsers(): number;
}

/** Hooks matching `RegistryMetrics`. */
export interface RegistryMetricHooks {
  registration(role: string): void;
  heartbeat(role: string): void;
  snapshotRequested(): void;
  expired(role: string): void;
  selection(strategy: string, outcome: "ok" | "none"): void;
  rateLimited(): void;
  routeLookup(users: number): void;
  authFailure(scope: "cluster" | "admin"): void;
}

const ROLES = ["bridge", "handler"] as const;
const role = (r: string) => ((ROLES as readonly string[]).includes(r) ? r : "other");

/** Registers the registry metrics on `m`. */
export function createRegistryMetrics(m: Metrics, src: RegistrySources): RegistryMetricHooks {
  m.collectedGauge({
    name: "magpie_registry_nodes", help: "Live nodes by role and state (active, draining).", labelNames: ["role", "state"],
    collect: () => {
      const counts = new Map<string, number>();
      for (const r of ROLES) for (const s of ["active", "draining"]) counts.set(`${r}|${s}`, 0);
      for (const n of src.nodes()) {
        const k = `${role(n.role)}|${n.draining ? "draining" : "active"}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return [...counts].map(([k, value]) => {
        const [r, s] = k.split("|") as [string, string];
        return { labels: { role: r, state: s }, value };
      });
    },
  });
  m.collectedGauge({ name: "magpie_registry_routed_users", help: "Users with at least one route (a connected device).", collect: () => src.routedUsers() });
  const registrations = m.counter({ name: "magpie_registry_registrations_total", help: "Node registrations, by role.", labelNames: ["role"] });
  const heartbeats = m.counter({ name: "magpie_registry_heartbeats_total", help: "Node heartbeats, by role.", labelNames: ["role"] });
  const snapshots = m.counter({ name: "magpie_registry_snapshot_requests_total", help: "Heartbeats answered with a snapshot request (delta out of sequence)." });
  const expired = m.counter({ name: "magpie_registry_expired_total", help: "Nodes expired for missing heartbeats, by role.", labelNames: ["role"] });
  const selections = m.counter({ name: "magpie_registry_selections_total", help: "Bridge selections, by strategy and outcome.", labelNames: ["strategy", "outcome"] });
  const limited = m.counter({ name: "magpie_registry_rate_limited_total", help: "Selection requests refused by the per-address rate limit." });
  const lookups = m.counter({ name: "magpie_registry_route_lookups_total", help: "Route lookup requests." });
  const lookedUp = m.counter({ name: "magpie_registry_route_lookup_users_total", help: "Users looked up by route lookups." });
  const authFailures = m.counter({ name: "magpie_registry_auth_failures_total", help: "Requests refused for a missing or wrong token, by scope.", labelNames: ["scope"] });

  return {
    registration: (r) => registrations.inc({ role: role(r) }),
    heartbeat: (r) => heartbeats.inc({ role: role(r) }),
    snapshotRequested: () => snapshots.inc(),
    expired: (r) => expired.inc({ role: role(r) }),
    selection: (strategy, outcome) => selections.inc({ strategy, outcome }),
    rateLimited: () => limited.inc(),
    routeLookup(users) {
      lookups.inc();
      lookedUp.inc(undefined, users);
    },
    authFailure: (scope) => authFailures.inc({ scope }),
  };
}
