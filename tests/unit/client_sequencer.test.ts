import { describe, expect, test } from "bun:test";
import { MemoryCursorStore } from "../../src/client/cursors.ts";
import { Sequencer, type Page } from "../../src/client/sequencer.ts";
import type { Message } from "../../src/core/types.ts";

const CONV = "g:room";
const msg = (seq: number, conv = CONV): Message => ({
  convId: conv, seq, senderId: "alice", senderDevice: "d1", clientMsgId: `c${seq}`, kind: "text", body: `m${seq}`, createdAt: seq,
});

/** A sequencer over a server log of `n` messages; pulls are slow so pushes pile up behind them. */
function setup(n: number, store = new MemoryCursorStore(), pageSize = 200) {
  const log = Array.from({ length: n }, (_, i) => msg(i + 1));
  const emitted: number[] = [];
  const pulls: number[] = [];
  const seq = new Sequencer({
    store,
    emit: (m) => emitted.push(m.seq),
    pull: async (conv, after): Promise<Page> => {
      pulls.push(after);
      await Bun.sleep(5);
      const rest = log.filter((m) => m.convId === conv && m.seq > after);
      return { messages: rest.slice(0, pageSize), more: rest.length > pageSize };
    },
    onError: (e) => {
      throw e;
    },
  });
  return { seq, emitted, pulls, log, store };
}

describe("Sequencer", () => {
  test("in-order pushes are applied and duplicates dropped", async () => {
    const { seq, emitted } = setup(3);
    for (const s of [1, 1, 2, 1, 2, 3, 3]) void seq.push(msg(s));
    await seq.idle();
    expect(emitted).toEqual([1, 2, 3]);
    expect(seq.stats.duplicates).toBe(4);
    expect(seq.cursor(CONV)).toBe(3);
  });

  test("a gap pulls history after the cursor, then the push; later pushes queue behind", async () => {
    const { seq, emitted, pulls } = setup(6);
    await seq.push(msg(1));
    void seq.push(msg(5));
    void seq.push(msg(2));
    void seq.push(msg(6));
    void seq.push(msg(3));
    await seq.idle();
    expect(emitted).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pulls).toEqual([1]);
  });

  test("gap pulls page while `more`", async () => {
    const { seq, emitted, pulls } = setup(7, undefined, 3);
    await seq.push(msg(7));
    expect(emitted).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(pulls).toEqual([0, 3, 6]);
  });

  test("pages are authoritative and idempotent; floors raise the cursor", async () => {
    const { seq, emitted } = setup(0);
    await seq.raiseFloor(CONV, 10);
    await seq.applyPage(CONV, [msg(12), msg(11), msg(13)]);
    await seq.applyPage(CONV, [msg(11), msg(13), msg(14)]);
    expect(emitted).toEqual([11, 12, 13, 14]);
    await seq.raiseFloor(CONV, 5);
    expect(seq.cursor(CONV)).toBe(14);
  });

  test("cursors are saved and reloaded, so a new sequencer resumes", async () => {
    const store = new MemoryCursorStore();
    const a = setup(3, store);
    for (const s of [1, 2, 3]) await a.seq.push(msg(s));
    await a.seq.push(msg(1, "g:other"));
    expect(await store.load()).toEqual({ [CONV]: 3, "g:other": 1 });
    const b = setup(4, store);
    await b.seq.load();
    expect(b.seq.cursors()).toEqual({ [CONV]: 3, "g:other": 1 });
    await b.seq.push(msg(3));
    await b.seq.push(msg(4));
    expect(b.emitted).toEqual([4]);
  });

  test("conversations are independent", async () => {
    const { seq, emitted } = setup(0);
    await seq.push(msg(1, "g:a"));
    await seq.push(msg(1, "g:b"));
    await seq.push(msg(2, "g:a"));
    expect(emitted).toEqual([1, 1, 2]);
    expect(seq.cursors()).toEqual({ "g:a": 2, "g:b": 1 });
  });
});
