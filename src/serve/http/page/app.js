/* global document, window, fetch, EventSource, URLSearchParams, CSS, dagre */
// The page of `relspec watch` / `relspec ui`: plain DOM, no framework. Everything it shows comes from
// /api (docs in README "While it runs"); the token from the page's URL goes on every request.
'use strict';

const token = new URLSearchParams(window.location.search).get('token') ?? '';
const SVG = 'http://www.w3.org/2000/svg';
/** Task name → its current status on the page (what the node's color says). */
const shown = new Map();
let graphSignature = '';
let selected = null;

const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
const svgEl = (tag, attrs = {}) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), Authorization: `Bearer ${token}` } });
  const body = await res.json();
  if (!res.ok)
    throw new Error(
      body.error ? `${body.error.code} ${body.error.message}${body.error.fix ? ` — ${body.error.fix}` : ''}` : res.statusText,
    );
  return body;
}

/** The color a task gets from the state: failed and blocked first, then stale (never built, changes pending). */
function statusOf(s) {
  if (!s) return 'stale';
  if (s.lastStatus === 'failed' || s.lastStatus === 'blocked') return s.lastStatus;
  if (s.state === 'stale') return 'stale';
  return s.lastStatus ?? 'stale';
}

function setStatus(task, status) {
  shown.set(task, status);
  const node = document.querySelector(`.node.task[data-task="${CSS.escape(task)}"]`);
  if (node) {
    node.setAttribute('data-status', status);
    node.querySelector('title').textContent = `${task}: ${status}`;
  }
}

const LAYOUT_DAGRE_MAX = 300;

/** dagre's layered layout: nodes centred at (x, y), edges as point lists. */
function dagreLayout(nodes, links) {
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 50 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) layout.setNode(n.id, { ...n });
  for (const [f, t] of links) layout.setEdge(f, t);
  dagre.layout(layout);
  const { width = 0, height = 0 } = layout.graph();
  return { width, height, nodes: layout.nodes().map((id) => layout.node(id)), edges: layout.edges().map((e) => layout.edge(e).points) };
}

/**
 * Linear-time layers: a node's column is its longest path from a root, rows within a column follow
 * the mean row of its inputs (one barycenter pass), edges are straight lines. For graphs dagre is too slow for.
 */
function layeredLayout(nodes, links) {
  const byId = new Map(nodes.map((n) => [n.id, { ...n, rank: 0, row: 0, ins: [], outs: 0 }]));
  for (const [f, t] of links) {
    byId.get(t).ins.push(f);
    byId.get(f).outs++;
  }
  const indeg = new Map([...byId.values()].map((n) => [n.id, n.ins.length]));
  const outsOf = new Map();
  for (const [f, t] of links) outsOf.set(f, [...(outsOf.get(f) ?? []), t]);
  const queue = [...byId.values()].filter((n) => n.ins.length === 0).map((n) => n.id);
  const order = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    order.push(id);
    for (const t of outsOf.get(id) ?? []) {
      byId.get(t).rank = Math.max(byId.get(t).rank, byId.get(id).rank + 1);
      indeg.set(t, indeg.get(t) - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }
  const placed = new Set(order);
  for (const n of byId.values()) if (!placed.has(n.id)) order.push(n.id); // in a cycle: column 0
  const columns = [];
  for (const id of order) (columns[byId.get(id).rank] ??= []).push(byId.get(id));
  const rowH = 28 + 14;
  let x = 0;
  for (const col of columns) {
    if (!col) continue;
    const key = (n) => (n.ins.length ? n.ins.reduce((a, f) => a + byId.get(f).row, 0) / n.ins.length : n.row);
    col.sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : 1));
    const w = Math.max(...col.map((n) => n.width));
    col.forEach((n, i) => {
      n.row = i;
      n.x = x + n.width / 2;
      n.y = i * rowH + 14;
    });
    x += w + 60;
  }
  const laid = [...byId.values()];
  const edges = links.map(([f, t]) => {
    const a = byId.get(f);
    const b = byId.get(t);
    return [
      { x: a.x + a.width / 2, y: a.y },
      { x: b.x - b.width / 2, y: b.y },
    ];
  });
  return { width: x, height: Math.max(0, ...laid.map((n) => n.y + 14)), nodes: laid, edges };
}

