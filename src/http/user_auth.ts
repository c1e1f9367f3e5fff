/** Hono middleware: verifies the user's bearer JWT and exposes the identity as `c.get("identity")`. */
import { createMiddleware } from "hono/factory";
import { bearer, verifyUserToken, type Identity } from "../auth/jwt.ts";

/** Variables set by {@link userAuth}. */
export type UserAuthEnv = { Variables: { identity: Identity } };

/** Requires `Authorization: Bearer <user JWT>`; answers 401 `unauthenticated` otherwise. */
export function userAuth(secret: string) {
  return createMiddleware<UserAuthEnv>(async (c, next) => {
    c.set("identity", await verifyUserToken(secret, bearer(c.req.header("authorization"))));
    await next();
  });
}
