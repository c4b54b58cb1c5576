/**
 * herald.js — the browser client of Herald, served by every Herald node at /herald.js.
 * One ES module, no dependencies.
 *
 *   import { Herald } from 'https://herald.example.com/herald.js';
 *   const herald = new Herald({ url: 'https://herald.example.com', token: () => myToken() });
 *   const sub = herald.subscribe(['room:general'], {
 *     onEvent(event, cursor) { render(event); save(cursor); },
 *     onReset({ topics, reason }) { reloadFromMyBackend(topics); },
 *   });
 *   herald.onStatus(s => showStatus(s.state));          // connecting, open, reconnecting, paused, error, closed
 *   await herald.publish('room:general', 'chat', { text: 'hi' });
 *   herald.followJob(jobId, { onProgress: p => bar(p), onDone: job => show(job.result) });
 *   herald.close();                                        // releases sockets, timers and listeners
 *
 * Transports: 'ws' (WebSocket, /v1/ws), 'sse' (EventSource, /v1/stream) and 'poll' (long polling,
 * /v1/poll); 'auto' tries them in that order and falls back to the next one when a transport fails
 * to open `fallbackAfter` times before it ever opened while the server is reachable (a poll with
 * timeout=0 is answered: the transport is blocked on the way, by a proxy). Failures while the server
 * is down, restarting or draining do not count. Once a transport has opened, herald.js stays on it and
 * reconnects. After a fallback, every `upgradeAfter` ms it tries the preferred transports again and
 * moves back to the first that opens, each subscription resuming from its cursor.
 *
 * Connections: the WebSocket carries every subscription over one socket. SSE and long polling hold
 * one HTTP request per subscription, and a browser allows only 6 connections per origin over
 * HTTP/1.1: with 6 such subscriptions (fewer when the page makes other requests to that origin) the
 * next ones do not open and publish() waits behind them. Serve Herald over HTTP/2, or subscribe to
 * several topics in one subscribe() call (one connection, one cursor for all of them).
 *
 * Guarantees kept here, on every transport:
 * - every delivery moves the subscription's cursor; every reconnect resumes from it, so no event is
 *   skipped; events whose id is not newer than the last one seen for their topic are dropped, so none
 *   is handed to the app twice;
 * - `herald.reset` (the cursor was older than the retained history, or unreadable) reaches onReset:
 *   the app reloads its state from its own source of truth;
 * - reconnects back off exponentially with full jitter, capped; a server-given delay (SSE retry:,
 *   WebSocket 1001 retry=, poll Retry-After) is honoured;
 * - close() leaves no timer, socket, request or listener behind.
 *
 * Over SSE herald.js asks for unnamed frames (`named=false`): EventSource hands a named event only to a
 * listener for that very name, so every event comes through onmessage and its type is read from the
 * envelope; Herald's own notices (herald.reset, herald.shutdown, herald.token-expired) stay named.
 */

const TRANSPORTS = ['ws', 'sse', 'poll'];

/** ms: a connection the server ends sooner than this on purpose (token expired) reconnects with backoff. */
const SHORT_LIVED = 5000;
/** ms: a long poll the server answers empty sooner than this was not held (token expiring, node draining). */
const SHORT_HOLD = 1000;

const DEFAULTS = Object.freeze({
  url: undefined,            // Herald's base URL; default: the page's origin
  token: null,               // a JWT, or a function (sync or async) returning one (called on every connect)
  transport: 'auto',         // 'auto' | 'ws' | 'sse' | 'poll'
  visibleOnly: false,        // connect only while the page is visible (Page Visibility API)
  backoff: { base: 500, cap: 30000 },
  healthyAfter: 10000,       // ms a connection must stay open before the backoff starts over
  fallbackAfter: 2,          // failed opens (with the server reachable) before 'auto' moves to the next transport
  upgradeAfter: 300000,      // ms after a fallback before 'auto' tries the preferred transports again (0: never)
  openTimeout: 10000,        // ms a connection attempt may take before it counts as failed
  pollTimeout: 25,           // s the server may hold a long poll
  pingInterval: 25000,       // ms between WebSocket pings (0: none); no pong within 10 s drops the socket
  requestTimeout: 10000,     // ms a WebSocket publish waits for its ack
  withCredentials: false,    // send cookies cross-origin (herald_token cookie auth)
});

/**
 * An error with Herald's error code: unauthorized, forbidden, invalid, rate-limited, unavailable,
 * outcome-unknown, network, timeout, disconnected, closed. `retryable` is true when the same call may
 * succeed later; for a publish, retry with the same idempotencyKey (it is then stored once).
 */
export class HeraldError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.name = 'HeraldError';
    this.code = code;
    this.retryable = RETRYABLE.has(code);
    if (status !== undefined) this.status = status;
  }
}

/**
 * Codes after which the same call may succeed. After outcome-unknown (Redis did not answer in time),
 * network, timeout and disconnected a publish may or may not have been stored; after unavailable and
 * rate-limited it was not.
 */
const RETRYABLE = new Set(['unavailable', 'rate-limited', 'outcome-unknown', 'network', 'timeout', 'disconnected']);

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^attempt)). */
class Backoff {
  constructor({ base, cap }) {
    this.base = base;
    this.cap = cap;
    this.attempt = 0;
  }

