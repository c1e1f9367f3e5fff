/**
 * User tokens: HS256 JWTs with `sub` = user id, `did` = device id, `exp` (seconds). The bridge
 * and handler REST routes take the identity only from a verified token.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { sign, verify } from "hono/jwt";
import { MagpieError } from "../core/errors.ts";
import { DeviceId, UserId } from "../core/ids.ts";

/** A verified identity. */
export interface Identity {
  userId: string;
  deviceId: string;
}

/** Signs a token for `userId`/`deviceId`, valid for `ttlSeconds`. */
export async function signUserToken(secret: string, userId: string, deviceId: string, ttlSeconds = 24 * 3600): Promise<string> {
  if (!UserId.safeParse(userId).success) throw new MagpieError("invalid_id", "invalid user id");
  if (!DeviceId.safeParse(deviceId).success) throw new MagpieError("invalid_id", "invalid device id");
  const now = Math.floor(Date.now() / 1000);
  return await sign({ sub: userId, did: deviceId, iat: now, exp: now + ttlSeconds }, secret, "HS256");
}

/** Verifies a token; throws `unauthenticated` when missing, forged, expired or malformed. */
export async function verifyUserToken(secret: string, token: string | undefined | null): Promise<Identity> {
  if (!token) throw new MagpieError("unauthenticated", "missing token");
  let payload: Record<string, unknown>;
  try {
    payload = await verify(token, secret, "HS256");
  } catch (err) {
    const name = (err as Error)?.name ?? "";
    throw new MagpieError("unauthenticated", name.includes("Expired") ? "token expired" : "invalid token");
  }
  const sub = payload.sub;
  const did = payload.did ?? "default";
  if (typeof sub !== "string" || !UserId.safeParse(sub).success) throw new MagpieError("unauthenticated", "token has no valid sub");
  if (typeof did !== "string" || !DeviceId.safeParse(did).success) throw new MagpieError("unauthenticated", "token has no valid did");
  return { userId: sub, deviceId: did };
}

/**
 * Synchronous twin of {@link verifyUserToken} (HS256 only, node:crypto HMAC), with the same
 * checks as hono/jwt's `verify` (three parts, JSON header with `alg` HS256, `typ` JWT or absent,
 * no `crit`; `nbf`, `exp`, `iat` against now; canonical base64url signature; constant-time
 * compare) and the same errors. The bridge uses it so the WebSocket upgrade stays synchronous:
 * the async WebCrypto path kept ≈ 3 KiB of RSS per connection (scripts/bench, connections).
 */
export function verifyUserTokenSync(secret: string, token: string | undefined | null): Identity {
  if (!token) throw new MagpieError("unauthenticated", "missing token");
  const invalid = () => new MagpieError("unauthenticated", "invalid token");
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid();
  const [h, p, sig] = parts as [string, string, string];
  let header: unknown, payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof header !== "object" || header === null || typeof payload !== "object" || payload === null) throw invalid();
  const hd = header as Record<string, unknown>;
  if (hd.alg !== "HS256" || "crit" in hd) throw invalid();
  if ("typ" in hd && !(typeof hd.typ === "string" && hd.typ.toLowerCase().replace(/^application\//, "") === "jwt")) throw invalid();
  const pl = payload as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const bad = (v: unknown) => typeof v !== "number" || !Number.isFinite(v);
  if (pl.nbf !== undefined && (bad(pl.nbf) || (pl.nbf as number) > now)) throw invalid();
  if (pl.exp !== undefined && (bad(pl.exp) || (pl.exp as number) <= now)) throw new MagpieError("unauthenticated", "token expired");
  if (pl.iat !== undefined && (bad(pl.iat) || now < (pl.iat as number))) throw invalid();
  const got = Buffer.from(sig, "base64url");
  if (got.toString("base64url") !== sig) throw invalid();
  const want = createHmac("sha256", secret).update(`${h}.${p}`).digest();
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw invalid();
  const sub = pl.sub;
  const did = pl.did ?? "default";
  if (typeof sub !== "string" || !UserId.safeParse(sub).success) throw new MagpieError("unauthenticated", "token has no valid sub");
  if (typeof did !== "string" || !DeviceId.safeParse(did).success) throw new MagpieError("unauthenticated", "token has no valid did");
  return { userId: sub, deviceId: did };
}

/** Extracts a bearer token from an Authorization header. */
export function bearer(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1];
}
