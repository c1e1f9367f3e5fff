/**
 * User tokens: HS256 JWTs with `sub` = user id, `did` = device id, `exp` (seconds). The bridge
 * and handler REST routes take the identity only from a verified token.
 */
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

/** Extracts a bearer token from an Authorization header. */
export function bearer(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1];
}