  next(floor = 0) {
    const ceiling = Math.min(this.cap, this.base * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.max(floor, Math.floor(Math.random() * ceiling));
  }

  reset() {
    this.attempt = 0;
  }
}

const ID = /^(\d{1,20})-(\d{1,20})$/;

/** Whether event id `a` comes after `b` in their topic (`<millis>-<seq>`; anything else: when they differ). */
export function isAfter(a, b) {
  const x = ID.exec(a);
  const y = ID.exec(b);
  if (!x || !y) return a !== b;
  const am = BigInt(x[1]);
  const bm = BigInt(y[1]);
  return am !== bm ? am > bm : BigInt(x[2]) > BigInt(y[2]);
}

function report(error) {
  // An app callback threw: surface it without breaking the connection's own processing.
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else setTimeout(() => { throw error; });
}

/** The topics a herald.reset is about (all of the subscription's when it does not say). */
function resetTopics(event, sub) {
  return (event.data && event.data.topics) || sub.topics;
}

function codeForStatus(status) {
  switch (status) {
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 429: return 'rate-limited';
    case 503: return 'unavailable';
    case 504: return 'outcome-unknown';
    case 0: return 'network';
    default: return status >= 400 && status < 500 ? 'invalid' : 'server-error';
  }
}

/**
 * One subscription: a set of topics delivered with one cursor. Created by {@link Herald#subscribe}.
 * `cursor` is the position after the last event handed to the app; give it back to subscribe() (for
 * example after a page reload) to resume without loss.
 */
export class Subscription {
  constructor(herald, topics, options) {
    this.topics = topics;
    this.cursor = options.cursor || null;
    this.presence = !!options.presence;
    this.closed = false;
    this._herald = herald;
    this._last = new Map();
    this._eventFns = new Set();
    this._resetFns = new Set();
    this._errorFns = new Set();
    if (options.onEvent) this._eventFns.add(options.onEvent);
    if (options.onReset) this._resetFns.add(options.onReset);
    if (options.onError) this._errorFns.add(options.onError);
  }

  /** fn(event, cursor, subscription) for each event; returns a function that removes it. */
  onEvent(fn) {
    this._eventFns.add(fn);
    return () => this._eventFns.delete(fn);
  }

  /** fn({topics, reason}) when the server says the cursor could not be honoured for those topics. */
  onReset(fn) {
    this._resetFns.add(fn);
    return () => this._resetFns.delete(fn);
  }

  /** fn(HeraldError) when the server refuses this subscription (forbidden, invalid). */
  onError(fn) {
    this._errorFns.add(fn);
    return () => this._errorFns.delete(fn);
  }

  /** Stops this subscription (its connection, or its part of the shared WebSocket). */
  close() {
    if (this.closed) return;
    this.closed = true;
    this._herald._remove(this);
    this._eventFns.clear();
    this._resetFns.clear();
    this._errorFns.clear();
  }

  /**
   * One delivery from any transport. `event` is an envelope {id, topic, type, data, ts, traceparent?}, a reset
   * {type: 'herald.reset', data: {topics, reason}} or a presence event (no id); `cursor` is the
   * position after it, or null when the delivery does not move the position.
   */
  _deliver(event, cursor) {
    if (this._accept(event)) this._handOut(event, cursor);
  }

  /**
   * A batch that ends at `cursor` (a long-poll answer). The cursor goes out with the last event handed
   * to the app, even when events after it in the batch were dropped as duplicates, and `.cursor`
   * moves to it in any case (an answer with no new event still advances the position).
   */
  _deliverBatch(events, cursor) {
    const fresh = events.filter(event => this._accept(event));
    fresh.forEach((event, i) => this._handOut(event, i === fresh.length - 1 ? cursor : null));
    if (cursor && !this.closed) this.cursor = cursor;
  }

  /** Whether `event` is for the app: false for a duplicate (counted). Keeps the last id of each topic. */
  _accept(event) {
    if (this.closed || !event) return false;
    if (event.type === 'herald.reset') {
      // History restarts for these topics: ids seen before the reset say nothing about what follows.
      for (const topic of resetTopics(event, this)) this._last.delete(topic);
      return true;
    }
    if (event.id != null && event.topic) {
      const last = this._last.get(event.topic);
      if (last !== undefined && !isAfter(event.id, last)) {
        this._herald.stats.duplicates++;
        return false;
      }
      this._last.set(event.topic, event.id);
    }
    return true;
  }

  /** Hands an accepted event (or reset) to the app's callbacks, with the position after it. */
  _handOut(event, cursor) {
    if (this.closed) return;
    const stats = this._herald.stats;
    if (cursor) this.cursor = cursor;
    if (event.type === 'herald.reset') {
      const info = { topics: resetTopics(event, this), reason: event.data && event.data.reason };
      stats.resets++;
      for (const fn of this._resetFns) {
        try { fn(info, this); } catch (e) { report(e); }
      }
      return;
    }
    stats.events++;
    for (const fn of this._eventFns) {
      try { fn(event, this.cursor, this); } catch (e) { report(e); }
    }
  }

