/**
 * The handler's REST API, reached through the current bridge's HTTP origin with the user's
 * bearer token: group management, member lists, the conversation list and history pages.
 */
import { MagpieError } from "../core/errors.ts";
import type { Conversation, Membership, Message, UserConversation } from "../core/types.ts";
import { errorFromBody, type FetchFn } from "./selector.ts";

/** Options of {@link RestApi.createGroup}. */
export interface CreateGroupOptions {
  historyVisibleToNewMembers?: boolean;
}

/** Paging of member lists. */
export interface MemberPage {
  after?: string;
  limit?: number;
}

/** History page bounds. */
export interface HistoryQuery {
  after?: number;
  before?: number;
  limit?: number;
}

/** REST calls against a bridge origin. */
export class RestApi {
  constructor(
    private readonly origin: () => Promise<string>,
    private readonly token: () => Promise<string>,
    private readonly doFetch: FetchFn = (i, r) => fetch(i, r),
    private readonly timeoutMs = 10_000,
  ) {}

  /** Creates a group with the caller as owner; `members` are the other users. */
  async createGroup(title: string, members: readonly string[], opts: CreateGroupOptions = {}): Promise<Conversation> {
    const body = { title, members: [...members], ...opts };
    return (await this.call<{ conversation: Conversation }>("POST", "/v1/groups", body)).conversation;
  }

  /** Adds users to a group. */
  async addMembers(conv: string, users: readonly string[]): Promise<unknown> {
    return await this.call("POST", `/v1/conversations/${enc(conv)}/members`, { users: [...users] });
  }

  /** Removes a user from a group. */
  async removeMember(conv: string, user: string): Promise<unknown> {
    return await this.call("DELETE", `/v1/conversations/${enc(conv)}/members/${enc(user)}`);
  }

  /** One page of a conversation's members. */
  async listMembers(conv: string, page: MemberPage = {}): Promise<Membership[]> {
    const q = query({ after: page.after, limit: page.limit });
    return (await this.call<{ members: Membership[] }>("GET", `/v1/conversations/${enc(conv)}/members${q}`)).members;
  }

  /** The caller's conversations. */
  async listConversations(): Promise<UserConversation[]> {
    return (await this.call<{ conversations: UserConversation[] }>("GET", "/v1/conversations")).conversations;
  }

  /** A history page over REST (the WebSocket `history` frame is used when connected). */
  async messages(conv: string, q: HistoryQuery = {}): Promise<{ messages: Message[]; more: boolean }> {
    return await this.call("GET", `/v1/conversations/${enc(conv)}/messages${query({ ...q })}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = (await this.origin()) + path;
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token()}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new MagpieError("unavailable", `${method} ${path}: ${(err as Error)?.message ?? err}`);
    }
    const parsed = await res.json().catch(() => null);
    if (!res.ok) throw errorFromBody(res.status, parsed, `${method} ${path}`);
    return (parsed ?? {}) as T;
  }
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
