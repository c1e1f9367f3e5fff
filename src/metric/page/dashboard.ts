/**
 * Browser code of the dashboard: loads `/api/history`, then polls `/api/cluster` every poll
 * interval, updates the stat cards and tables and moves the uPlot charts. Bundled at start.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ClusterView, HistoryPoint, NodeViewM } from "../view.ts";

const $ = (id: string) => document.getElementById(id)!;
const esc = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, unit = "") => (v === null || v === undefined ? "–" : `${Math.round(v * 100) / 100}${unit}`);
const MAX_POINTS = 300;

type Key = Exclude<keyof HistoryPoint, "t">;
interface ChartDef {
  el: string;
  series: { key: Key; label: string; stroke: string }[];
}
const CHARTS: ChartDef[] = [
  { el: "c-conn", series: [{ key: "connections", label: "connections", stroke: "#4fb3ff" }] },
  { el: "c-rate", series: [{ key: "msgsPerSec", label: "msgs/s", stroke: "#3fb950" }, { key: "pushesPerSec", label: "pushes/s", stroke: "#a371f7" }] },
  {
    el: "c-lat", series: [
      { key: "sendAckP50", label: "send→ack p50", stroke: "#3fb950" }, { key: "sendAckP99", label: "send→ack p99", stroke: "#d29922" },
      { key: "pushP50", label: "push p50", stroke: "#4fb3ff" }, { key: "pushP99", label: "push p99", stroke: "#f85149" },
    ],
  },
  {
    el: "c-err", series: [
      { key: "errorsPerSec", label: "errors/s", stroke: "#f85149" }, { key: "storeWriteP99", label: "store write p99", stroke: "#d29922" },
      { key: "storeReadP99", label: "store read p99", stroke: "#4fb3ff" },
    ],
  },
];

const points: HistoryPoint[] = [];
const plots = CHARTS.map((def) => {
  const el = $(def.el);
  return new uPlot({
    width: Math.max(300, el.clientWidth || 600), height: 200,
    axes: [{ stroke: "#8b98a5", grid: { stroke: "#2a3540" } }, { stroke: "#8b98a5", grid: { stroke: "#2a3540" } }],
    series: [{}, ...def.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: true }))],
  }, [[], ...def.series.map(() => [])], el);
});
window.addEventListener("resize", () => plots.forEach((p, i) => p.setSize({ width: Math.max(300, $(CHARTS[i]!.el).clientWidth), height: 200 })));

function redraw(): void {
  const xs = points.map((p) => p.t / 1000);
  CHARTS.forEach((def, i) => plots[i]!.setData([xs, ...def.series.map((s) => points.map((p) => p[s.key]))] as uPlot.AlignedData));
}

function card(key: string, label: string, value: string): string {
  return `<div class="card"><div class="k">${esc(label)}</div><div class="v" data-stat="${key}">${esc(value)}</div></div>`;
}

function render(v: ClusterView): void {
  const t = v.totals;
  const l = v.latency;
  $("cards").innerHTML = [
    card("registries", "registries up", `${t.registriesUp}/${t.registries}`),
    card("bridges", "bridges", String(t.bridges)),
    card("handlers", "handlers", String(t.handlers)),
    card("connections", "connections", String(t.connections)),
    card("messages", "messages stored", String(t.messages)),
    card("msgsPerSec", "messages / s", fmt(t.msgsPerSec)),
    card("sendAckP99", "send→ack p99", fmt(l.sendAck.p99, " ms")),
    card("pushP99", "push p99", fmt(l.push.p99, " ms")),
    card("storeWriteP99", "store write p99", fmt(l.storeWrite.p99, " ms")),
    card("errorRate", "error rate", `${fmt(t.errorRate * 100)} %`),
  ].join("");
  $("t-reg").innerHTML = `<tr><th>registry</th><th>url</th><th>health</th><th>bridges</th><th>handlers</th><th>connections</th><th>heartbeats/s</th><th>selections/s</th><th>answer ms</th></tr>` +
    v.registries.map((r) => `<tr><td>${esc(r.registryId ?? "?")}</td><td>${esc(r.url)}</td><td class="${r.up ? "up" : "down"}">${r.up ? "up" : `down: ${esc(r.error)}`}</td>` +
      `<td>${fmt(r.bridges)}</td><td>${fmt(r.handlers)}</td><td>${fmt(r.connections)}</td><td>${fmt(r.heartbeatsPerSec)}</td><td>${fmt(r.selectionsPerSec)}</td><td>${fmt(r.latencyMs)}</td></tr>`).join("");
  const row = (n: NodeViewM, cols: string[]) =>
    `<tr data-node="${esc(n.nodeId)}"><td>${esc(n.nodeId)}</td><td>${esc(n.region)}/${esc(n.zone)}</td>` +
    `<td class="${n.draining ? "draining" : n.up ? "up" : "down"}">${n.draining ? "draining" : n.up ? "up" : `down${n.error ? `: ${esc(n.error)}` : ""}`}</td>${cols.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  const bridges = v.nodes.filter((n) => n.role === "bridge");
  const handlers = v.nodes.filter((n) => n.role === "handler");
  $("t-bridge").innerHTML = `<tr><th>bridge</th><th>region/zone</th><th>state</th><th>connections</th><th>capacity</th><th>sends/s</th><th>rejections/s</th><th>push p99</th></tr>` +
    bridges.map((n) => row(n, [String(n.connections), String(n.capacity), fmt(n.msgsPerSec), fmt(n.errorsPerSec), fmt(n.p99Ms, " ms")])).join("");
  $("t-handler").innerHTML = `<tr><th>handler</th><th>region/zone</th><th>state</th><th>linked bridges</th><th>msgs/s</th><th>errors/s</th><th>send→ack p99</th></tr>` +
    handlers.map((n) => row(n, [String(n.connections), fmt(n.msgsPerSec), fmt(n.errorsPerSec), fmt(n.p99Ms, " ms")])).join("");
  $("updated").textContent = `updated ${new Date(v.at).toLocaleTimeString()} · every ${v.pollMs / 1000} s · latency window ${v.windowMs / 1000} s`;
}

async function tick(): Promise<number> {
  try {
    const v = (await (await fetch("/api/cluster")).json()) as ClusterView;
    render(v);
    const last = points[points.length - 1];
    if (!last || last.t < v.at) {
      const l = v.latency;
      points.push({
        t: v.at, connections: v.totals.connections, msgsPerSec: v.totals.msgsPerSec, pushesPerSec: v.totals.pushesPerSec,
        errorsPerSec: v.totals.errorsPerSec, sendAckP50: l.sendAck.p50, sendAckP99: l.sendAck.p99, pushP50: l.push.p50,
        pushP99: l.push.p99, storeWriteP99: l.storeWrite.p99, storeReadP99: l.storeRead.p99,
      });
      if (points.length > MAX_POINTS) points.shift();
      redraw();
    }
    return v.pollMs || 2000;
  } catch {
    $("updated").textContent = "metric role unreachable; retrying";
    return 2000;
  }
}

async function main(): Promise<void> {
  try {
    const h = (await (await fetch("/api/history")).json()) as { points: HistoryPoint[] };
    points.push(...h.points.slice(-MAX_POINTS));
    redraw();
  } catch {
    // start empty
  }
  for (;;) {
    const wait = await tick();
    await new Promise((r) => setTimeout(r, wait));
  }
}
void main();
