// The demo page at /: subscribes with herald.js and shows what arrives. No other dependency.
// URL parameters (all optional): topic, transport (auto|ws|sse|poll), token, cursor (resume position),
// limit (events kept on the page, default 50).
import { Herald } from '/herald.js';

const params = new URLSearchParams(location.search);
const $ = id => document.getElementById(id);
const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 5000);

let herald = null;
let subscription = null;
let claims = null;
let subscribedTopic = null;

$('topic').value = params.get('topic') || 'public:demo';
const transportParam = params.get('transport');
if (['auto', 'ws', 'sse', 'poll'].includes(transportParam)) {
  document.querySelector(`input[name=transport][value=${transportParam}]`).checked = true;
}
$('events-caption').textContent = `newest first, last ${limit}`;

/** A token from ?token=, else a dev token (dev mode only: /dev/token answers 404 elsewhere), else none. */
async function obtainToken() {
  if (params.has('token')) return params.get('token') || null;
  try {
    const response = await fetch('/dev/token?sub=demo', { cache: 'no-store' });
    if (response.ok) return (await response.text()).trim();
  } catch (e) {
    // no dev endpoint: anonymous
  }
  return null;
}

function decodeClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch (e) {
    return null;
  }
}

function matches(pattern, topic) {
  return pattern === '*' || pattern === topic || (pattern.endsWith('*') && topic.startsWith(pattern.slice(0, -1)));
}

function mayEnqueue(queue) {
  return !!claims && Array.isArray(claims.enqueue) && claims.enqueue.some(p => matches(p, queue));
}

function mayPublish(topic) {
  return !!claims && Array.isArray(claims.publish) && claims.publish.some(p => matches(p, topic));
}