/** Tasks and sources as nodes; an output is folded into the task that produces it. */
function drawGraph(g) {
  const svg = document.getElementById('graph');
  svg.replaceChildren();
  const producers = new Map();
  for (const e of g.edges) if (e.kind === 'produces') producers.set(e.to, [...(producers.get(e.to) ?? []), e.from]);
  const label = (n) => (n.kind === 'task' ? n.name : `▣ ${n.name}`);
  const nodes = g.nodes
    .filter((n) => n.kind !== 'output')
    .map((n) => ({ id: n.id, width: Math.max(80, label(n).length * 7 + 20), height: 28, node: n }));
  const ids = new Set(nodes.map((n) => n.id));
  const links = [];
  for (const e of g.edges) {
    if (e.kind !== 'requires') continue;
    const froms = e.from.startsWith('output:') ? (producers.get(e.from) ?? []) : [e.from];
    for (const f of froms) if (ids.has(f) && ids.has(e.to)) links.push([f, e.to]);
  }
  // dagre draws small graphs well; at ~1k nodes its layout takes seconds to tens of seconds (bench/page.ts),
  // so a large graph gets a linear-time layered layout instead.
  const laid = nodes.length <= LAYOUT_DAGRE_MAX ? dagreLayout(nodes, links) : layeredLayout(nodes, links);
  const { width, height } = laid;
  svg.setAttribute('width', width + 20);
  svg.setAttribute('height', height + 20);
  const defs = svgEl('defs');
  const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' });
  marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#888' }));
  defs.append(marker);
  svg.append(defs);
  const root = svgEl('g', { transform: 'translate(10,10)' });
  svg.append(root);
  for (const pts of laid.edges) {
    root.append(svgEl('path', { class: 'edge', d: pts.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ') }));
  }
  for (const { x, y, width: w, height: h, node } of laid.nodes) {
    const grp = svgEl('g', { class: `node ${node.kind}`, transform: `translate(${x - w / 2},${y - h / 2})` });
    grp.append(svgEl('title'), svgEl('rect', { width: w, height: h }));
    const text = svgEl('text', { x: 10, y: h / 2 + 4 });
    text.textContent = label(node);
    grp.append(text);
    if (node.kind === 'task') {
      grp.setAttribute('data-task', node.name);
      grp.addEventListener('click', () => void showTask(node.name));
    } else grp.querySelector('title').textContent = `source ${node.name}`;
    root.append(grp);
  }
  for (const n of g.nodes) if (n.kind === 'task') setStatus(n.name, shown.get(n.name) ?? 'stale');
}

async function loadGraph() {
  const g = await api('/api/graph');
  if (g.signature !== graphSignature) {
    graphSignature = g.signature;
    drawGraph(g);
  }
  for (const n of g.nodes) if (n.kind === 'task') setStatus(n.name, statusOf(g.status[n.name]));
  for (const t of g.running) setStatus(t, 'running');
  if (selected) void showTask(selected, false);
}

/** The task's declared output schema and unique keys (`-- @contract`, `-- @unique`), when it has them. */
function contractSection(c) {
  if (!c) return [];
  const list = el('ul', { id: 'contract' });
  for (const col of c.columns ?? []) list.append(el('li', {}, `${col.name} ${col.type}${col.notNull ? ' NOT NULL' : ''}`));
  for (const key of c.unique ?? []) list.append(el('li', {}, `unique (${key.join(', ')})`));
  return [el('h2', {}, 'Contract'), list];
}

async function showTask(name, scroll = true) {
  selected = name;
  for (const n of document.querySelectorAll('.node.selected')) n.classList.remove('selected');
  document.querySelector(`.node.task[data-task="${CSS.escape(name)}"]`)?.classList.add('selected');
  const pane = document.getElementById('details');
  try {
    const [t, w] = await Promise.all([
      api(`/api/tasks/${encodeURIComponent(name)}`),
      api(`/api/why/${encodeURIComponent(name)}?format=text`),
    ]);
    const inputs = el('ul', { id: 'inputs' });
    for (const i of t.inputs)
      inputs.append(el('li', {}, `${i.name}: ${i.columns ? i.columns.join(', ') || '(row count only)' : '(columns unknown)'}`));
    pane.replaceChildren(
      el('h2', {}, `${t.task} → ${t.output}`),
      el('p', {}, t.file),
      el('h2', {}, 'Why'),
      el('pre', { id: 'why' }, w.lines.join('\n')),
      el('h2', {}, 'Inputs and the columns it reads'),
      inputs,
      ...contractSection(t.contract),
      el('h2', {}, 'SQL'),
      el('pre', { id: 'sql' }, t.sql),
    );
    if (scroll) pane.scrollTop = 0;
  } catch (e) {
    pane.replaceChildren(el('h2', {}, name), el('p', { class: 'error' }, String(e.message)));
  }
}

const seconds = (ms) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)}s`);

async function loadRuns() {
  const { runs } = await api('/api/runs?limit=30');
  const table = document.getElementById('runs');
  const head = el('tr');
  for (const h of ['run', 'status', 'trigger', 'started', 'duration', 'built', 'skipped', 'failed', 'blocked'])
    head.append(el('th', {}, h));
  const rows = runs.map((r) => {
    const tr = el('tr', { 'data-run': String(r.runId) });
    const s = r.summary ?? {};
    for (const v of [
      r.runId,
      r.status,
      r.trigger,
      r.startedAt.replace('T', ' ').slice(0, 19),
      r.status === 'running' ? 'running' : seconds(r.durationMs),
      s.built ?? '-',
      s.skipped ?? '-',
      s.failed ?? '-',
      s.blocked ?? '-',
    ])
      tr.append(el('td', {}, String(v)));
    return tr;
  });
  table.replaceChildren(head, ...rows);
}

async function runQuery(ev) {
  ev.preventDefault();
  const out = document.getElementById('query-result');
  const meta = document.getElementById('query-meta');
  meta.textContent = 'running…';
  try {
    const r = await api('/api/query', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: document.getElementById('query-sql').value, limit: 200 }),
    });
    const table = el('table');
    const head = el('tr');
    for (const c of r.columns) head.append(el('th', { title: c.type }, c.name));
    table.append(head);
    for (const row of r.rows) {
      const tr = el('tr');
      for (const v of row) tr.append(el('td', {}, v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v)));
      table.append(tr);
    }
    out.replaceChildren(table);
    meta.textContent = `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ' (more not shown)' : ''}${r.asOfRun !== null ? `, as of run ${r.asOfRun}` : ''}${r.running ? ', a run is in progress' : ''}`;
  } catch (e) {
    out.replaceChildren();
    meta.textContent = String(e.message);
    meta.className = 'error';
    return;
  }
  meta.className = '';
}

function listen() {
  const state = document.getElementById('run-state');
  const events = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  events.addEventListener('hello', (m) => {
    const now = JSON.parse(m.data);
    state.textContent = now.run ? `running (${now.run})` : 'idle';
    for (const t of now.running) setStatus(t, 'running');
  });
  events.addEventListener('run_started', (m) => {
    state.textContent = `running (${JSON.parse(m.data).trigger})`;
  });
  events.addEventListener('task_started', (m) => setStatus(JSON.parse(m.data).task, 'running'));
  events.addEventListener('task_finished', (m) => {
    const e = JSON.parse(m.data);
    setStatus(e.task, e.status);
    if (e.task === selected) void showTask(selected, false);
  });
  events.addEventListener('run_finished', (m) => {
    const e = JSON.parse(m.data);
    state.textContent = `idle — run ${e.runId} ${e.status} in ${seconds(e.durationMs)}`;
    // A run may have added or removed tasks, and settles stale/pending states: reread both.
    void loadGraph().catch(showError);
    void loadRuns().catch(showError);
  });
  events.onerror = () => {
    state.textContent = 'disconnected — retrying';
  };
}

function showError(e) {
  document.getElementById('run-state').textContent = String(e.message ?? e);
}

document.getElementById('query-form').addEventListener('submit', (ev) => void runQuery(ev));
Promise.all([loadGraph(), loadRuns()])
  .then(() => document.body.setAttribute('data-loaded', 'true'))
  .catch(showError);
listen();