  _refused(error) {
    for (const fn of this._errorFns) {
      try { fn(error, this); } catch (e) { report(e); }
    }
  }
}

/**
 * The client: subscriptions over one transport, a status, and publish.
 *
 * Status (onStatus): {state, transport, ...detail} with state one of
 * idle (no subscription), connecting, open, reconnecting (detail: delay, code, reason), paused
 * (page hidden with visibleOnly), error (detail: code; herald.js keeps retrying slowly unless the
 * error cannot heal, such as forbidden), closed. A subscription the server refuses for good
 * (forbidden, invalid; unauthorized over an open WebSocket) reaches its onError, and the status is
 * `error` until that subscription is closed, on every transport, even while others are delivered.
 * Over the WebSocket, `open` means every subscription has been acknowledged.
 */
export class Herald {
  constructor(options = {}) {
    const o = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...(options.backoff || {}) } };
    if (o.transport !== 'auto' && !TRANSPORTS.includes(o.transport)) {
      throw new TypeError(`herald: unknown transport '${o.transport}' (auto, ws, sse or poll)`);
    }
    this._o = o;
    const base = new URL(o.url || (globalThis.location && globalThis.location.origin) || 'http://localhost:8080');
    this._base = base.origin + base.pathname.replace(/\/+$/, '');
    this._order = o.transport === 'auto' ? TRANSPORTS.filter(supported) : [o.transport];
    if (this._order.length === 0) this._order = ['poll'];
    this._index = 0;
    this._failedOpens = 0;
    this._opened = false;
    this._reachability = null;   // the AbortController of a reachability probe in flight
    this._upgradeTimer = null;
    this._trial = null;          // a Trial of a preferred transport in flight
    this._subs = new Set();
    this._links = new Map();
    this._ws = null;
    this._statusFns = new Set();
    this._status = { state: 'idle', transport: this.transport };
    this._closed = false;
    this._paused = false;
    /** Counters for dashboards and tests. */
    this.stats = { events: 0, duplicates: 0, resets: 0, opens: 0, reconnects: 0, nativeReconnects: 0 };
    if (o.visibleOnly && typeof document !== 'undefined') {
      this._onVisibility = () => this._visibilityChanged();
      document.addEventListener('visibilitychange', this._onVisibility);
      this._paused = document.visibilityState === 'hidden';
      if (this._paused) this._setStatus({ state: 'paused', transport: this.transport });
    }
  }

  /** The transport in use now ('ws', 'sse' or 'poll'). */
  get transport() {
    return this._order[this._index];
  }

  /** The last status (see the class comment). */
  get status() {
    return this._status;
  }

  /**
   * Subscribes to `topics` (a name or an array). Options: cursor (resume position), onEvent, onReset,
   * onError, presence (WebSocket: also receive herald.join/herald.leave).
   */
  subscribe(topics, options = {}) {
    if (this._closed) throw new HeraldError('closed', 'herald: closed');
    const list = [...new Set([].concat(topics))];
    if (list.length === 0 || list.some(t => typeof t !== 'string' || t === '')) {
      throw new TypeError('herald: subscribe needs one or more topic names');
    }
    for (const sub of this._subs) {
      if (sub.topics.some(t => list.includes(t))) {
        // One connection carries a topic in one subscription only (WebSocket); keep every transport alike.
        throw new TypeError(`herald: already subscribed to ${sub.topics.filter(t => list.includes(t)).join(', ')}`);
      }
    }
    const sub = new Subscription(this, list, options);
    this._subs.add(sub);
    if (!this._paused) this._attach(sub);
    this._recompute();
    return sub;
  }

  /** fn(status) now and on every change; returns a function that removes it. */
  onStatus(fn) {
    this._statusFns.add(fn);
    try { fn(this._status); } catch (e) { report(e); }
    return () => this._statusFns.delete(fn);
  }

  /**
   * Publishes one event: over the WebSocket when it is the open transport, otherwise over HTTP
   * (POST /v1/topics/{topic}/events). Resolves with {id, topic, duplicate}; rejects with a HeraldError
   * whose code says why (unauthorized, forbidden, invalid, rate-limited, unavailable, outcome-unknown,
   * network, timeout, disconnected; after the last four the event may or may not have been stored:
   * retry with the same idempotencyKey; `error.retryable` says whether a retry can help).
   */
  async publish(topic, type, data, { idempotencyKey } = {}) {
    if (this._closed) throw new HeraldError('closed', 'herald: closed');
    if (this._ws && this._ws.ready) {
      const ack = await this._ws.request({ op: 'publish', topic, type, data, idempotencyKey });
      return { id: ack.id, topic: ack.topic || topic, duplicate: !!ack.duplicate };
    }
    const token = await this._token();
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let response;
    try {
      response = await fetch(`${this._base}/v1/topics/${encodeURIComponent(topic)}/events`, {
        method: 'POST', headers, body: JSON.stringify({ type, data }), credentials: this._credentials(),
      });
    } catch (e) {
      throw new HeraldError('network', e.message, 0);
    }
    if (response.status === 202) return response.json();
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not problem+json */ }
    throw new HeraldError(codeForStatus(response.status), detail, response.status);
  }

  /**
   * Follows a job (README, "Jobs") on its topic job:<id> and reads its status once (GET /v1/jobs/<id>),
   * so a job that finished before the subscription opened is reported too. Callbacks get the job's
   * status document, newest first wins (by updatedAt): onStatus(status) on every change,
   * onProgress(progress, status) while it runs, onDone(status) once it succeeded or is dead (then the
   * subscription closes). Returns { close() }. The token must be the enqueuing subject's, or allow
   * subscribing to job:<id>.
   */
  followJob(id, { onStatus, onProgress, onDone, onError } = {}) {
    let latest = null;
    let finished = false;
    const see = (status) => {
      if (finished || !status || (latest && status.updatedAt < latest.updatedAt)) return;
      latest = status;
      try {
        if (onStatus) onStatus(status);
        if (status.status === 'active' && onProgress) onProgress(status.progress, status);
        if (status.status === 'succeeded' || status.status === 'dead') {
          finished = true;
          sub.close();
          if (onDone) onDone(status);
        }
      } catch (e) { report(e); }
    };
    const read = async () => {
      try {
        const token = await this._token();
        const response = await fetch(`${this._base}/v1/jobs/${encodeURIComponent(id)}`, {
          headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: this._credentials(),
        });
        if (response.ok) see(await response.json());
        else if (onError) onError(new HeraldError(codeForStatus(response.status), response.statusText, response.status));
      } catch (e) {
        if (onError) onError(new HeraldError('network', e.message, 0));
      }
    };
    const sub = this.subscribe(`job:${id}`, {
      onEvent: event => { if (typeof event.type === 'string' && event.type.startsWith('job.')) see(event.data); },
      onReset: () => read(),   // events were missed: the status says where the job stands
      onError,
    });
    read();
    return { close: () => { finished = true; sub.close(); } };
  }

  /** Closes every subscription and connection; the instance cannot be used afterwards. */
  close() {
    if (this._closed) return;
    this._closed = true;
    this._stopTransportChecks();
    this._detachAll();
    if (this._onVisibility) document.removeEventListener('visibilitychange', this._onVisibility);
    for (const sub of [...this._subs]) sub.close();
    this._setStatus({ state: 'closed', transport: this.transport });
    this._statusFns.clear();
  }

  // ---- internals shared with the links ----

  async _token() {
    const t = this._o.token;
    return typeof t === 'function' ? t() : t;
  }

  /** The token for a connection attempt, or undefined when the app's token function failed (reported). */
  async _tokenForConnect() {
    try {
      return { token: await this._token() };
    } catch (e) {
      report(e);
      return undefined;
    }
  }

  _credentials() {
    return this._o.withCredentials ? 'include' : 'same-origin';
  }

  _httpUrl(path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of params) if (value != null && value !== '') query.append(key, value);
    const q = query.toString();
    return `${this._base}${path}${q ? `?${q}` : ''}`;
  }

  _wsUrl() {
    return this._base.replace(/^http/, 'ws') + '/v1/ws';
  }

  /** The EventSource URL of `topics` from `cursor` (none: from now); the token rides in the URL. */
  _streamUrl(topics, token, cursor) {
    const params = topics.map(t => ['topic', t]);
    params.push(['named', 'false'], ['access_token', token], ['lastEventId', cursor]);
    return this._httpUrl('/v1/stream', params);
  }

  /** GET /v1/poll of `topics` from `cursor` (none: from now), held by the server up to `timeout` s. */
  _poll(topics, cursor, timeout, token, signal) {
    const params = topics.map(t => ['topic', t]);
    params.push(['cursor', cursor], ['timeout', String(timeout)]);
    return fetch(this._httpUrl('/v1/poll', params), {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal, cache: 'no-store', credentials: this._credentials(),
    });
  }

  _remove(sub) {
    this._subs.delete(sub);
    this._detach(sub);
    this._recompute();
  }

  _attach(sub) {
    if (this.transport === 'ws') {
      if (!this._ws) this._ws = new WsLink(this);
      this._ws.add(sub);
    } else {
      const link = this.transport === 'sse' ? new SseLink(this, sub) : new PollLink(this, sub);
      this._links.set(sub, link);
      link.start();
    }
  }

  _detach(sub) {
    if (this._ws) {
      this._ws.remove(sub);
      if (this._ws.closed) this._ws = null;
    }
    const link = this._links.get(sub);
    if (link) {
      this._links.delete(sub);
      link.close();
    }
  }

  _detachAll() {
    if (this._ws) {
      this._ws.close();
      this._ws = null;
    }
    for (const link of this._links.values()) link.close();
    this._links.clear();
  }

  _visibilityChanged() {
    if (this._closed) return;
    const hidden = document.visibilityState === 'hidden';
    if (hidden && !this._paused) {
      this._paused = true;
      this._detachAll();
    } else if (!hidden && this._paused) {
      this._paused = false;
      for (const sub of this._subs) this._attach(sub);
    }
    this._recompute();
  }

  /** A link of the current transport opened. */
  _linkOpened(reconnect) {
    this._opened = true;
    this._failedOpens = 0;
    this.stats.opens++;
    if (reconnect) this.stats.reconnects++;
  }

  /**
   * A link failed before its transport ever opened. In 'auto' mode the failure counts toward a fallback
   * only when the server is reachable otherwise (an outage, a restart or a drain is no reason to leave
   * the preferred transport): one probe at a time; after `fallbackAfter` counted failures every
   * subscription moves to the next transport. The caller retries as usual meanwhile.
   */
  _openFailed() {
    if (this._opened || this._index >= this._order.length - 1 || this._reachability) return;
    const index = this._index;
    const controller = new AbortController();
    this._reachability = controller;
    this._reachable(controller).then(reachable => {
      if (this._reachability !== controller) return;   // closed or switched meanwhile
      this._reachability = null;
      if (!reachable || this._opened || this._paused || this._index !== index) return;
      if (++this._failedOpens >= this._o.fallbackAfter) this._switchTo(index + 1, { fallbackFrom: this.transport });
    });
  }

  /**
   * Whether Herald answers plain HTTP now: a poll of the first subscription's topics that returns at
   * once (timeout=0). Any answer below 500 means the server is up, so a transport that fails is blocked
   * on the way; a network error, a timeout or a 5xx (down, draining, a proxy without upstream) is an
   * outage.
   */
  async _reachable(controller) {
    const sub = this._subs.values().next().value;
    const got = sub && await this._tokenForConnect();
    if (!got || controller.signal.aborted) return false;
    const timer = setTimeout(() => controller.abort(), this._o.openTimeout);
    try {
      const response = await this._poll(sub.topics, null, 0, got.token, controller.signal);
      return response.status < 500;
    } catch (e) {
      return false;
    } finally {
      clearTimeout(timer);
      controller.abort();   // the answer's body is not needed
    }
  }

  /**
   * Moves every subscription to the transport at `index` of the order; each resumes from its cursor
   * (and drops what it has already seen), so nothing is lost or handed out twice.
   */
  _switchTo(index, detail) {
    this._stopTransportChecks();
    this._detachAll();
    this._index = index;
    this._opened = false;
    this._failedOpens = 0;
    if (!this._paused) for (const sub of this._subs) this._attach(sub);
    this._recompute(detail);
    if (index > 0 && this._o.upgradeAfter > 0) {
      this._upgradeTimer = setTimeout(() => this._tryUpgrade(), this._o.upgradeAfter);
    }
  }

  /**
   * After a fallback: tries the transports before the current one, in order, with a Trial that holds
   * no subscription; moves to the first that opens, else tries again after `upgradeAfter`.
   */
  async _tryUpgrade() {
    this._upgradeTimer = null;
    for (let i = 0; i < this._index && !this._paused && this._subs.size > 0; i++) {
      const trial = new Trial(this, this._order[i], this._subs.values().next().value);
      this._trial = trial;
      const opened = await trial.run();
      if (this._trial !== trial) return;   // closed or switched meanwhile
      this._trial = null;
      if (opened) {
        this._switchTo(i, { upgradedFrom: this.transport });
        return;
      }
    }
    this._upgradeTimer = setTimeout(() => this._tryUpgrade(), this._o.upgradeAfter);
  }

  _stopTransportChecks() {
    if (this._reachability) this._reachability.abort();
    if (this._trial) this._trial.cancel();
    clearTimeout(this._upgradeTimer);
    this._reachability = this._trial = this._upgradeTimer = null;
  }

  /**
   * Recomputes the aggregate status from the links: the worst state of any link, with that link's
   * detail (delay, code, ...); `detail` is added.
   */
  _recompute(detail = {}) {
    if (this._closed) return;
    let state = 'paused';
    let link = null;
    if (!this._paused) {
      const links = this.transport === 'ws' ? (this._ws ? [this._ws] : []) : [...this._links.values()];
      state = links.length === 0 ? 'idle' : 'open';
      for (const worst of ['error', 'reconnecting', 'connecting']) {
        link = links.find(l => l.state === worst);
        if (link) {
          state = worst;
          break;
        }
      }
    }
    this._setStatus({ state, transport: this.transport, ...(link ? link.detail : {}), ...detail });
  }

  _setStatus(status) {
    const previous = this._status;
    this._status = status;
    if (JSON.stringify(previous) === JSON.stringify(status)) return;
    for (const fn of this._statusFns) {
      try { fn(status); } catch (e) { report(e); }
    }
  }
}

