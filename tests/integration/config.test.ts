/** Every role refuses to start on a bad setting and names the variable (exit status 2). */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

for (const [role, bad, name] of [
  ["registry", { MAGPIE_PORT: "not-a-port" }, "MAGPIE_PORT"],
  ["handler", { MAGPIE_STORE: "mongodb" }, "MAGPIE_STORE"],
  ["bridge", { MAGPIE_REGISTRIES: "not a url" }, "MAGPIE_REGISTRIES"],
  ["metric", { MAGPIE_PORT: "-5" }, "MAGPIE_PORT"],
] as const) {
  test(`${role}: a bad ${name} stops the process with a message naming it`, () => {
    const r = spawnSync(join(ROOT, "node_modules/.bin/bun"), ["run", join(ROOT, `src/roles/${role}.ts`)], {
      env: { ...process.env, ...bad }, encoding: "utf8", timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(name);
    expect(r.stderr).toContain("invalid configuration");
  });
}