function time(ts) {
  const d = new Date(ts || Date.now());
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function preview(data) {
  const text = typeof data === 'string' ? JSON.stringify(data) : JSON.stringify(data ?? null);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Adds one entry at the top of the list (textContent only: event data never becomes markup). */
function prepend({ className, dataset, type, topic, id, ts, body }) {
  const li = document.createElement('li');
  li.className = className;
  Object.assign(li.dataset, dataset);
  const when = document.createElement('span');
  when.className = 'time';
  when.textContent = time(ts);
  const head = document.createElement('div');
  head.className = 'head';
  const badge = document.createElement('span');
  badge.className = 'type';
  badge.textContent = type;
  head.append(badge);
  if (topic) {
    const t = document.createElement('span');
    t.className = 'topic';
    t.textContent = topic;
    head.append(t);
  }
  if (id) {
    const i = document.createElement('span');
    i.className = 'id';
    i.textContent = id;
    head.append(i);
  }
  const data = document.createElement('div');
  data.className = 'data';
  data.textContent = body;
  li.append(when, head, data);
  const list = $('events');
  list.prepend(li);
  while (list.children.length > limit) list.lastElementChild.remove();
  $('empty').hidden = true;
}

function onEvent(event) {
  if (event.type === 'herald.join' || event.type === 'herald.leave') {
    prepend({ className: 'presence', dataset: { type: event.type }, type: event.type.slice(7), topic: event.topic,
      ts: event.ts, body: preview(event.data) });
  } else {
    prepend({ className: 'event', dataset: { id: event.id, topic: event.topic, type: event.type },
      type: event.type, topic: event.topic, id: event.id, ts: event.ts, body: preview(event.data) });
  }
  refresh();
}

function onReset(info) {
  prepend({ className: 'notice reset', dataset: { reason: info.reason || '', topics: info.topics.join(',') },
    type: 'reset', topic: info.topics.join(', '), ts: Date.now(),
    body: `${info.reason}: events may have been missed; an app reloads its state here` });
  refresh();
}

function onError(error) {
  prepend({ className: 'notice error', dataset: { code: error.code || 'error' }, type: 'refused',
    topic: subscribedTopic, ts: Date.now(), body: `${error.code}: ${error.message}` });
}

function refresh() {
  if (!herald) return;
  const s = herald.stats;
  const set = (id, value) => { $(id).textContent = String(value); $(id).dataset.count = String(value); };
  set('received', s.events);
  set('reconnects', s.reconnects);
  $('reconnects').dataset.native = String(s.nativeReconnects);
  set('duplicates', s.duplicates);
  set('resets', s.resets);
  $('cursor').textContent = (subscription && subscription.cursor) || '–';
  $('cursor').dataset.cursor = (subscription && subscription.cursor) || '';
}

function showStatus(status) {
  const pill = $('status');
  pill.dataset.state = status.state;
  pill.dataset.transport = status.transport;
  pill.dataset.code = status.code || '';
  pill.textContent = status.code ? `${status.state} · ${status.code}` : status.state;
  $('active-transport').textContent = { ws: 'WebSocket', sse: 'Server-Sent Events', poll: 'long polling' }[status.transport];
  $('active-transport').dataset.transport = status.transport;
  refresh();
}

function subscribe(token, cursor) {
  const topic = $('topic').value.trim();
  const transport = document.querySelector('input[name=transport]:checked').value;
  if (subscribedTopic !== topic) {
    // Another topic: start from the given cursor (first load) or live; the same topic keeps its place.
    $('events').replaceChildren();
    $('empty').hidden = false;
  } else if (subscription) {
    cursor = subscription.cursor;
  }
  if (herald) herald.close();
  herald = new Herald({ token, transport, visibleOnly: true });
  herald.onStatus(showStatus);
  subscription = herald.subscribe([topic], { cursor, onEvent, onReset, onError });
  subscribedTopic = topic;
  $('publish-card').hidden = !mayPublish(topic);
  refresh();
}

const JOB_QUEUE = 'demo:jobs';
let following = null;

/** The jobs panel: enqueues a job over HTTP, then follows it with herald.followJob to its result. */
async function submitJob(token) {
  const status = $('job-status');
  const show = s => {
    status.dataset.status = s.status;
    status.textContent = `${s.id}: ${s.status}${s.progressMessage ? ` (${s.progressMessage})` : ''}`;
    $('job-progress').value = s.progress;
  };
  $('job-progress').value = 0;
  $('job-result').textContent = '';
  const response = await fetch(`/v1/queues/${encodeURIComponent(JOB_QUEUE)}/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ type: 'render', data: { frames: 5, at: new Date().toISOString() } }),
  });
  if (response.status !== 202) {
    status.dataset.status = 'refused';
    status.textContent = `not enqueued: ${response.status}`;
    return;
  }
  const job = await response.json();
  if (following) following.close();
  following = herald.followJob(job.id, {
    onStatus: show,
    onDone: s => { show(s); $('job-result').textContent = preview(s.status === 'succeeded' ? s.result : s.error); },
  });
}

async function main() {
  const token = await obtainToken();
  claims = token ? decodeClaims(token) : null;
  $('identity').textContent = claims ? (claims.sub || claims.upn || 'token') : 'anonymous';
  subscribe(token, params.get('cursor'));
  $('subscribe-form').addEventListener('submit', e => {
    e.preventDefault();
    subscribe(token, null);
  });
  for (const radio of document.querySelectorAll('input[name=transport]')) {
    radio.addEventListener('change', () => subscribe(token, null));
  }
  $('jobs-card').hidden = !mayEnqueue(JOB_QUEUE);
  $('submit-job').addEventListener('click', () => submitJob(token));
  $('publish-form').addEventListener('submit', async e => {
    e.preventDefault();
    const result = $('publish-result');
    const raw = $('publish-data').value.trim();
    let data;
    try {
      data = raw === '' ? null : JSON.parse(raw);
    } catch (err) {
      data = raw; // not JSON: publish it as a string
    }
    try {
      const ack = await herald.publish(subscribedTopic, $('publish-type').value.trim() || 'message', data);
      result.dataset.ok = 'true';
      result.textContent = `published ${ack.id}`;
    } catch (err) {
      result.dataset.ok = 'false';
      result.textContent = `not published: ${err.code || 'error'} ${err.message || ''}`;
    }
  });
}

main();
