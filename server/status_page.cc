#include "server/status_page.h"

namespace fleetcast {

// clang-format off
const std::string_view kStatusPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fleetcast</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1em 2em; color: #222; }
  header { display: flex; gap: 1em; align-items: baseline; }
  h1 { margin: 0; font-size: 1.4em; }
  h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #ddd; white-space: nowrap; }
  td.reason { white-space: normal; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  progress { width: 10em; vertical-align: middle; }
  #error { background: #fdd; border: 1px solid #c00; padding: .4em .8em; }
  #connection.live { color: #070; }
  #connection.down { color: #c00; }
  #totals { display: flex; flex-wrap: wrap; gap: .3em 2em; margin: 0; }
  #totals dt { font-weight: 600; }
  #totals dd { margin: 0 0 0 .3em; }
  #totals div { display: flex; }
  #netcheck-plot { max-width: 100%; height: auto; }
  td.state { font-weight: 600; border-radius: 3px; }
  tr[data-state] td.state { background: #eee; }
  tr[data-state="receiving"] td.state, tr[data-state="writing"] td.state { background: #cde4ff; }
  tr[data-state="verifying"] td.state, tr[data-state="booting"] td.state { background: #d9f2f2; }
  tr[data-state="done"] td.state, tr[data-state="up"] td.state { background: #c8efc8; }
  tr[data-state="held"] td.state, tr[data-state="waiting"] td.state,
  tr[data-state="slow"] td.state { background: #ffecb3; }
  tr[data-state="failed"] td.state, tr[data-state="error"] td.state,
  tr[data-state="lost"] td.state { background: #ffc9c9; }
</style>
</head>
<body>
<header>
  <h1>fleetcast</h1>
  <span id="session"></span>
  <span id="connection">connecting&hellip;</span>
</header>
<form id="token-form">
  <label>Operator token <input id="token" type="password" autocomplete="off"></label>
  <button id="save-token" type="submit">Use token</button>
  <span id="token-state"></span>
  <button id="start-now" type="button">Start now</button>
</form>
<p id="error" role="alert" hidden></p>
<h2>Totals</h2>
<dl id="totals"></dl>
<h2>Groups</h2>
<table id="groups">
  <thead><tr><th>Boot order</th><th>Group</th><th>Waits for</th><th>Held</th><th></th></tr></thead>
  <tbody></tbody>
</table>
<h2>Nodes</h2>
<table id="nodes">
  <thead><tr><th>Hostname</th><th>Node</th><th>Group</th><th>State</th><th>Progress</th>
    <th>MB/s</th><th>Loss</th><th title="chunks its disk already held / chunks written">Reused / written</th>
    <th>Forged</th><th>Elapsed</th><th>Reason</th><th></th></tr></thead>
  <tbody></tbody>
</table>
<section id="netcheck" hidden>
  <h2>Netcheck</h2>
  <img id="netcheck-plot" alt="netcheck: loss against offered rate per receiver">
  <pre id="netcheck-table"></pre>
</section>
<script>
'use strict';
// Live view of the deployment: every snapshot from /api/events replaces what
// is shown; rows are kept (keyed by node and group) so buttons stay put.
const TOKEN_KEY = 'fleetcast-operator-token';
const $ = (selector) => document.querySelector(selector);
let updates = 0;

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

function showToken() {
  $('#token-state').textContent = token() ? 'token set' : 'no token: actions need one';
}

function showError(message) {
  $('#error').textContent = message;
  $('#error').hidden = !message;
}

async function act(path) {
  if (!token()) {
    showError('Enter the operator token first.');
    $('#token').focus();
    return;
  }
  try {
    const res = await fetch(path, {method: 'POST', headers: {Authorization: 'Bearer ' + token()}});
    if (res.ok) return showError('');
    let message = res.status + ' ' + res.statusText;
    try { message = (await res.json()).error || message; } catch (e) { /* not JSON */ }
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showToken();
    }
    showError(message);
  } catch (e) {
    showError('request failed: ' + e.message);
  }
}

function text(value) { return value === undefined || value === null || value === '' ? '\u2014' : String(value); }
function fixed(value, digits) { return typeof value === 'number' ? value.toFixed(digits) : text(value); }
function percent(value) { return typeof value === 'number' ? (100 * value).toFixed(1) + ' %' : text(value); }
function duration(seconds) {
  if (typeof seconds !== 'number') return text(seconds);
  const s = Math.floor(seconds);
  const pad = (n) => String(n).padStart(2, '0');
  return Math.floor(s / 3600) + ':' + pad(Math.floor(s / 60) % 60) + ':' + pad(s % 60);
}
// "reused / written" chunks, once the node's client said them in its `done`.
function chunks(n) {
  const known = typeof n.chunks_reused === 'number' && typeof n.chunks_written === 'number';
  return known ? n.chunks_reused + ' / ' + n.chunks_written : '\u2014';
}
function list(value) { return Array.isArray(value) ? (value.length ? value.join(', ') : '\u2014') : text(value); }
function describe(value) {
  if (value === null || typeof value !== 'object') return text(value);
  return Object.entries(value).map(([k, v]) => k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ');
}

// The row of `tbody` whose data-<key> is `id`, made with one td per class.
function row(tbody, key, id, classes, make) {
  let tr = Array.from(tbody.rows).find((r) => r.dataset[key] === id);
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset[key] = id;
    for (const c of classes) {
      const td = document.createElement('td');
      td.className = c;
      tr.appendChild(td);
    }
    make(tr);
  }
  tbody.appendChild(tr);  // moves it into the snapshot's order
  return tr;
}

function button(td, cls, label, onclick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = label;
  b.addEventListener('click', onclick);
  td.appendChild(b);
}

function dropOthers(tbody, key, ids) {
  for (const tr of Array.from(tbody.rows)) if (!ids.has(tr.dataset[key])) tr.remove();
}

const NODE_CELLS = ['hostname', 'node', 'group', 'state', 'progress', 'mbps num', 'loss num',
                    'chunks num', 'forged num', 'elapsed num', 'reason', 'actions'];

function renderNode(tbody, n) {
  const id = String(n.node);
  const tr = row(tbody, 'node', id, NODE_CELLS, (r) => {
    r.querySelector('.progress').append(document.createElement('progress'), ' ',
                                        document.createElement('span'));
    button(r.querySelector('.actions'), 'release', 'Release',
           () => act('/api/nodes/' + encodeURIComponent(id) + '/release'));
  });
  tr.dataset.state = n.state || '';
  tr.querySelector('.hostname').textContent = text(n.hostname);
  tr.querySelector('.node').textContent = id;
  tr.querySelector('.group').textContent = text(n.group);
  tr.querySelector('.state').textContent = text(n.state);
  tr.querySelector('.progress progress').value = typeof n.progress === 'number' ? n.progress : 0;
  tr.querySelector('.progress span').textContent = percent(n.progress);
  tr.querySelector('.mbps').textContent = fixed(n.mbps, 1);
  tr.querySelector('.loss').textContent = percent(n.loss);
  tr.querySelector('.chunks').textContent = chunks(n);
  // Datagrams of the session whose tag failed: someone else sends to the group.
  tr.querySelector('.forged').textContent = typeof n.forged === 'number' ? String(n.forged) : '';
  tr.querySelector('.elapsed').textContent = duration(n.seconds);
  tr.querySelector('.reason').textContent = n.reason || '';
}

const GROUP_CELLS = ['boot-order num', 'name', 'waiting-for', 'held', 'actions'];

function renderGroup(tbody, g, bootOrder) {
  const name = String(g.name);
  const tr = row(tbody, 'group', name, GROUP_CELLS, (r) => {
    button(r.querySelector('.actions'), 'hold', 'Hold', () => {
      const verb = r.dataset.held === 'true' ? 'release-hold' : 'hold';
      act('/api/groups/' + encodeURIComponent(name) + '/' + verb);
    });
  });
  tr.dataset.held = String(!!g.held);
  tr.querySelector('.boot-order').textContent = text(g.boot_order ?? bootOrder.get(name));
  tr.querySelector('.name').textContent = name;
  tr.querySelector('.waiting-for').textContent = list(g.waiting_for);
  tr.querySelector('.held').textContent = g.held ? 'held' : '';
  tr.querySelector('.hold').textContent = g.held ? 'Unhold' : 'Hold';
}

function renderTotals(totals) {
  const dl = $('#totals');
  dl.replaceChildren();
  for (const [key, value] of Object.entries(totals || {})) {
    const div = document.createElement('div');
    div.dataset.total = key;
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = key;
    dd.textContent = describe(value);
    div.append(dt, dd);
    dl.appendChild(div);
  }
}

// serve --netcheck: the check's plot and table, once it ran (it runs once).
function renderNetcheck(state) {
  if (!state.netcheck || !$('#netcheck').hidden) return;
  $('#netcheck-plot').src = '/netcheck.svg';
  $('#netcheck-table').textContent = state.netcheck_table || '';
  $('#netcheck').hidden = false;
}

function render(state) {
  const nodes = state.nodes || [];
  const groups = state.groups || [];
  const bootOrder = new Map();  // a group's boot order, from its nodes if it has none
  for (const n of nodes) if (n.group !== undefined && !bootOrder.has(n.group)) bootOrder.set(n.group, n.boot_order);
  $('#session').textContent = describe(state.session);
  const nodeBody = $('#nodes tbody');
  for (const n of nodes) renderNode(nodeBody, n);
  dropOthers(nodeBody, 'node', new Set(nodes.map((n) => String(n.node))));
  const groupBody = $('#groups tbody');
  for (const g of groups) renderGroup(groupBody, g, bootOrder);
  dropOthers(groupBody, 'group', new Set(groups.map((g) => String(g.name))));
  renderTotals(state.totals);
  renderNetcheck(state);
  document.body.dataset.updates = String(++updates);
}

function connect() {
  const events = new EventSource('/api/events');
  const status = $('#connection');
  events.onopen = () => { status.textContent = 'live'; status.className = 'live'; };
  events.onerror = () => { status.textContent = 'disconnected; retrying'; status.className = 'down'; };
  events.onmessage = (e) => {
    try { render(JSON.parse(e.data)); } catch (err) { showError('bad update: ' + err.message); }
  };
}

$('#token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('#token').value.trim();
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  $('#token').value = '';
  showToken();
  showError('');
});
$('#start-now').addEventListener('click', () => act('/api/start-now'));
showToken();
connect();
</script>
</body>
</html>
)html";
// clang-format on

}  // namespace fleetcast
