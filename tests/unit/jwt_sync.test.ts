/**
 * verifyUserTokenSync (the bridge's synchronous HS256 check) must accept and reject exactly what
 * verifyUserToken (hono/jwt) does, with the same error codes and messages.
 */
import { expect, test } from "bun:test";
import { sign } from "hono/jwt";
import { createHmac } from "node:crypto";
import { signUserToken, verifyUserToken, verifyUserTokenSync } from "../../src/auth/jwt.ts";

test("sync and async token verification agree on 33 valid, expired, forged and malformed tokens", async () => {
  const S = "dev-jwt-secret";
  const b64 = (o: unknown) => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64url");
  const mac = (hp: string, key = S) => createHmac("sha256", key).update(hp).digest("base64url");
  const raw = (h: unknown, p: unknown, key = S) => { const hp = `${b64(h)}.${b64(p)}`; return `${hp}.${mac(hp, key)}`; };
  const now = Math.floor(Date.now() / 1000);
  const good = { sub: "alice", did: "d1", iat: now, exp: now + 60 };
  const H = { alg: "HS256", typ: "JWT" };
  const valid = await signUserToken(S, "alice", "d1");
  const cases: [string, string | undefined][] = [
    ["valid", valid], ["missing", undefined], ["empty", ""], ["two parts", valid.split(".").slice(0, 2).join(".")],
    ["four parts", valid + ".x"], ["wrong secret", await signUserToken("other", "alice", "d1")],
    ["expired", raw(H, { ...good, exp: now - 1 })], ["exp now", raw(H, { ...good, exp: now })], ["exp string", raw(H, { ...good, exp: "9999999999" })],
    ["nbf future", raw(H, { ...good, nbf: now + 100 })], ["nbf past", raw(H, { ...good, nbf: now - 100 })], ["iat future", raw(H, { ...good, iat: now + 100 })],
    ["alg none", raw({ alg: "none", typ: "JWT" }, good)], ["alg HS512", raw({ alg: "HS512", typ: "JWT" }, good)], ["no typ", raw({ alg: "HS256" }, good)],
    ["typ application/jwt", raw({ alg: "HS256", typ: "application/JWT" }, good)], ["typ other", raw({ alg: "HS256", typ: "JOSE" }, good)],
    ["crit", raw({ alg: "HS256", typ: "JWT", crit: ["x"] }, good)], ["no sub", raw(H, { did: "d1", exp: now + 60 })], ["bad sub", raw(H, { ...good, sub: "a b" })],
    ["no did", raw(H, { sub: "bob", exp: now + 60 })], ["bad did", raw(H, { ...good, did: "x/y" })], ["payload null", raw(H, null)], ["payload array", raw(H, [1])],
    ["header not json", `${b64("xx")}.${b64(good)}.${mac(`${b64("xx")}.${b64(good)}`)}`], ["tampered payload", valid.split(".")[0] + "." + b64({ ...good, sub: "mallory" }) + "." + valid.split(".")[2]],
    ["sig padded", valid + "="], ["sig truncated", valid.slice(0, -2)], ["sig garbage", valid.split(".").slice(0, 2).join(".") + ".!!!!"],
    ["hono sign", await sign({ sub: "carol", did: "d2", exp: now + 5 }, S, "HS256")], ["no exp", raw(H, { sub: "dave", did: "d1" })],
    ["sub number", raw(H, { ...good, sub: 5 })], ["exp Infinity-ish", raw(H, { ...good, exp: 1e400 })],
  ];
  const diffs: string[] = [];
  for (const [name, tok] of cases) {
    const a = await verifyUserToken(S, tok).then((r) => JSON.stringify(r), (e) => `ERR ${e.code}: ${e.message}`);
    let b: string;
    try { b = JSON.stringify(verifyUserTokenSync(S, tok)); } catch (e: any) { b = `ERR ${e.code}: ${e.message}`; }
    if (a !== b) diffs.push(`${name}: async ${a} | sync ${b}`);
  }
  expect(diffs).toEqual([]);
});