function supported(transport) {
  if (transport === 'ws') return typeof WebSocket !== 'undefined';
  if (transport === 'sse') return typeof EventSource !== 'undefined';
  return typeof fetch !== 'undefined';
}

/**
 * Whether a transport opens now, tried while another one carries the subscriptions: a WebSocket upgrade
 * (closed as soon as it opens), or an EventSource of one subscription's topics from now (closed at its
 * first open). It delivers nothing.
 */
class Trial {
  constructor(herald, transport, sub) {
    this.herald = herald;
    this.transport = transport;
    this.sub = sub;
    this.cancelled = false;
    this._source = null;
    this._timer = null;
    this._done = null;
  }

  /** Resolves true when the transport opened within openTimeout, false when it failed or was cancelled. */
  async run() {
    const got = await this.herald._tokenForConnect();
    if (!got || this.cancelled) return false;
    return new Promise(resolve => {
      this._done = resolve;
      this._timer = setTimeout(() => this._end(false), this.herald._o.openTimeout);
      try {
        this._source = this.transport === 'ws' ? new WebSocket(this.herald._wsUrl())
          : new EventSource(this.herald._streamUrl(this.sub.topics, got.token, null),
            { withCredentials: this.herald._o.withCredentials });
      } catch (e) {
        this._end(false);
        return;
      }
      this._source.onopen = () => this._end(true);
      this._source.onerror = () => this._end(false);
    });
  }

