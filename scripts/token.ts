/**
 * Token helper for local use: prints an HS256 user token.
 *
 *   bun run scripts/token.ts <user> [device] [--secret s] [--ttl seconds]
 *
 * The secret defaults to $MAGPIE_JWT_SECRET, then "dev-jwt-secret" (the roles' default).
 */
import { parseArgs } from "node:util";
import { signUserToken } from "../src/auth/jwt.ts";

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: { secret: { type: "string" }, ttl: { type: "string" }, help: { type: "boolean", short: "h" } },
});
const [user, device = "cli"] = positionals;
if (values.help || !user) {
  console.error("usage: bun run scripts/token.ts <user> [device] [--secret s] [--ttl seconds]");
  process.exit(values.help ? 0 : 2);
}
const ttl = values.ttl === undefined ? 24 * 3600 : Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error(`--ttl must be a positive whole number of seconds, got ${values.ttl}`);
  process.exit(2);
}
try {
  console.log(await signUserToken(values.secret ?? process.env.MAGPIE_JWT_SECRET ?? "dev-jwt-secret", user, device, ttl));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
