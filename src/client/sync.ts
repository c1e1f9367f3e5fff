/**
 * The `sync` loop run after every `welcome`: ask for everything after the device's cursors,
 * apply each page through the {@link Sequencer} (history floors first), and repeat with the
 * advanced cursors while the server says `more`.
 */
import type { Message } from "../core/types.ts";
import { MagpieError } from "../core/errors.ts";
import { nextRef, type Connection } from "./connection.ts";
import type { Sequencer } from "./sequencer.ts";

/** Syncs `seq`'s conversations over `conn` until no page has `more` (or no progress is made). */
export async function syncAll(conn: Connection, seq: Sequencer, limit: number, timeoutMs: number): Promise<void> {
  for (;;) {
    const before = JSON.stringify(seq.cursors());
    const f = await conn.request({ t: "sync", ref: nextRef(), cursors: seq.cursors(), limit }, timeoutMs);
    if (f.t !== "synced") throw new MagpieError("internal", `expected synced, got ${f.t}`);
    const byConv = new Map<string, Message[]>();
    for (const m of f.messages) {
      const list = byConv.get(m.convId);
      if (list) list.push(m);
      else byConv.set(m.convId, [m]);
    }
    const tasks = f.convs.map((c) => seq.raiseFloor(c.convId, c.floorSeq));
    for (const [conv, msgs] of byConv) tasks.push(seq.applyPage(conv, msgs));
    await Promise.all(tasks);
    if (!f.more || JSON.stringify(seq.cursors()) === before) return;
  }
}
