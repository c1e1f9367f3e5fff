/** The dashboard's and chat page's HTML shells; their scripts are bundled at start (assets/). */

const STYLE = `
:root{--bg:#0f1419;--panel:#182029;--line:#2a3540;--fg:#e6edf3;--dim:#8b98a5;--acc:#4fb3ff;--ok:#3fb950;--bad:#f85149;--warn:#d29922}
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;align-items:center;gap:16px;padding:12px 20px;border-bottom:1px solid var(--line)}
header h1{font-size:18px;margin:0}header a{color:var(--acc)}header .dim{color:var(--dim);margin-left:auto}
main{padding:16px 20px;max-width:1400px;margin:0 auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .k{color:var(--dim);font-size:12px}.card .v{font-size:24px;font-weight:600;margin-top:2px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(620px,1fr));gap:12px;margin-bottom:16px}
.chart{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px}
.chart h3{margin:0 0 4px;font-size:13px;color:var(--dim);font-weight:500}
table{width:100%;border-collapse:collapse;background:var(--panel);border:1px solid var(--line);border-radius:8px;margin-bottom:16px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);font-variant-numeric:tabular-nums}th{color:var(--dim);font-weight:500;font-size:12px}
.up{color:var(--ok)}.down{color:var(--bad)}.draining{color:var(--warn)}h2{font-size:15px;margin:8px 0}
.uplot,.u-legend{color:var(--fg)}.u-legend th{color:var(--fg)}
input,select,button,textarea{font:inherit;background:#0b1016;color:var(--fg);border:1px solid var(--line);border-radius:6px;padding:6px 8px}
button{background:var(--acc);color:#001;border:0;cursor:pointer;font-weight:600}button:disabled{opacity:.5}
`;

/** The dashboard page. */
export const dashboardHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Magpie cluster</title><link rel="stylesheet" href="/assets/dashboard.css"><style>${STYLE}</style></head>
<body><header><h1>Magpie cluster</h1><a href="/chat" id="chat-link">Open web chat →</a><span class="dim" id="updated">waiting for data…</span></header>
<main>
<section class="cards" id="cards"></section>
<section class="charts">
<div class="chart"><h3>Open connections</h3><div id="c-conn"></div></div>
<div class="chart"><h3>Messages / s and pushes / s</h3><div id="c-rate"></div></div>
<div class="chart"><h3>Latency (ms): send→ack and push, p50 / p99</h3><div id="c-lat"></div></div>
<div class="chart"><h3>Errors / s and store latency p99 (ms)</h3><div id="c-err"></div></div>
</section>
<h2>Registries</h2><table id="t-reg"></table>
<h2>Bridges</h2><table id="t-bridge"></table>
<h2>Handlers</h2><table id="t-handler"></table>
</main><script type="module" src="/assets/dashboard.js"></script></body></html>`;

/** The web chat page. */
export function chatHtml(devTokens: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Magpie chat</title><style>${STYLE}
.chat{display:grid;grid-template-columns:260px 1fr;gap:12px;height:calc(100vh - 90px)}
.side,.conv{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px;display:flex;flex-direction:column;gap:8px;min-height:0}
#convs{list-style:none;margin:0;padding:0;overflow:auto;flex:1}#convs li{padding:6px 8px;border-radius:6px;cursor:pointer}#convs li.sel{background:#24303c}
#msgs{flex:1;overflow:auto;display:flex;flex-direction:column;gap:6px}
.msg{max-width:70%;padding:6px 10px;border-radius:10px;background:#24303c;align-self:flex-start}.msg.mine{background:#1f4d78;align-self:flex-end}
.msg .who{font-size:11px;color:var(--dim)}form{display:flex;gap:6px;flex-wrap:wrap}form input{flex:1;min-width:0}#group-form input{flex-basis:100%}#login{max-width:420px;margin:40px auto;display:flex;flex-direction:column;gap:10px}
</style></head>
<body><header><h1>Magpie chat</h1><a href="/">← dashboard</a><span class="dim" id="state">signed out</span></header>
<main>
<div id="login" class="card">
<label>Your user id <input id="user" placeholder="alice" autocomplete="off"></label>
${devTokens ? "" : '<label>Token (dev tokens are off here; paste a JWT) <input id="token"></label>'}
<button id="signin">Sign in</button><div id="login-err" class="down"></div>
</div>
<div id="app" class="chat" hidden>
<div class="side">
<form id="dm-form"><input id="peer" placeholder="peer user id" autocomplete="off"><button>Chat</button></form>
<form id="group-form"><input id="group-title" placeholder="group title"><input id="group-members" placeholder="members: bob,carol"><button>New group</button></form>
<ul id="convs"></ul>
</div>
<div class="conv"><div id="conv-title" class="dim">pick a peer or a group</div><div id="msgs"></div>
<form id="send-form"><input id="text" placeholder="message" autocomplete="off" disabled><button id="send" disabled>Send</button></form></div>
</div>
</main><script type="module" src="/assets/chat.js"></script></body></html>`;
}
