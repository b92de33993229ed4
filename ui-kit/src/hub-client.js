// SPDX-License-Identifier: LGPL-2.1-or-later
// The JavaScript client of Qi's hub (docs/protocol.md): one WebSocket to
// ws://HOST/ws?token=T, requests as Promises with a deadline, subscriptions
// by topic pattern matched locally, reconnection with backoff (the
// subscriptions are made again on the new connection), and the token it
// connects with, which a login may replace.
//
// Ids are opaque to it: it makes its own message ids as strings and compares
// the `re` of answers with ===; it never reads the ids of the tracker.

/** An error answer of the hub, or a failure of the connection. */
export class HubError extends Error {
  constructor (code, message, data = null) {
    super(message);
    this.name = 'HubError';
    this.code = code;
    this.data = data;
  }
}

const TOPIC_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Whether `pattern` is a valid subscription pattern (docs/protocol.md). */
export function isValidPattern (pattern) {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 255) return false;
  const segments = pattern.split('.');
  return segments.every((s, i) =>
    TOPIC_SEGMENT.test(s) || s === '*' || (s === '**' && i === segments.length - 1));
}

/** Whether `topic` matches `pattern`: `*` is one segment, a last `**` any number (none included). */
export function topicMatches (pattern, topic) {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '**' && i === p.length - 1) return true;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/**
 * The delay before reconnection attempt `attempt` (0 first): exponential
 * from `initialMs` up to `maxMs`, with up to `jitter` of it random so that
 * many windows of one restarted Qi do not all come back at once.
 */
export function backoffDelay (attempt, { initialMs = 250, maxMs = 8000, jitter = 0.2 } = {}, random = Math.random) {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - jitter + jitter * random()));
}

/** The token and the hub's URL of the page: `?token=` and `ws://HOST/ws` of its own origin. */
export function pageConnection (location = globalThis.location) {
  const params = new URLSearchParams(location.search);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    url: `${scheme}//${location.host}/ws`,
    healthUrl: `${location.protocol}//${location.host}/api/health`,
    token: params.get('token'),
    parent: params.get('session'),
  };
}

let clientCount = 0;

/**
 * A connection to the hub.
 *
 * States: `idle` (not started), `connecting`, `open`, `reconnecting`
 * (waiting before the next attempt), `refused` (the server answers but
 * does not take the token: a Qi restarted with a new key; it keeps trying),
 * `closed` (close() was called).
 */
export class HubClient {
  /**
   * @param {object} options
   * @param {string} options.url ws://HOST:PORT/ws
   * @param {string} options.token the token to connect with
   * @param {string} [options.name] the session name to open (hub.hello)
   * @param {string} [options.healthUrl] GET it to tell a server that is down from one that refuses the token
   * @param {number} [options.requestTimeoutMs] the default deadline of a request
   * @param {object} [options.backoff] `{initialMs, maxMs, jitter}`
   * @param {Function} [options.WebSocket] the WebSocket class (the global one by default)
   * @param {Function} [options.fetch] for the health check (the global one by default)
   */
  constructor (options) {
    this.url = options.url;
    this.token = options.token ?? null;
    this.pageToken = this.token;  // what it was made with; setToken(null) goes back to it
    this.name = options.name ?? null;
    this.healthUrl = options.healthUrl ?? null;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15000;
    this.backoff = { initialMs: 250, maxMs: 8000, jitter: 0.2, ...(options.backoff || {}) };
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);