  cancel() {
    this.cancelled = true;
    this._end(false);
  }

  _end(opened) {
    clearTimeout(this._timer);
    if (this._source) {
      this._source.onopen = this._source.onerror = null;
      this._source.close();
      this._source = null;
    }
    const done = this._done;
    this._done = null;
    if (done) done(opened);
  }
}

/** What links share: state, backoff, the healthy-period timer, cancellable waits. */
class Link {
  constructor(herald) {
    this.herald = herald;
    this.state = 'connecting';
    this.detail = {};             // what goes with the state into the status (delay, code, ...)
    this.closed = false;
    this.everOpened = false;
    this._openedAt = 0;
    this.backoff = new Backoff(herald._o.backoff);
    this._retryTimer = null;
    this._healthyTimer = null;
    this._openTimer = null;
  }

  _set(state, detail = {}) {
    this.state = state;
    this.detail = detail;
    this.herald._recompute();
  }

  _opened() {
    const reconnect = this.everOpened;
    this.everOpened = true;
    clearTimeout(this._openTimer);
    this._openTimer = null;
    this._openedAt = Date.now();
    this.herald._linkOpened(reconnect);
    clearTimeout(this._healthyTimer);
    this._healthyTimer = setTimeout(() => this.backoff.reset(), this.herald._o.healthyAfter);
    this._settle();
  }

  /** Sets the state of an open connection (the WebSocket refines it per subscription). */
  _settle() {
    this._set('open');
  }

  /**
   * The delay before reconnecting after the server ended a connection on purpose (a token that
   * expired): none when the connection had lived a while, else the backoff, so that a token that keeps
   * arriving already expired (a clock running behind the server's, a cached token) does not make a loop.
   */
  _reconnectDelay() {
    if (Date.now() - this._openedAt >= SHORT_LIVED) return 0;
    this._unhealthy();
    return this.backoff.next();
  }

  _unhealthy() {
    clearTimeout(this._healthyTimer);
    this._healthyTimer = null;
  }

  /** Runs `fn` after `delay` ms unless the link closes first; reports the wait as reconnecting. */
  _retry(delay, fn, { state = 'reconnecting', ...detail } = {}) {
    clearTimeout(this._retryTimer);
    this._set(state, { delay, ...detail });
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (!this.closed) fn();
    }, delay);
  }

  /**
   * The policy for a refusal before the stream (HTTP 400/401/403, WebSocket 4001/4003): 400 and 403
   * stop (they will not heal by retrying); 401 retries with a fresh token when `token` is a function,
   * otherwise slowly. Returns true when handled.
   */
  _refused(status, message, retry) {
    if (status !== 400 && status !== 401 && status !== 403) return false;
    const code = codeForStatus(status);
    const error = new HeraldError(code, message || code, status);
    for (const sub of this._subsForErrors()) sub._refused(error);
    if (status === 401) {
      const refreshable = typeof this.herald._o.token === 'function';
      this._retry(refreshable ? this.backoff.next() : this.herald._o.backoff.cap, retry, { state: 'error', code });
    } else {
      this._set('error', { code });
    }
    return true;
  }

  _subsForErrors() {
    return [];
  }

  close() {
    this.closed = true;
    this.state = 'closed';
    clearTimeout(this._retryTimer);
    clearTimeout(this._healthyTimer);
    clearTimeout(this._openTimer);
    this._retryTimer = this._healthyTimer = this._openTimer = null;
  }
}

/**
 * SSE: one EventSource per subscription. EventSource reconnects by itself (after the server's
 * retry:) and sends Last-Event-ID, so a dropped stream resumes without herald.js doing anything. When
 * the server refuses the stream (EventSource gives up, readyState CLOSED), a fetch of the same URL
 * learns the status, and herald.js retries with backoff from the subscription's cursor.
 */
class SseLink extends Link {
  constructor(herald, sub) {
    super(herald);
    this.sub = sub;
    this.es = null;
    this._probe = null;   // the AbortController of the status probe in flight
  }

  _subsForErrors() {
    return [this.sub];
  }

