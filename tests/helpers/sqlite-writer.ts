/**
 * Child process for the multi-process SqliteStore test: appends `count` messages as `sender`
 * to `convId` in the database at `path`, then prints the seqs it got as JSON.
 * It starts at `startAt` (ms since the epoch) so that several children really overlap.
 * Usage: bun tests/helpers/sqlite-writer.ts <path> <convId> <sender> <count> <startAt>
 */
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { msg, sleep } from "./builders.ts";

const [path, convId, sender, count, startAt] = process.argv.slice(2);
const store = await openSqliteStore({ path: path!, ttlSeconds: 0 });
await sleep(Number(startAt) - Date.now());
const seqs: number[] = [];
for (let i = 1; i <= Number(count); i++) {
  seqs.push((await store.append(msg(convId!, sender!, `${sender} ${i}`))).message.seq);
  await sleep(1); // let the other processes take the write lock in between
}
await store.close();
console.log(JSON.stringify(seqs));
