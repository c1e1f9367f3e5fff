/**
 * Browser code of the web chat: signs in (dev token from the metric role, or a pasted JWT),
 * runs a {@link MagpieClient} with this origin as its registry (the metric role proxies bridge
 * selection) and REST routed through `/api/chat/rest`, lists conversations, opens a direct
 * chat with a peer or a new group, and sends and shows messages. Bundled at start.
 */
import { MagpieClient } from "../../client/index.ts";
import { directConvId } from "../../core/ids.ts";
import type { Message, UserConversation } from "../../core/types.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const esc = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

let client: MagpieClient | null = null;
let me = "";
let current: string | null = null;
const convs = new Map<string, { title: string; lastSeq: number }>();
const shown = new Map<string, Set<number>>();

/** fetch for the SDK: same-origin calls pass; calls to a bridge go through the metric role. */
const proxyFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = new URL(input instanceof Request ? input.url : String(input), location.href);
  if (url.origin === location.origin) return fetch(url, init);
  const headers = new Headers(init?.headers);
  headers.set("x-magpie-bridge-origin", url.origin);
  return fetch(`/api/chat/rest${url.pathname}${url.search}`, { ...init, headers });
};

function titleOf(conv: string, given?: string): string {
  if (conv.startsWith("d:")) {
    const [, a, b] = conv.split(":");
    return `@ ${a === me ? b : a}`;
  }
  return `# ${given || conv}`;
}

function renderConvs(): void {
  $("convs").innerHTML = [...convs].map(([id, c]) =>
    `<li data-conv="${esc(id)}" class="${id === current ? "sel" : ""}">${esc(c.title)}</li>`).join("");
}

function addMessage(m: Message): void {
  if (!convs.has(m.convId)) {
    convs.set(m.convId, { title: titleOf(m.convId), lastSeq: m.seq });
    renderConvs();
    void refreshConvs();
  }
  if (m.convId !== current) return;
  if (m.kind === "recall") return markRecalled(Number(m.body));
  if (m.kind === "deleted") return;
  let seen = shown.get(m.convId);
  if (!seen) shown.set(m.convId, (seen = new Set()));
  if (seen.has(m.seq)) return;
  seen.add(m.seq);
  const el = document.createElement("div");
  el.className = `msg${m.senderId === me ? " mine" : ""}`;
  el.dataset.seq = String(m.seq);
  el.innerHTML = `<div class="who">${esc(m.senderId)} · ${new Date(m.createdAt).toLocaleTimeString()}</div><div class="body">${m.kind === "recalled" ? "<i>(recalled)</i>" : esc(m.body)}</div>`;
  const box = $("msgs");
  const after = [...box.children].find((c) => Number((c as HTMLElement).dataset.seq) > m.seq);
  box.insertBefore(el, after ?? null);
  box.scrollTop = box.scrollHeight;
}

/** A `recall` event arrived: the message at `seq` shows as recalled. */
function markRecalled(seq: number): void {
  const body = document.querySelector(`#msgs [data-seq="${seq}"] .body`);
  if (body) body.innerHTML = "<i>(recalled)</i>";
}

async function refreshConvs(): Promise<void> {
  if (!client) return;
  try {
    const list = await client.listConversations() as (UserConversation & { title?: string })[];
    for (const c of list) {
      convs.set(c.convId, { title: titleOf(c.convId, c.title), lastSeq: c.lastSeq });
    }
    renderConvs();
  } catch (err) {
    console.warn("listing conversations failed", err);
  }
}

async function open(conv: string, title?: string): Promise<void> {
  current = conv;
  if (!convs.has(conv)) convs.set(conv, { title: title ?? titleOf(conv), lastSeq: 0 });
  shown.set(conv, new Set());
  $("msgs").innerHTML = "";
  $("conv-title").textContent = convs.get(conv)!.title;
  $<HTMLInputElement>("text").disabled = false;
  $<HTMLButtonElement>("send").disabled = false;
  renderConvs();
  try {
    const page = await client!.history(conv, { limit: 50 });
    for (const m of page.messages) addMessage(m);
  } catch {
    // a new direct conversation has no history yet
  }
  $<HTMLInputElement>("text").focus();
}

async function signIn(): Promise<void> {
  const user = $<HTMLInputElement>("user").value.trim();
  const err = $("login-err");
  err.textContent = "";
  if (!user) return void (err.textContent = "enter a user id");
  let token = ($("token") as HTMLInputElement | null)?.value.trim() ?? "";
  try {
    if (!token) {
      const res = await fetch("/api/dev-token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user }) });
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      token = body.token;
    }
    me = user;
    client = new MagpieClient({ registries: [location.origin], token, userId: user, fetch: proxyFetch });
    client.on("state", (s) => {
      $("state").textContent = `${me} · ${s}${client?.bridge ? ` · ${client.bridge.nodeId}` : ""}`;
      document.body.dataset.state = s;
    });
    client.on("message", addMessage);
    client.on("error", (e) => console.warn("magpie:", e.code, e.message));
    await client.connect();
    $("login").hidden = true;
    $("app").hidden = false;
    await refreshConvs();
  } catch (e) {
    err.textContent = String((e as Error)?.message ?? e);
    await client?.close();
    client = null;
  }
}

$("signin").addEventListener("click", () => void signIn());
$("user").addEventListener("keydown", (e) => {
  if ((e as KeyboardEvent).key === "Enter") void signIn();
});
$("convs").addEventListener("click", (e) => {
  const id = (e.target as HTMLElement).closest("li")?.dataset.conv;
  if (id) void open(id);
});
$("dm-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const peer = $<HTMLInputElement>("peer").value.trim();
  if (!peer) return;
  try {
    void open(directConvId(me, peer));
    $<HTMLInputElement>("peer").value = "";
  } catch (err) {
    alert(String((err as Error).message));
  }
});
$("group-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const title = $<HTMLInputElement>("group-title").value.trim() || "group";
  const members = $<HTMLInputElement>("group-members").value.split(",").map((s) => s.trim()).filter(Boolean);
  try {
    const conv = await client!.createGroup(title, members);
    convs.set(conv.id, { title: titleOf(conv.id, conv.title), lastSeq: 0 });
    await open(conv.id);
  } catch (err) {
    alert(String((err as Error).message));
  }
});
$("send-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>("text");
  const text = input.value;
  if (!text.trim() || !current || !client) return;
  input.value = "";
  try {
    await client.send(current, text);
  } catch (err) {
    input.value = text;
    alert(String((err as Error).message));
  }
});