  async start() {
    this._closeSource();
    const got = await this.herald._tokenForConnect();
    if (this.closed) return;
    if (!got) {
      this._retry(this.backoff.next(), () => this.start(), { code: 'token' });
      return;
    }
    const url = this.herald._streamUrl(this.sub.topics, got.token, this.sub.cursor);
    const es = new EventSource(url, { withCredentials: this.herald._o.withCredentials });
    this.es = es;
    let openedOnce = false;
    this._openTimer = setTimeout(() => {
      if (!openedOnce && !this.closed) this._failed(url, false);
    }, this.herald._o.openTimeout);
    es.onopen = () => {
      if (openedOnce) this.herald.stats.nativeReconnects++;
      openedOnce = true;
      this._opened();
    };
    es.onerror = () => {
      if (this.closed || this.es !== es) return;
      this._unhealthy();
      if (es.readyState === EventSource.CONNECTING) {
        // EventSource reconnects by itself, with Last-Event-ID, after the server's retry: delay.
        if (!openedOnce && !this.everOpened) this.herald._openFailed();
        this._set('reconnecting', { native: true });
      } else {
        this._failed(url, openedOnce);
      }
    };
    const onEvent = e => this._message(e);
    es.addEventListener('message', onEvent);
    es.addEventListener('herald.reset', onEvent);
    // named=false streams announce their starting cursor; kept so that a restart herald.js makes itself
    // (after a refusal) resumes from where the stream began even if no event has arrived yet.
    es.addEventListener('herald.start', e => { if (e.lastEventId) this.sub.cursor = e.lastEventId; });
    es.addEventListener('herald.shutdown', e => { if (e.lastEventId) this.sub.cursor = e.lastEventId; });
    es.addEventListener('herald.token-expired', e => {
      // The stream ended because its token expired: reconnect with a fresh token, at once unless
      // the stream was short-lived (then the token was already expiring: back off).
      if (e.lastEventId) this.sub.cursor = e.lastEventId;
      this._closeSource();
      this._retry(this._reconnectDelay(), () => this.start(), { code: 'token-expired' });
    });
  }

  _message(e) {
    let data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    const event = e.type === 'herald.reset' ? { type: 'herald.reset', data, ts: Date.now() } : data;
    this.sub._deliver(event, e.lastEventId || null);
  }

  /** EventSource gave up (the server refused the stream) or never opened: learn why, then retry. */
  async _failed(url, openedOnce) {
    this._closeSource();
    this._probe = new AbortController();
    const status = await probe(url, this.herald._credentials(), this._probe);
    this._probe = null;
    if (this.closed) return;
    if (this._refused(status, null, () => this.start())) return;
    if (!openedOnce && !this.everOpened) this.herald._openFailed();
    this._retry(this.backoff.next(), () => this.start(), { code: codeForStatus(status), status });
  }

  _closeSource() {
    clearTimeout(this._openTimer);
    this._openTimer = null;
    if (this.es) {
      this.es.onopen = this.es.onerror = null;
      this.es.close();
      this.es = null;
    }
  }

  close() {
    super.close();
    this._closeSource();
    // The probe is a real /v1/stream request: do not leave it to its timeout.
    if (this._probe) this._probe.abort();
  }
}

/**
 * The HTTP status a GET of an SSE URL answers (0: network error), without reading the stream; the
 * request ends once the status is known, after 10 s, or when `controller` aborts it.
 */
async function probe(url, credentials, controller) {
  const timer = setTimeout(() => controller.abort(), 10000);
  try {
    const response = await fetch(url, { headers: { Accept: 'text/event-stream' }, signal: controller.signal, credentials, cache: 'no-store' });
    return response.status;
  } catch (e) {
    return 0;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/**
 * Long polling: one request loop per subscription. The first request of each connection asks with
 * timeout=0 (an immediate answer tells that the server is reachable and where the subscription
 * starts); later ones let the server hold the request up to pollTimeout seconds.
 */
class PollLink extends Link {
  constructor(herald, sub) {
    super(herald);
    this.sub = sub;
    this._controller = null;
  }

  _subsForErrors() {
    return [this.sub];
  }

  start() {
    this._loop(true);
  }

  async _loop(first) {
    const o = this.herald._o;
    let immediate = first;
    while (!this.closed) {
      const got = await this.herald._tokenForConnect();
      if (this.closed) return;
      if (!got) {
        this._retry(this.backoff.next(), () => this._loop(true), { code: 'token' });
        return;
      }
      const timeout = immediate ? 0 : o.pollTimeout;
      const controller = new AbortController();
      this._controller = controller;
      const timer = setTimeout(() => controller.abort(), (timeout + 15) * 1000);
      const sentAt = Date.now();
      let response = null;
      let body = null;
      try {
        response = await this.herald._poll(this.sub.topics, this.sub.cursor, timeout, got.token, controller.signal);
        body = response.ok ? await response.json() : null;
      } catch (e) {
        // Network error, abort, or a 200 without a JSON body: all retried alike.
        response = null;
        body = null;
      } finally {
        clearTimeout(timer);
        this._controller = null;
      }
      if (this.closed) return;
      if (body) {
        if (this.state !== 'open') this._opened();
        const events = Array.isArray(body.events) ? body.events : [];
        // Only the answer's cursor is a valid position: it goes out with the last event the app gets
        // from the answer, so that an app saving cursors never saves one past an event it has not seen.
        this.sub._deliverBatch(events, body.cursor);
        immediate = false;
        if (timeout > 0 && Date.now() - sentAt >= SHORT_HOLD) {
          this.backoff.reset();   // held as asked: healthy
        } else if (timeout > 0 && events.length === 0) {
          // A poll the server could have held came back empty at once: its token expires (or the node
          // drains). Polling again at once with the same token would loop until it is refused.
          await this._wait(this.backoff.next());
        }
        continue;
      }
      this._unhealthy();
      const status = response ? response.status : 0;
      if (this._refused(status, null, () => this._loop(true))) return;
      if (!this.everOpened) this.herald._openFailed();
      let delay = this.backoff.next();
      const retryAfter = response && Number(response.headers.get('Retry-After'));
      if (retryAfter > 0) delay = Math.max(delay, retryAfter * 1000);
      this._retry(delay, () => this._loop(true), { code: codeForStatus(status), status });
      return;
    }
  }

  /** Resolves after `ms` (a quiet pause, the status unchanged); never when the link closes first. */
  _wait(ms) {
    return new Promise(resolve => {
      this._retryTimer = setTimeout(() => {
        this._retryTimer = null;
        resolve();
      }, ms);
    });
  }

  close() {
    super.close();
    if (this._controller) this._controller.abort();
  }
}

/**
 * The server's limits on subscribe and unsubscribe ops over one WebSocket are 4 subscriptions opening
 * at once and 10 ops per second in bursts of 20; herald.js stays under them.
 */
const WS_MAX_OPENING = 4;
const WS_CONTROL_RATE = 8;
const WS_CONTROL_BURST = 16;
/** Refusals of a subscribe that end the subscription; any other code is retried with backoff. */
const WS_FINAL = new Set(['forbidden', 'unauthorized', 'invalid']);

/** A token bucket: `burst` tokens, refilled at `rate` per second. */
class TokenBucket {
  constructor(rate, burst) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.at = Date.now();
  }

  /** Takes a token: 0 when there was one, else the ms until there will be one (nothing taken). */
  take() {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.rate);
  }
}

