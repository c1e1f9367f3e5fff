/**
 * Exactly-once, in-order delivery per conversation on one device (docs/protocol.md, "Ordering
 * and exactly-once"). Each conversation has a cursor (highest applied seq) and a task chain, so
 * pushes, gap pulls and sync pages of one conversation never interleave:
 *
 * - a push with `seq == cursor + 1` is applied (cursor advanced, emitted, saved);
 * - a push with `seq <= cursor` is a duplicate and dropped;
 * - a push with `seq > cursor + 1` reveals a gap: `history after cursor` is pulled (paged) and
 *   applied first, then the push if it is still next.
 *
 * Pages from the server (sync, history) are authoritative: their messages above the cursor are
 * applied in ascending order (the first may be above `cursor + 1` only when the history floor
 * hides older messages from this member).
 */
import type { Message } from "../core/types.ts";
import type { CursorStore } from "./cursors.ts";

/** A page of one conversation's messages. */
export interface Page {
  messages: Message[];
  more: boolean;
}

/** What the sequencer needs from its owner. */
export interface SequencerDeps {
  store: CursorStore;
  /** Called once per message, in seq order per conversation. */
  emit(m: Message): void;
  /** Pulls messages of `conv` after `after`, ascending (a `history` request). */
  pull(conv: string, after: number): Promise<Page>;
  /** A task failed (e.g. the link dropped during a pull); the next sync repairs it. */
  onError(err: unknown): void;
}

/** Counters, for tests and metrics. */
export interface SequencerStats {
  applied: number;
  duplicates: number;
  gapPulls: number;
}

/** Per-conversation cursors and ordering. */
export class Sequencer {
  private readonly cursorMap = new Map<string, number>();
  private readonly chains = new Map<string, Promise<void>>();
  readonly stats: SequencerStats = { applied: 0, duplicates: 0, gapPulls: 0 };

  constructor(private readonly deps: SequencerDeps) {}

  /** Loads saved cursors (call once before the first sync). */
  async load(): Promise<void> {
    const saved = await this.deps.store.load();
    for (const [conv, seq] of Object.entries(saved)) {
      if (Number.isSafeInteger(seq) && seq > (this.cursorMap.get(conv) ?? 0)) this.cursorMap.set(conv, seq);
    }
  }

  /** The cursor of `conv` (0 when nothing was applied). */
  cursor(conv: string): number {
    return this.cursorMap.get(conv) ?? 0;
  }

  /** Every cursor, for a `sync` frame. */
  cursors(): Record<string, number> {
    return Object.fromEntries(this.cursorMap);
  }

  /** A live push (or an own acked message): apply, drop, or fill the gap first. */
  push(m: Message): Promise<void> {
    return this.enqueue(m.convId, async () => {
      const cur = this.cursor(m.convId);
      if (m.seq <= cur) {
        this.stats.duplicates++;
        return;
      }
      if (m.seq > cur + 1) {
        this.stats.gapPulls++;
        await this.pullAfter(m.convId, m.seq);
      }
      if (m.seq === this.cursor(m.convId) + 1) await this.apply(m);
      else if (m.seq <= this.cursor(m.convId)) this.stats.duplicates++;
    });
  }

  /** An authoritative page for one conversation (sync or history): apply what is new, in order. */
  applyPage(conv: string, messages: readonly Message[]): Promise<void> {
    return this.enqueue(conv, () => this.applyAll(conv, messages));
  }

  /** Raises the cursor to the member's history floor (messages below it are not readable). */
  raiseFloor(conv: string, floorSeq: number): Promise<void> {
    return this.enqueue(conv, async () => {
      if (floorSeq > this.cursor(conv)) {
        this.cursorMap.set(conv, floorSeq);
        await this.deps.store.save(conv, floorSeq);
      }
    });
  }

  /** Resolves when every queued task of every conversation has finished. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async pullAfter(conv: string, upTo: number): Promise<void> {
    for (let guard = 0; guard < 10_000 && this.cursor(conv) < upTo; guard++) {
      const before = this.cursor(conv);
      const page = await this.deps.pull(conv, before);
      await this.applyAll(conv, page.messages);
      if (!page.more || this.cursor(conv) === before) return;
    }
  }

  private async applyAll(conv: string, messages: readonly Message[]): Promise<void> {
    const sorted = messages.filter((m) => m.convId === conv).sort((a, b) => a.seq - b.seq);
    for (const m of sorted) {
      if (m.seq > this.cursor(conv)) await this.apply(m);
      else this.stats.duplicates++;
    }
  }

  private async apply(m: Message): Promise<void> {
    this.cursorMap.set(m.convId, m.seq);
    this.stats.applied++;
    this.deps.emit(m);
    await this.deps.store.save(m.convId, m.seq);
  }

  private enqueue(conv: string, task: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(conv) ?? Promise.resolve();
    const next = prev.then(task).catch((err) => this.deps.onError(err));
    this.chains.set(conv, next);
    void next.then(() => {
      if (this.chains.get(conv) === next) this.chains.delete(conv);
    });
    return next;
  }
}
