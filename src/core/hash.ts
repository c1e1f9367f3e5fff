/**
 * Rendezvous (highest-random-weight) hashing: every key maps to the node with the highest
 * hash(key, node). Stable while the node set is; when a node leaves, only its keys move.
 */

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so nearby inputs spread.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The node id among `nodes` that owns `key`, or undefined when `nodes` is empty. */
export function rendezvous(key: string, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const n of nodes) {
    const score = fnv1a(key, fnv1a(n));
    if (score > bestScore || (score === bestScore && best !== undefined && n < best)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}