/**
 * WebSocket: one socket for every subscription of the client. Authenticates with a first message
 * (the token stays out of URLs and logs), then opens each subscription with a subscribe op and its
 * cursor, within the server's limits (WS_*): subscribe and unsubscribe ops wait in one queue, in
 * order, for a token of the bucket, and a subscribe also for one of the 4 opening places (freed by its
 * `subscribed` or `error`). A subscribe refused with rate-limited, unavailable or internal is sent again
 * after that subscription's backoff; forbidden, unauthorized and invalid are final (onError, and the
 * status is `error` while such a subscription is not closed). An event frame's cursor belongs to the
 * subscription that holds the event's topic.
 *
 * Each subscription has an entry on the link whose state is queued (its subscribe waits to be sent),
 * opening (sent, no answer yet), open, waiting (to be sent again) or refused.
 */
class WsLink extends Link {
  constructor(herald) {
    super(herald);
    this.ws = null;
    this.ready = false;
    this._subs = new Map();       // sub -> {state, ref, code, delay, timer, backoff}
    this._byTopic = new Map();
    this._byRef = new Map();
    this._pending = new Map();
    this._queue = [];             // {op: 'subscribe', sub} | {op: 'unsubscribe', topics}
    this._opening = 0;
    this._bucket = null;
    this._pumpTimer = null;
    this._ref = 0;
    this._pingTimer = null;
    this._pongTimer = null;
    this._connecting = false;
  }

  _subsForErrors() {
    return [...this._subs.keys()];
  }

  add(sub) {
    const entry = { state: 'queued', ref: null, code: null, delay: 0, timer: null, backoff: new Backoff(this.herald._o.backoff) };
    this._subs.set(sub, entry);
    if (this.ready) {
      this._queue.push({ op: 'subscribe', sub });
      this._settle();
      this._pump();
    } else if (!this.ws && !this._retryTimer && !this._connecting) {
      this._connect();
    }
  }

  remove(sub) {
    const entry = this._subs.get(sub);
    if (!entry) return;
    this._subs.delete(sub);
    clearTimeout(entry.timer);
    for (const topic of sub.topics) if (this._byTopic.get(topic) === sub) this._byTopic.delete(topic);
    this._byRef.delete(entry.ref);
    this._queue = this._queue.filter(op => op.sub !== sub);
    if (this._subs.size === 0) {
      this.close();
      return;
    }
    if (!this.ready) return;
    // Only what the server holds or is opening is unsubscribed: anything else is a protocol error there.
    if (entry.state === 'opening' || entry.state === 'open') this._queue.push({ op: 'unsubscribe', topics: sub.topics });
    // Its opening place is free here at once; should the server still count it, a subscribe that it
    // refuses as rate-limited is sent again.
    if (entry.state === 'opening') this._opening--;
    this._settle();
    this._pump();
  }

