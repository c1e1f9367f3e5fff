/**
 * Per-conversation cursors: the highest seq a device has applied in each conversation. The SDK
 * loads them once at connect and saves each advance, so a device resumes where it left off.
 */

/**
 * Where a device keeps its cursors. `save` is called after the message at `seq` was emitted to
 * the application, in seq order per conversation; an implementation may batch or debounce
 * writes, at the cost of re-delivering the unsaved tail after a crash (never of losing it).
 */
export interface CursorStore {
  /** All saved cursors (conversation id → seq). */
  load(): Promise<Record<string, number>>;
  /** Records that everything up to `seq` in `conv` was applied. */
  save(conv: string, seq: number): Promise<void>;
}

/** Cursors in memory only: a fresh process starts from the beginning of every conversation. */
export class MemoryCursorStore implements CursorStore {
  private readonly cursors = new Map<string, number>();

  constructor(initial: Record<string, number> = {}) {
    for (const [k, v] of Object.entries(initial)) this.cursors.set(k, v);
  }

  async load(): Promise<Record<string, number>> {
    return Object.fromEntries(this.cursors);
  }

  async save(conv: string, seq: number): Promise<void> {
    if (seq > (this.cursors.get(conv) ?? -1)) this.cursors.set(conv, seq);
  }
}
