// SPDX-License-Identifier: LGPL-2.1-or-later
// The login session of a page: what auth.login answered (token, user,
// roles, expires_at), kept in sessionStorage so that a reload stays logged
// in, refreshed with auth.refresh before it expires, and handed to the hub
// client as the token of its later connections.

const STORAGE_KEY = 'qi.session';

/** When to refresh a session that expires at `expiresAt` (ms), seen at `now`: a tenth of what is left before it, at least 5 s before, never in the past. */
export function refreshDelay (expiresAt, now = Date.now()) {
  const left = expiresAt - now;
  if (!(left > 0)) return 0;
  return Math.max(0, Math.min(left - 5000, left * 0.9));
}

export class LoginSession {
  /**
   * @param {import('./hub-client.js').HubClient} hub
   * @param {object} [options]
   * @param {Storage} [options.storage] sessionStorage by default (null: nothing kept)
   */
  constructor (hub, { storage = globalThis.sessionStorage ?? null } = {}) {
    this.hub = hub;
    this.storage = storage;
    this.current = null;          // SESSION of auth.* or null
    this._timer = null;
    this._listeners = new Set();
  }

  /** Calls `listener(session or null)` whenever the session changes. */
  onChange (listener) {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  _set (session) {
    this.current = session;
    clearTimeout(this._timer);
    this._timer = null;
    if (session) {
      this.hub.setToken(session.token);
      const expires = Date.parse(session.expires_at);
      if (Number.isFinite(expires)) {
        this._timer = setTimeout(() => this.refresh().catch(() => {}), refreshDelay(expires));
        this._timer?.unref?.();  // in Node, a pending refresh does not keep the process alive
      }
    } else {
      this.hub.setToken(null);
    }
    try {
      if (this.storage) {
        if (session) this.storage.setItem(STORAGE_KEY, JSON.stringify(session));
        else this.storage.removeItem(STORAGE_KEY);
      }
    } catch (e) { /* storage refused: the session lives in memory only */ }
    for (const listener of [...this._listeners]) listener(session);
  }

  /**
   * What the login page asks first: `{provider, logged_in}`, the login
   * scheme of the run's tracker (`local`, `ftrack`, a studio's own) or
   * null when no tracker is loaded.
   */
  async info () {
    return this.hub.request('auth.info', {});
  }

  /**
   * Logs in with the credentials of the run's provider: `{username,
   * password}` for Qi's own tracker, `{server, api_user, api_key}` for
   * ftrack. Rejects with the hub's HubError (its sentence is for people).
   */
  async login (credentials) {
    const session = await this.hub.request('auth.login', credentials);
    this._set(session);
    return session;
  }

  /** The session kept from before a reload, if the hub still knows it; else null. */
  async restore () {
    let kept = null;
    try {
      kept = this.storage ? JSON.parse(this.storage.getItem(STORAGE_KEY) || 'null') : null;
    } catch (e) { kept = null; }
    if (!kept || typeof kept.token !== 'string') return null;
    try {
      const who = await this.hub.request('auth.whoami', { token: kept.token });
      const session = { ...kept, user: who.user ?? kept.user, roles: who.roles ?? kept.roles, expires_at: who.expires_at ?? kept.expires_at };
      this._set(session);
      return session;
    } catch (e) {
      this._set(null);
      return null;
    }
  }

  /** auth.refresh: a new token and expiry; the old token stops working. */
  async refresh () {
    if (!this.current) return null;
    try {
      const session = await this.hub.request('auth.refresh', { token: this.current.token });
      this._set({ ...this.current, ...session });
      return this.current;
    } catch (e) {
      if (e.code === 'unauthorized') this._set(null);
      throw e;
    }
  }

  async logout () {
    const session = this.current;
    this._set(null);
    if (session) await this.hub.request('auth.logout', { token: session.token }).catch(() => {});
  }
}