  /** Sends an op that expects an answer with the same ref (publish, auth); resolves with the answer. */
  request(message, timeout = this.herald._o.requestTimeout) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new HeraldError('disconnected', 'herald: not connected'));
        return;
      }
      const ref = this._nextRef();
      const timer = setTimeout(() => {
        this._pending.delete(ref);
        reject(new HeraldError('timeout', `herald: no answer to ${message.op} within ${timeout} ms`));
      }, timeout);
      this._pending.set(ref, { resolve, reject, timer });
      this._send({ ...message, ref });
    });
  }

  async _connect() {
    this._connecting = true;
    const got = await this.herald._tokenForConnect();
    this._connecting = false;
    if (this.closed) return;
    if (!got) {
      this._retry(this.backoff.next(), () => this._connect(), { code: 'token' });
      return;
    }
    const token = got.token;
    let ws;
    try {
      ws = new WebSocket(this.herald._wsUrl());
    } catch (e) {
      this._afterClose({ code: 1006, reason: e.message }, false);
      return;
    }
    this.ws = ws;
    let openedOnce = false;
    this._openTimer = setTimeout(() => {
      if (!this.ready && !this.closed) this._drop(1006, 'open timeout');
    }, this.herald._o.openTimeout);
    ws.onopen = () => {
      if (token) {
        this.request({ op: 'auth', token }).then(() => {
          openedOnce = true;
          this._ready();
        }, () => { /* the server answers a bad token with an error and close 4001 */ });
      } else {
        openedOnce = true;
        this._ready();
      }
    };
    ws.onmessage = m => this._frame(m.data);
    ws.onclose = e => this._afterClose(e, openedOnce);
    ws.onerror = () => { /* a close event follows */ };
  }

  _ready() {
    if (this.closed || !this.ws) return;
    this.ready = true;
    this._bucket = new TokenBucket(WS_CONTROL_RATE, WS_CONTROL_BURST);
    for (const [sub, entry] of this._subs) if (entry.state !== 'refused') this._queue.push({ op: 'subscribe', sub });
    this._opened();
    this._pump();
    const interval = this.herald._o.pingInterval;
    if (interval > 0) {
      this._pingTimer = setInterval(() => {
        if (this._pongTimer) return;
        this._pongTimer = setTimeout(() => this._drop(1006, 'no pong'), 10000);
        this._send({ op: 'ping', ref: 'ping' });
      }, interval);
    }
  }

  /** Sends queued subscribe and unsubscribe ops, in order, as far as the server's limits allow. */
  _pump() {
    clearTimeout(this._pumpTimer);
    this._pumpTimer = null;
    while (this.ready && this._queue.length > 0) {
      const next = this._queue[0];
      if (next.op === 'subscribe' && this._opening >= WS_MAX_OPENING) return;   // goes on at an answer
      const wait = this._bucket.take();
      if (wait > 0) {
        this._pumpTimer = setTimeout(() => this._pump(), wait);
        return;
      }
      this._queue.shift();
      if (next.op === 'subscribe') this._subscribe(next.sub);
      else this._send({ op: 'unsubscribe', topics: next.topics, ref: this._nextRef() });
    }
  }

  _subscribe(sub) {
    const entry = this._subs.get(sub);
    const ref = this._nextRef();
    entry.state = 'opening';
    entry.ref = ref;
    this._opening++;
    this._byRef.set(ref, sub);
    for (const topic of sub.topics) this._byTopic.set(topic, sub);
    const op = { op: 'subscribe', topics: sub.topics, ref };
    if (sub.cursor) op.cursor = sub.cursor;
    if (sub.presence) op.presence = true;
    this._send(op);
  }

  /** The answer to a subscribe: `subscribed`, or an error (`error` set). */
  _answered(sub, frame, error) {
    const entry = this._subs.get(sub);
    this._opening--;
    if (!error) {
      entry.state = 'open';
      entry.backoff.reset();
      // The starting position: a subscription that began live from now can resume from here even
      // before its first event (absent when a reset is due: the reset frame brings the position).
      if (!sub.cursor && frame.cursor) sub.cursor = frame.cursor;
    } else {
      for (const topic of sub.topics) if (this._byTopic.get(topic) === sub) this._byTopic.delete(topic);
      entry.code = error.code;
      if (WS_FINAL.has(error.code)) {
        entry.state = 'refused';
      } else {
        // Refused for now (too many opening, rate, broker unavailable): ask again later.
        entry.state = 'waiting';
        entry.delay = entry.backoff.next();
        entry.timer = setTimeout(() => {
          entry.timer = null;
          entry.state = 'queued';
          this._queue.push({ op: 'subscribe', sub });
          this._settle();
          this._pump();
        }, entry.delay);
      }
    }
    this._settle();
    this._pump();
    if (entry.state === 'refused') sub._refused(error);
  }

  /**
   * The state of an open socket, from its subscriptions: error while one stands refused, reconnecting
   * while one waits to be sent again, connecting while one is being opened, else open.
   */
  _settle() {
    if (!this.ready) return;
    let state = 'open';
    let detail = {};
    for (const entry of this._subs.values()) {
      if (entry.state === 'refused') {
        state = 'error';
        detail = { code: entry.code };
        break;
      } else if (entry.state === 'waiting' && state !== 'reconnecting') {
        state = 'reconnecting';
        detail = { code: entry.code, delay: entry.delay };
      } else if ((entry.state === 'queued' || entry.state === 'opening') && state === 'open') {
        state = 'connecting';
      }
    }
    this._set(state, detail);
  }

  _frame(text) {
    let frame;
    try { frame = JSON.parse(text); } catch (e) { return; }
    switch (frame.type) {
      case 'event': {
        const event = frame.event || {};
        const topic = event.topic || (event.data && Array.isArray(event.data.topics) && event.data.topics[0]);
        const sub = this._byTopic.get(topic);
        // Presence events carry no cursor: they do not move the position.
        if (sub) sub._deliver(event, frame.cursor || null);
        return;
      }
      case 'pong':
        clearTimeout(this._pongTimer);
        this._pongTimer = null;
        if (frame.ref === 'ping') return;
        break;
      case 'subscribed':
      case 'error': {
        const error = frame.type === 'error' ? new HeraldError(frame.code || 'error', frame.message) : null;
        const sub = this._byRef.get(frame.ref);
        if (sub) {
          this._byRef.delete(frame.ref);
          this._answered(sub, frame, error);
          return;
        }
        const pending = error && this._pending.get(frame.ref);
        if (pending) {
          this._pending.delete(frame.ref);
          clearTimeout(pending.timer);
          pending.reject(error);
        } else if (error) {
          this.herald._recompute({ code: error.code, message: error.message });
        }
        return;
      }
      default:
        break;
    }
    const pending = frame.ref != null && this._pending.get(frame.ref);
    if (pending) {
      this._pending.delete(frame.ref);
      clearTimeout(pending.timer);
      pending.resolve(frame);
    }
  }

  _send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  _nextRef() {
    this._ref += 1;
    return String(this._ref);
  }

  /** Ends the socket now (no pong, open timeout) and handles it as a close with `code`. */
  _drop(code, reason) {
    if (!this.ws) return;
    const opened = this.ready;
    this._release();
    this._afterClose({ code, reason }, opened);
  }

  /** Forgets the socket: handlers off, socket closed, timers and pending requests released. */
  _release(code = 1000) {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    clearInterval(this._pingTimer);
    clearTimeout(this._pongTimer);
    clearTimeout(this._openTimer);
    this._pingTimer = this._pongTimer = this._openTimer = null;
    for (const { reject, timer } of this._pending.values()) {
      clearTimeout(timer);
      reject(new HeraldError('disconnected', 'herald: connection closed before the answer'));
    }
    this._pending.clear();
    this._byRef.clear();
    this._byTopic.clear();
    // Whatever the server held is gone with the socket: the next one opens every subscription again
    // (from its cursor), except the refused ones.
    this._queue = [];
    this._opening = 0;
    clearTimeout(this._pumpTimer);
    this._pumpTimer = null;
    for (const entry of this._subs.values()) {
      clearTimeout(entry.timer);
      entry.timer = null;
      if (entry.state !== 'refused') entry.state = 'queued';
    }
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(code);
    }
  }

  _afterClose(event, openedOnce) {
    if (this.ws) this._release();
    this._unhealthy();
    if (this.closed) return;
    const code = event.code;
    const reason = event.reason || '';
    if (code === 4001 || code === 4003) {
      this._refused(code === 4001 ? 401 : 403, reason, () => this._connect());
      return;
    }
    if (!openedOnce && !this.everOpened) this.herald._openFailed();
    let delay;
    if (code === 1001) {
      // Server shutting down: it says when to come back (retry=<ms>), spread across its clients.
      const m = /retry=(\d+)/.exec(reason);
      delay = m ? Number(m[1]) : this.backoff.next();
    } else if (code === 4029) {
      delay = this.backoff.next(Math.min(5000, this.herald._o.backoff.cap));
    } else {
      delay = this.backoff.next();
    }
    this._retry(delay, () => this._connect(), { code, reason });
  }

  close() {
    super.close();
    this._release(1000);
    this._subs.clear();
  }
}
