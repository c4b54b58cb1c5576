// Herald admin page (/admin): live charts fed by /admin/stream (Server-Sent Events, one snapshot a
// second), a topic inspector and a live tail through the public API. Plain canvas, no dependencies.
// The page holds no data of its own: everything comes with the admin token (the herald_token cookie,
// or ?access_token=... on the page's address, which is taken and then removed from the address bar).
'use strict';

(() => {
  const WINDOW = 60; // seconds of history per chart
  const COLORS = { sse: '#3b5bdb', ws: '#2b8a3e', poll: '#e67700', p50: '#3b5bdb', p99: '#c92a2a', rate: '#3b5bdb' };

  const params = new URLSearchParams(location.search);
  const token = params.get('access_token');
  if (token) {
    params.delete('access_token');
    history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : ''));
  }
  const withToken = (url) => token ? url + (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token) : url;
  const authHeaders = () => token ? { Authorization: 'Bearer ' + token } : {};

  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };

  // ---- charts ----

  /** A line chart on a canvas: named series of numbers (null = no value), the newest on the right. */
  class Chart {
    constructor(canvas, series) {
      this.canvas = canvas;
      this.series = Object.fromEntries(series.map((s) => [s, []]));
      this.updates = 0;
    }

    push(values) {
      for (const [name, points] of Object.entries(this.series)) {
        points.push(values[name] ?? null);
        if (points.length > WINDOW) points.shift();
      }
      this.updates++;
      // For people (the legend) and for the browser test: the latest values and how often they changed.
      this.canvas.dataset.last = JSON.stringify(values);
      this.canvas.dataset.updates = String(this.updates);
      this.draw();
    }

    draw() {
      const c = this.canvas;
      const ratio = window.devicePixelRatio || 1;
      const w = c.clientWidth || 360, h = c.clientHeight || 140;
      if (c.width !== Math.round(w * ratio)) { c.width = Math.round(w * ratio); c.height = Math.round(h * ratio); }
      const g = c.getContext('2d');
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, w, h);
      const all = Object.values(this.series).flat().filter((v) => v !== null && Number.isFinite(v));
      const max = niceMax(all.length ? Math.max(...all) : 0);
      const left = 40, right = 8, top = 8, bottom = 18;
      const plotW = w - left - right, plotH = h - top - bottom;
      g.font = '10px system-ui, sans-serif';
      g.fillStyle = '#6b7383';
      g.strokeStyle = '#e3e6eb';
      g.lineWidth = 1;
      for (let i = 0; i <= 2; i++) {
        const y = top + plotH * (1 - i / 2);
        g.beginPath(); g.moveTo(left, y); g.lineTo(left + plotW, y); g.stroke();
        g.fillText(format(max * i / 2), 2, y + 3);
      }
      g.fillText('-' + WINDOW + 's', left, h - 4);
      g.fillText('now', left + plotW - 18, h - 4);
      let legendX = left + 4;
      for (const [name, points] of Object.entries(this.series)) {
        g.strokeStyle = COLORS[name] || '#3b5bdb';
        g.lineWidth = 1.6;
        g.fillStyle = COLORS[name] || '#3b5bdb';
        g.beginPath();
        let drawing = false;
        const valid = (v) => v !== null && v !== undefined && Number.isFinite(v);
        points.forEach((v, i) => {
          if (!valid(v)) { drawing = false; return; }
          const x = left + plotW * (i + WINDOW - points.length) / (WINDOW - 1);
          const y = top + plotH * (1 - (max ? v / max : 0));
          if (drawing) g.lineTo(x, y); else g.moveTo(x, y);
          drawing = true;
          if (!valid(points[i - 1]) && !valid(points[i + 1])) g.fillRect(x - 1.5, y - 1.5, 3, 3); // a lone value
        });
        g.stroke();
        const last = points[points.length - 1];
        const label = Object.keys(this.series).length > 1 || name !== 'rate' ? name + ' ' + format(last) : format(last);
        g.fillStyle = COLORS[name] || '#3b5bdb';
        g.fillText(label, legendX, top + 10);
        legendX += g.measureText(label).width + 12;
      }
    }
  }

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function format(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    if (Math.abs(v) >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + 'k';
    return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  }

  const charts = {};
  for (const scope of ['node', 'cluster']) {
    charts[scope] = {
      connections: new Chart($(scope + '-connections'), ['sse', 'ws', 'poll']),
      deliveries: new Chart($(scope + '-deliveries'), ['rate']),
      publishes: new Chart($(scope + '-publishes'), ['rate']),
      latency: new Chart($(scope + '-latency'), ['p50', 'p99']),
    };
  }

  function plot(scope, figures) {
    charts[scope].connections.push(figures.connections);
    charts[scope].deliveries.push({ rate: figures.deliveries });
    charts[scope].publishes.push({ rate: figures.publishes });
    charts[scope].latency.push({ p50: figures.p50, p99: figures.p99 });
  }

  const figuresOf = (s) => ({
    connections: { sse: s.connections.sse || 0, ws: s.connections.ws || 0, poll: s.connections.poll || 0 },
    deliveries: s.deliveriesPerSecond, publishes: s.publishesPerSecond,
    p50: s.latencyP50Millis, p99: s.latencyP99Millis,
  });

  /** The cluster: sums over the nodes; latency is the worst node's (quantiles do not add up). */
  function clusterFigures(nodes) {
    const sum = { connections: { sse: 0, ws: 0, poll: 0 }, deliveries: 0, publishes: 0, p50: null, p99: null };
    for (const n of nodes) {
      for (const t of ['sse', 'ws', 'poll']) sum.connections[t] += n.connections[t] || 0;
      sum.deliveries += n.deliveriesPerSecond;
      sum.publishes += n.publishesPerSecond;
      if (n.latencyP50Millis !== null) sum.p50 = Math.max(sum.p50 ?? 0, n.latencyP50Millis);
      if (n.latencyP99Millis !== null) sum.p99 = Math.max(sum.p99 ?? 0, n.latencyP99Millis);
    }
    return sum;
  }

  // ---- tables ----

  function renderNodes(snapshot) {
    const body = $('nodes').tBodies[0];
    body.replaceChildren();
    for (const n of snapshot.nodes) {
      const row = el('tr');
      const name = el('td');
      name.append(el('code', n.node), ' ', el('span', n.instance === snapshot.self.instance ? '(this node)' : n.instance, 'muted'));
      const state = el('td');
      const pill = el('span', n.draining ? 'draining' : n.brokerAvailable ? 'ready' : 'broker down', 'pill');
      pill.dataset.state = n.draining ? 'draining' : n.brokerAvailable ? 'up' : 'down';
      state.append(pill);
      const connections = (n.connections.sse || 0) + (n.connections.ws || 0) + (n.connections.poll || 0);
      const age = Math.max(0, Math.round((snapshot.at - n.at) / 1000));
      row.append(name, el('td', n.version), el('td', n.broker), state, el('td', connections, 'num'),
        el('td', format(n.deliveriesPerSecond), 'num'), el('td', age + 's ago', 'num'));
      row.dataset.node = n.node;
      row.dataset.draining = String(n.draining);
      body.append(row);
    }
  }

  function renderTopics(nodes) {
    const totals = new Map();
    for (const n of nodes) for (const t of n.topics || []) totals.set(t.topic, (totals.get(t.topic) || 0) + t.subscriptions);
    const top = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
    const body = $('topics').tBodies[0];
    body.replaceChildren();
    if (!top.length) body.append(rowOf(el('td', 'no subscriptions', 'muted')));
    for (const [topic, count] of top) {
      const inspect = el('button', 'inspect', 'link');
      inspect.type = 'button';
      inspect.addEventListener('click', () => { $('topic').value = topic; inspectTopic(topic); });
      const action = el('td');
      action.append(inspect);
      body.append(rowOf(codeCell(topic), el('td', count, 'num'), action));
    }
  }

  const rowOf = (...cells) => { const r = el('tr'); r.append(...cells); return r; };
  const codeCell = (text) => { const td = el('td'); td.append(el('code', text)); return td; };

  // ---- the feed ----

  function connect() {
    const feed = new EventSource(withToken('/admin/stream'));
    feed.onopen = () => { $('feed').dataset.state = 'open'; $('feed').textContent = 'live'; };
    feed.onerror = () => { $('feed').dataset.state = 'connecting'; $('feed').textContent = 'reconnecting'; };
    feed.onmessage = (message) => {
      const snapshot = JSON.parse(message.data);
      const self = snapshot.self;
      $('self-name').textContent = self.node;
      $('self-detail').textContent = `${self.instance} · ${self.version} · ${self.broker} broker · `
        + `${self.subscriptions} subscriptions · ${self.presenceMembers} presence members`;
      $('broker').dataset.state = self.draining ? 'draining' : self.brokerAvailable ? 'up' : 'down';
      $('broker').textContent = self.draining ? 'draining' : 'broker ' + (self.brokerAvailable ? 'up' : 'down');
      $('cluster-detail').textContent = snapshot.nodes.length + ' node(s) seen through the broker'
        + (snapshot.clusterError ? ' · ' + snapshot.clusterError : '');
      plot('node', figuresOf(self));
      plot('cluster', clusterFigures(snapshot.nodes));
      renderNodes(snapshot);
      renderTopics(snapshot.nodes);
    };
  }

  // ---- topic inspector and live tail ----

  let tail = null;

  function eventItem(e) {
    const li = el('li');
    if (e.type === undefined) { li.append(el('span', JSON.stringify(e), 'muted')); return li; } // a notice (reset)
    li.append(el('code', e.id), ' ', el('strong', e.type), ' ', el('span', JSON.stringify(e.data)));
    return li;
  }

  async function inspectTopic(topic) {
    $('inspect-status').textContent = 'reading ' + topic + '…';
    const list = $('history');
    list.replaceChildren();
    try {
      // History comes oldest first after a position: page through to the newest and keep the last 20.
      let after = '', recent = [];
      for (let page = 0; page < 10; page++) {
        const r = await fetch(`/v1/topics/${encodeURIComponent(topic)}/events?limit=1000${after ? '&after=' + after : ''}`,
          { headers: authHeaders(), credentials: 'same-origin' });
        const body = await r.json();
        if (!r.ok) throw new Error(body.detail || body.title || r.status);
        recent = recent.concat(body.events).slice(-20);
        if (body.events.length < 1000) break;
        after = body.events[body.events.length - 1].id;
      }
      if (!recent.length) list.append(el('li', 'no retained events', 'muted'));
      for (const e of recent.reverse()) list.append(eventItem(e));
      $('inspect-status').textContent = recent.length + ' recent event(s), newest first';
    } catch (e) {
      $('inspect-status').textContent = 'history: ' + e.message;
    }
    const presence = $('presence');
    try {
      const r = await fetch(`/v1/topics/${encodeURIComponent(topic)}/presence`, { headers: authHeaders(), credentials: 'same-origin' });
      const body = await r.json();
      presence.textContent = r.ok ? `${body.connections} connection(s): ${body.users.join(', ') || 'nobody'}`
        : (body.detail || body.title);
    } catch (e) {
      presence.textContent = e.message;
    }
  }

  function follow(topic) {
    if (tail) { tail.close(); tail = null; }
    const list = $('tail');
    list.replaceChildren();
    $('follow').textContent = 'Stop following';
    $('follow').dataset.following = topic;
    tail = new EventSource(withToken(`/v1/stream?named=false&topic=${encodeURIComponent(topic)}`));
    tail.onmessage = (message) => {
      if (!message.data) return;
      list.prepend(eventItem(JSON.parse(message.data)));
      while (list.children.length > 100) list.lastChild.remove();
    };
  }

  function unfollow() {
    if (tail) { tail.close(); tail = null; }
    $('follow').textContent = 'Follow live';
    delete $('follow').dataset.following;
  }

  $('inspect').addEventListener('submit', (e) => { e.preventDefault(); inspectTopic($('topic').value.trim()); });
  $('follow').addEventListener('click', () => {
    if ($('follow').dataset.following) { unfollow(); return; }
    if (!$('inspect').reportValidity()) return;
    follow($('topic').value.trim());
  });
  window.addEventListener('resize', () => Object.values(charts).forEach((s) => Object.values(s).forEach((c) => c.draw())));

  connect();
})();