    this.state = 'idle';
    this.session = null;          // the session id the hub gave
    this.lastError = null;        // a sentence for people, or null
    this.connections = 0;         // how many times it has opened
    this._prefix = `js${++clientCount}-${Math.random().toString(36).slice(2, 8)}`;
    this._next = 0;
    this._socket = null;
    this._attempt = 0;
    this._timer = null;
    this._pending = new Map();    // id → {resolve, reject, timer, frame, sent}
    this._queue = [];             // ids waiting for a connection
    this._subscriptions = new Map(); // pattern → Set(callback)
    this._listeners = new Set();
  }

  /** Calls `listener(state, client)` on every change of state; returns a function that stops it. */
  onState (listener) {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  _setState (state, error = null) {
    this.lastError = error;
    if (this.state === state && state !== 'refused') return;
    this.state = state;
    for (const listener of [...this._listeners]) {
      try { listener(state, this); } catch (e) { console.error(e); }
    }
  }

  /** Opens the connection (again, after close()). */
  connect () {
    if (this.state !== 'idle' && this.state !== 'closed') return;
    this._attempt = 0;
    this._open();
  }

  /** The token of later connections (a login's, a refresh's; null: the one it was made with). The open connection stays. */
  setToken (token) {
    this.token = token ?? this.pageToken;
  }

  _open () {
    clearTimeout(this._timer);
    this._timer = null;
    this._setState(this.state === 'refused' ? 'refused' : 'connecting', this.lastError);
    const url = this.token ? `${this.url}?token=${encodeURIComponent(this.token)}` : this.url;
    let socket;
    try {
      socket = new this.WebSocket(url);
    } catch (e) {
      this._scheduleReconnect(`cannot open ${this.url}: ${e.message}`);
      return;
    }
    this._socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this._onOpen(socket);
    };
    socket.onmessage = (event) => this._onFrame(event.data);
    const lost = (code, reason) => {
      if (this._socket !== socket) return;
      this._socket = null;
      this.session = null;
      this._failInFlight();
      if (this.state === 'closed') return;
      const why = opened
        ? `the connection to Qi closed (${code}${reason ? `: ${reason}` : ''})`
        : `cannot connect to Qi at ${this.url}`;
      this._scheduleReconnect(why, !opened);
    };
    socket.onclose = (event) => lost(event.code, event.reason);
    // A refused handshake is an error and a close in browsers, only an
    // error in some clients (Node 20's): either one ends the attempt.
    socket.onerror = () => {
      if (!opened) lost(1006, '');
    };
  }

  async _onOpen (socket) {
    this._attempt = 0;
    this.connections++;
    try {
      // The first message opens the session: hub.hello names it.
      if (this.name) {
        const hello = await this._send('hub.hello', { name: this.name }, { timeoutMs: 10000, now: true });
        this.session = hello.session ?? null;
      }
      // Subscriptions of the last connection, made again on this one.
      await Promise.all([...this._subscriptions.keys()].map(
        (pattern) => this._send('hub.subscribe', { pattern }, { now: true })));
    } catch (e) {
      if (this._socket === socket) socket.close(4000, 'hello failed');
      return;
    }
    if (this._socket !== socket) return;
    this._setState('open');
    for (const id of this._queue.splice(0)) {
      const pending = this._pending.get(id);
      if (pending) this._write(id, pending);
    }
  }

  async _scheduleReconnect (why, neverOpened = false) {
    const delay = backoffDelay(this._attempt++, this.backoff);
    let state = 'reconnecting';
    let message = `${why}; trying again`;
    // A server that answers /api/health but not /ws has refused the token:
    // Qi restarted (its key is new each run) or the token expired.
    if (neverOpened && this.healthUrl && this.fetch) {
      try {
        const answer = await this.fetch(this.healthUrl, { cache: 'no-store' });
        if (answer.ok) {
          state = 'refused';
          message = 'Qi is running but does not accept this page\'s token (Qi was restarted, or the token ' +
            'expired): reopen this window from Qi';
        }
      } catch (e) { /* down: plain reconnecting */ }
    }
    if (this.state === 'closed') return;
    this._setState(state, message);
    this._timer = setTimeout(() => this._open(), delay);
  }

  _failInFlight () {
    for (const [id, pending] of this._pending) {
      if (pending.sent) {
        clearTimeout(pending.timer);
        this._pending.delete(id);
        pending.reject(new HubError('disconnected',
          `the connection to Qi was lost before “${pending.topic}” was answered`));
      } else if (!this._queue.includes(id)) {
        this._queue.push(id);
      }
    }
  }

  _write (id, pending) {
    pending.sent = true;
    this._socket.send(pending.frame);
  }

  _send (topic, payload, { timeoutMs, now = false } = {}) {
    const id = `${this._prefix}-${++this._next}`;
    const deadline = timeoutMs ?? this.requestTimeoutMs;
    const message = { v: 1, id, kind: 'request', topic, payload: payload ?? {} };
    if (deadline > 0) message.timeout_ms = deadline;
    const frame = JSON.stringify(message);
    return new Promise((resolve, reject) => {
      const pending = { topic, frame, resolve, reject, sent: false, timer: null };
      // The hub answers `timeout` at the deadline; this one is for a
      // connection that never comes or a hub that never answers.
      pending.timer = setTimeout(() => {
        this._pending.delete(id);
        const queued = this._queue.indexOf(id);
        if (queued >= 0) this._queue.splice(queued, 1);
        reject(new HubError('timeout', `“${topic}” was not answered in ${Math.round(deadline / 1000)} s` +
          (pending.sent ? '' : ' (not connected to Qi)')));
      }, deadline + 1000);
      this._pending.set(id, pending);
      if (this._socket && (now || this.state === 'open') && this._socket.readyState === 1) {
        this._write(id, pending);
      } else {
        this._queue.push(id);
      }
    });
  }

  /**
   * Sends a request; resolves with the reply's payload, rejects with a
   * HubError (the hub's code and sentence, or `timeout`, `disconnected`,
   * `closed`). A request made while not connected waits for the connection.
   */
  request (topic, payload = {}, { timeoutMs } = {}) {
    if (this.state === 'closed') return Promise.reject(new HubError('closed', 'the hub client is closed'));
    return this._send(topic, payload, { timeoutMs });
  }

  /** Sends an event (fire and forget; dropped while not connected). */
  publish (topic, payload = {}) {
    if (!this._socket || this.state !== 'open') return false;
    this._socket.send(JSON.stringify({ v: 1, id: `${this._prefix}-${++this._next}`, kind: 'event', topic, payload }));
    return true;
  }

  /**
   * Calls `callback(payload, message)` for every event whose topic matches
   * `pattern`; returns a function that ends the subscription. The hub is
   * asked once per pattern, and again after every reconnection.
   */
  subscribe (pattern, callback) {
    if (!isValidPattern(pattern)) throw new HubError('bad_message', `“${pattern}” is not a topic pattern`);
    let callbacks = this._subscriptions.get(pattern);
    if (!callbacks) {
      callbacks = new Set();
      this._subscriptions.set(pattern, callbacks);
      if (this.state === 'open') this._send('hub.subscribe', { pattern }).catch(() => {});
    }
    callbacks.add(callback);
    return () => {
      const set = this._subscriptions.get(pattern);
      if (!set || !set.delete(callback) || set.size > 0) return;
      this._subscriptions.delete(pattern);
      if (this.state === 'open') this._send('hub.unsubscribe', { pattern }).catch(() => {});
    };
  }

  _onFrame (data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch (e) {
      console.warn('qi hub: a frame that is not JSON', e);
      return;
    }
    if (message.kind === 'event') {
      for (const [pattern, callbacks] of this._subscriptions) {
        if (!topicMatches(pattern, String(message.topic))) continue;
        for (const callback of [...callbacks]) {
          try { callback(message.payload ?? {}, message); } catch (e) { console.error(e); }
        }
      }
      return;
    }
    if (message.kind !== 'reply' && message.kind !== 'error') return;
    const id = message.re == null ? null : String(message.re);
    const pending = id === null ? undefined : this._pending.get(id);
    if (!pending) {
      if (message.kind === 'error') console.warn('qi hub:', message.payload?.message);
      return;
    }
    this._pending.delete(id);
    clearTimeout(pending.timer);
    if (message.kind === 'reply') {
      pending.resolve(message.payload ?? {});
    } else {
      const p = message.payload ?? {};
      pending.reject(new HubError(String(p.code ?? 'handler_failed'), String(p.message ?? 'the hub answered an error'), p.data ?? null));
    }
  }

  /** Closes the connection for good; waiting requests fail with `closed`. */
  close () {
    this._setState('closed');
    clearTimeout(this._timer);
    const socket = this._socket;
    this._socket = null;
    if (socket) socket.close(1000, 'closed');
    for (const [id, pending] of this._pending) {
      clearTimeout(pending.timer);
      pending.reject(new HubError('closed', 'the hub client is closed'));
      this._pending.delete(id);
    }
    this._queue = [];
  }
}
