/**
 * Browser test: a real cluster (registry, SQLite handler, two bridges) and the metric role,
 * driven in headless Chromium through playwright-core. Two browser users sign in on the chat
 * page and exchange messages; the dashboard's connection and message counts match the cluster
 * (the bridges' and handler's own /metrics). Screenshots go to docs/img/{dashboard,chat}.png when
 * MAGPIE_UPDATE_SCREENSHOTS=1, else to a temp dir.
 * Needs /usr/bin/chromium (scripts/install-test-deps.sh installs it).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { parsePromText, sum } from "../../src/metric/promtext.ts";
import { startCluster, startRole, waitUntil, type Cluster, type RoleProc } from "./cluster.ts";

/** docs/img with MAGPIE_UPDATE_SCREENSHOTS=1 (to refresh the README's images), else a temp dir. */
const IMG = process.env.MAGPIE_UPDATE_SCREENSHOTS === "1" ? join(import.meta.dir, "..", "..", "docs", "img") : mkdtempSync(join(tmpdir(), "magpie-shots-"));
let cluster: Cluster;
let metric: RoleProc;
let browser: Browser;

beforeAll(async () => {
  cluster = await startCluster({ bridges: 2 });
  metric = await startRole("metric", { MAGPIE_REGISTRIES: cluster.registry.url, MAGPIE_DEV_TOKENS: "1", MAGPIE_POLL_MS: "500" });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  metric?.proc.kill("SIGTERM");
  await cluster?.stop();
  if (process.env.MAGPIE_UPDATE_SCREENSHOTS !== "1") rmSync(IMG, { recursive: true, force: true });
});

async function signIn(user: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => console.error(`[${user}] page error:`, e.message));
  await page.goto(`${metric.url}/chat`);
  await page.fill("#user", user);
  await page.click("#signin");
  await page.waitForSelector("#app:not([hidden])", { timeout: 15_000 });
  await page.waitForFunction(() => document.body.dataset.state === "ready", undefined, { timeout: 15_000 });
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click("#send");
}

/** What the nodes themselves report: open connections and stored messages. */
async function clusterTruth(): Promise<{ connections: number; messages: number }> {
  const bridges = (await Promise.all(cluster.bridges.map(async (b) => await (await fetch(`${b.url}/metrics`)).text()))).flatMap(parsePromText);
  const handler = parsePromText(await (await fetch(`${cluster.handler.url}/metrics`)).text());
  return {
    connections: sum(bridges, "magpie_bridge_connections"),
    messages: sum(handler, "magpie_handler_sends_total") - sum(handler, "magpie_handler_dedupe_hits_total"),
  };
}

test("two browser users chat; the dashboard shows the cluster's connections and messages", async () => {
  const alice = await signIn("alice");
  const bob = await signIn("bob");

  await alice.fill("#peer", "bob");
  await alice.click("#dm-form button");
  await say(alice, "hello bob");
  await alice.waitForSelector(`.msg.mine:has-text("hello bob")`);

  // Bob sees the new conversation appear, opens it and sees the message, then replies.
  await bob.waitForSelector(`#convs li:has-text("@ alice")`, { timeout: 10_000 });
  await bob.click(`#convs li:has-text("@ alice")`);
  await bob.waitForSelector(`.msg:not(.mine):has-text("hello bob")`, { timeout: 10_000 });
  await say(bob, "hi alice, 你好");
  await alice.waitForSelector(`.msg:not(.mine):has-text("你好")`, { timeout: 10_000 });
  await say(alice, "see you on the dashboard");
  await bob.waitForSelector(`.msg:not(.mine):has-text("see you on the dashboard")`, { timeout: 10_000 });
  expect(await bob.locator(".msg").count()).toBe(3);
  expect(await alice.locator(".msg").count()).toBe(3);

  // A group, created over REST (proxied to a live bridge by the metric role).
  await alice.fill("#group-title", "team");
  await alice.fill("#group-members", "bob");
  await alice.click("#group-form button");
  await alice.waitForSelector(`#conv-title:has-text("# team")`);
  await say(alice, "group hello");
  await alice.waitForSelector(`.msg.mine:has-text("group hello")`);
  await bob.waitForSelector(`#convs li:has-text("# team")`, { timeout: 10_000 });
  await bob.click(`#convs li:has-text("# team")`);
  await bob.waitForSelector(`.msg:not(.mine):has-text("group hello")`, { timeout: 10_000 });
  await bob.click(`#convs li:has-text("@ alice")`);
  await bob.waitForSelector(`.msg:has-text("see you on the dashboard")`);

  const truth = await clusterTruth();
  expect(truth).toEqual({ connections: 2, messages: 4 });

  const dash = await (await browser.newContext({ viewport: { width: 1400, height: 1100 } })).newPage();
  dash.on("pageerror", (e) => console.error("[dashboard] page error:", e.message));
  await dash.goto(`${metric.url}/`);
  const stat = (k: string) => dash.locator(`[data-stat="${k}"]`).innerText();
  await waitUntil(async () => (await stat("connections")) === "2" && (await stat("messages")) === "4", 15_000, "dashboard to show 2 connections and 4 messages");
  expect(await stat("bridges")).toBe("2");
  expect(await stat("handlers")).toBe("1");
  expect(await stat("registries")).toBe("1/1");
  expect(await stat("sendAckP99")).toMatch(/ms$/);
  expect(await dash.locator("#t-bridge tr[data-node]").count()).toBe(2);
  // The JSON agrees with the page and with the nodes.
  const api = (await (await fetch(`${metric.url}/api/cluster`)).json()) as { totals: { connections: number; messages: number } };
  expect({ connections: api.totals.connections, messages: api.totals.messages }).toEqual(truth);
  // The charts move: the connections series gains points while we watch.
  const pointsBefore = await dash.evaluate(() => document.querySelectorAll("#c-conn canvas").length);
  expect(pointsBefore).toBe(1);
  const h1 = ((await (await fetch(`${metric.url}/api/history`)).json()) as { points: unknown[] }).points.length;
  await Bun.sleep(1200);
  const h2 = ((await (await fetch(`${metric.url}/api/history`)).json()) as { points: unknown[] }).points.length;
  expect(h2).toBeGreaterThan(h1);

  await dash.screenshot({ path: join(IMG, "dashboard.png"), fullPage: true });
  await bob.screenshot({ path: join(IMG, "chat.png") });
}, 90_000);
