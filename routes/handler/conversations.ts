/**
 * Route module: conversation and group management and history over REST, for the user in the
 * bearer token (bridges proxy these paths to a handler). Membership is checked on every call.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConvId, UserId } from "../../src/core/ids.ts";
import type { MessageService } from "../../src/handler/service.ts";
import { userAuth, type UserAuthEnv } from "../../src/http/user_auth.ts";
import { validate } from "../../src/http/validate.ts";
import { decodeCursor, encodeCursor } from "../../src/core/cursor.ts";

/** Request schemas (also used for the OpenAPI document). */
export const CreateGroupBody = z.object({
  title: z.string().min(1).max(200),
  members: z.array(UserId).max(10_000).default([]),
  historyVisibleToNewMembers: z.boolean().optional(),
});
export const AddMembersBody = z.object({ users: z.array(UserId).min(1).max(10_000) });
export const ConvParam = z.object({ conv: ConvId });
export const MemberParam = z.object({ conv: ConvId, user: UserId });
export const MembersQuery = z.object({ after: UserId.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const MessagesQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  before: z.coerce.number().int().min(1).optional(),
  cursor: z.string().max(400).optional(),
  dir: z.enum(["forward", "backward"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Creates the conversations sub-app (mounted at `/v1`). */
export function conversationRoutes(deps: { service: MessageService; jwtSecret: string }): Hono<UserAuthEnv> {
  const { service } = deps;
  const app = new Hono<UserAuthEnv>();
  app.use("*", userAuth(deps.jwtSecret));

  app.post("/groups", validate("json", CreateGroupBody), async (c) => {
    const conversation = await service.createGroup(c.get("identity"), c.req.valid("json"));
    return c.json({ conversation }, 201);
  });

  app.get("/conversations", async (c) => {
    return c.json({ conversations: await service.listConversations(c.get("identity")) });
  });

  app.post("/conversations/:conv/members", validate("param", ConvParam), validate("json", AddMembersBody), async (c) => {
    await service.addMembers(c.get("identity"), c.req.valid("param").conv, c.req.valid("json").users);
    return c.json({ ok: true });
  });

  app.delete("/conversations/:conv/members/:user", validate("param", MemberParam), async (c) => {
    const p = c.req.valid("param");
    await service.removeMember(c.get("identity"), p.conv, p.user);
    return c.json({ ok: true });
  });

  app.get("/conversations/:conv/members", validate("param", ConvParam), validate("query", MembersQuery), async (c) => {
    const q = c.req.valid("query");
    const members = await service.listMembers(c.get("identity"), c.req.valid("param").conv, q.after, q.limit);
    return c.json({ members, next: members.length === q.limit ? members[members.length - 1]!.userId : null });
  });

  /**
   * History: `after` (ascending) or `before` (descending) seqs, or an opaque `cursor` from a
   * previous page (`next`, with `dir`), which must belong to this conversation (`cursor_mismatch`).
   */
  app.get("/conversations/:conv/messages", validate("param", ConvParam), validate("query", MessagesQuery), async (c) => {
    const conv = c.req.valid("param").conv;
    const q = c.req.valid("query");
    let { after, before } = q;
    // A cursor continues a page in the direction asked (default: the direction of `after`/`before`).
    const forward = q.dir ? q.dir === "forward" : after !== undefined;
    if (q.cursor) {
      const cur = decodeCursor(q.cursor, conv);
      if (forward) after = cur.seq;
      else before = cur.seq;
    }
    const page = await service.history(c.get("identity"), { conv, after: forward ? after : undefined, before: forward ? undefined : before, limit: q.limit });
    const edge = page.messages[page.messages.length - 1];
    const next = page.more && edge ? encodeCursor({ convId: conv, seq: edge.seq }) : null;
    return c.json({ messages: page.messages, more: page.more, next });
  });

  return app;
}
