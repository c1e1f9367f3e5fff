/**
 * Entry of the `client` role: a terminal chat client on the SDK.
 *
 *   bun run client --user alice [--device laptop] [--registries http://127.0.0.1:7700]
 *   bun run client --user alice --to bob --say "hi"       # send one message, exit after the ack
 *   bun run client --user bob --listen 5000               # print what arrives for 5 s, then exit
 *
 * It signs its own token with --secret ($MAGPIE_JWT_SECRET, default "dev-jwt-secret"); cursors
 * live in ~/.magpie/cursors-<user>-<device>.json so a restart resumes where it stopped.
 * Commands: /dm <user>, /group new <title> <u1,u2>, /group add <conv> <u1,u2>, /join <conv>,
 * /history [n], /convs, /members, /quit. Any other line is sent to the current conversation.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { signUserToken } from "../auth/jwt.ts";
import { MagpieClient, type CursorStore } from "../client/index.ts";
import { MagpieError } from "../core/errors.ts";
import { directConvId } from "../core/ids.ts";
import type { Message } from "../core/types.ts";

/** Cursors in a JSON file, written atomically (tmp + rename), coalescing bursts of saves. */
export class FileCursorStore implements CursorStore {
  private cursors: Record<string, number> = {};
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly path: string) {}

  async load(): Promise<Record<string, number>> {
    try {
      const raw = JSON.parse(await readFile(this.path, "utf8")) as unknown;
      if (raw && typeof raw === "object") {
        for (const [k, v] of Object.entries(raw)) if (Number.isSafeInteger(v)) this.cursors[k] = v as number;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return { ...this.cursors };
  }

  async save(conv: string, seq: number): Promise<void> {
    if (seq <= (this.cursors[conv] ?? -1)) return;
    this.cursors[conv] = seq;
    if (this.dirty) return; // a pending write will include it
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.cursors));
      await rename(tmp, this.path);
    });
    await this.writing;
  }

  /** Waits for the last write. */
  flush(): Promise<void> {
    return this.writing;
  }
}

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    user: { type: "string", short: "u" },
    device: { type: "string", short: "d", default: "cli" },
    registries: { type: "string", short: "r" },
    secret: { type: "string" },
    strategy: { type: "string" },
    region: { type: "string" },
    to: { type: "string" },
    conv: { type: "string" },
    say: { type: "string" },
    listen: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (args.help || !args.user) {
  console.error("usage: bun run client --user <id> [--device d] [--registries url,url] [--secret s] [--strategy s] [--region r]\n" +
    "       [--to <user> | --conv <conv>] [--say <text>] [--listen <ms>]");
  process.exit(args.help ? 0 : 2);
}
const user = args.user;
const device = args.device!;
const secret = args.secret ?? process.env.MAGPIE_JWT_SECRET ?? "dev-jwt-secret";
const registries = (args.registries ?? process.env.MAGPIE_REGISTRIES ?? "http://127.0.0.1:7700").split(",").map((s) => s.trim()).filter(Boolean);
const dir = join(homedir(), ".magpie");
await mkdir(dir, { recursive: true });
const cursors = new FileCursorStore(join(dir, `cursors-${user}-${device}.json`));

const client = new MagpieClient({
  registries,
  userId: user,
  token: () => signUserToken(secret, user, device, 3600),
  strategy: args.strategy,
  region: args.region,
  cursorStore: cursors,
});
const print = (line: string) => console.log(line);
const show = (m: Message) => `[${m.convId} #${m.seq}] ${m.senderId}: ${m.body}`;
client.on("message", (m) => print(show(m)));
client.on("error", (e) => console.error(`! ${e.code}: ${e.message}`));

async function finish(code: number): Promise<never> {
  await client.close();
  await cursors.flush();
  process.exit(code);
}

const interactive = args.say === undefined && args.listen === undefined;
if (!interactive) {
  try {
    await client.connect();
    if (args.say !== undefined) {
      const conv = args.conv ?? (args.to ? directConvId(user, args.to) : undefined);
      if (!conv) throw new MagpieError("bad_request", "--say needs --to <user> or --conv <conv>");
      const ack = await client.send(conv, args.say);
      print(`acked ${ack.conv} #${ack.seq}${ack.dup ? " (dup)" : ""}`);
    }
    if (args.listen !== undefined) await new Promise((r) => setTimeout(r, Number(args.listen) || 0));
    await client.idle();
    await finish(0);
  } catch (err) {
    console.error(`error: ${err instanceof MagpieError ? `${err.code}: ${err.message}` : String(err)}`);
    await finish(1);
  }
}

let current: string | undefined = args.conv ?? (args.to ? directConvId(user, args.to) : undefined);
const rl = createInterface({ input: process.stdin, output: process.stdout });
const prompt = () => {
  rl.setPrompt(`${user}${current ? `@${current}` : ""}> `);
  rl.prompt(true);
};
client.on("state", (s) => s !== "ready" && console.error(`(${s})`));

async function command(line: string): Promise<void> {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  switch (cmd) {
    case "/dm":
      if (!rest[0]) return print("usage: /dm <user>");
      current = directConvId(user, rest[0]);
      return;
    case "/join":
      if (!rest[0]) return print("usage: /join <conv>");
      current = rest[0];
      return;
    case "/group": {
      if (rest[0] === "new" && rest.length >= 3) {
        const members = rest[rest.length - 1]!.split(",").filter(Boolean);
        const conv = await client.createGroup(rest.slice(1, -1).join(" "), members);
        current = conv.id;
        return print(`created ${conv.id} "${conv.title}"`);
      }
      if (rest[0] === "add" && rest.length === 3) {
        await client.addMembers(rest[1]!, rest[2]!.split(",").filter(Boolean));
        return print(`added to ${rest[1]}`);
      }
      return print("usage: /group new <title> <u1,u2> | /group add <conv> <u1,u2>");
    }
    case "/history": {
      if (!current) return print("no conversation: /dm <user> or /join <conv>");
      const page = await client.history(current, { limit: Math.min(200, Math.max(1, Number(rest[0]) || 20)) });
      for (const m of [...page.messages].sort((a, b) => a.seq - b.seq)) print(show(m));
      return;
    }
    case "/convs":
      for (const c of await client.listConversations()) print(`${c.convId} (${c.kind}) last #${c.lastSeq}, read #${client.cursor(c.convId)}`);
      return;
    case "/members":
      if (!current) return print("no conversation");
      for (const m of await client.listMembers(current)) print(`${m.userId} (${m.role})`);
      return;
    case "/quit":
      return void (await finish(0));
    case "/help":
      return print("/dm <user> | /group new <title> <u1,u2> | /group add <conv> <u1,u2> | /join <conv> | /history [n] | /convs | /members | /quit");
    default:
      return print(`unknown command ${cmd}; /help`);
  }
}

print(`connecting as ${user}/${device} via ${registries.join(", ")} …`);
client.connect().then(() => {
  print(`connected to ${client.bridge?.nodeId} (${client.bridge?.publicUrl}); /help for commands`);
  prompt();
}, async (err) => {
  console.error(`cannot connect: ${err instanceof MagpieError ? `${err.code}: ${err.message}` : String(err)}`);
  await finish(1);
});
rl.on("line", (line) => {
  const text = line.trim();
  const run = async () => {
    if (!text) return;
    if (text.startsWith("/")) return await command(text);
    if (!current) return print("no conversation: /dm <user> or /join <conv>");
    await client.send(current, text);
  };
  run().catch((err) => print(`! ${err instanceof MagpieError ? `${err.code}: ${err.message}` : String(err)}`)).finally(prompt);
});
rl.on("close", () => void finish(0));
