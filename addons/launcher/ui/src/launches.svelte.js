// SPDX-License-Identifier: LGPL-2.1-or-later
// The launches this page knows, kept current: launcher.running once, then
// the launcher's events; launcher.running again after every reconnection
// (a launch that ended meanwhile is asked for on the log route). The
// applications list adds the launch it started; the running list shows
// them. The logic is apps.js's.
import {
  upsertLaunch, applySession, applyHookFailure, reconcileRunning, markLost,
  dismissLaunch, clearExited, fetchLog,
} from './apps.js';

export class Launches {
  /** Newest first; each a LAUNCH of the launcher, with `hookFailures`. */
  list = $state.raw([]);
  /** Why launcher.running could not be read, or null. */
  error = $state(null);

  /** @param {import('@qi/ui-kit').HubClient} hub */
  constructor (hub) {
    this.hub = hub;
    this.origin = globalThis.location?.origin ?? '';
  }

  /** Subscribes and reads launcher.running; returns the function that stops it. */
  start () {
    const offs = [
      this.hub.subscribe('launcher.started', (p) => this.add(p)),
      this.hub.subscribe('launcher.exited', (p) => this.add(p)),
      this.hub.subscribe('launcher.session', (p) => {
        const next = applySession(this.list, p);
        // A launch this page has not heard of (started before it listened).
        if (next === this.list) this.refresh();
        else this.list = next;
      }),
      this.hub.subscribe('launcher.hook_failed', (p) => { this.list = applyHookFailure(this.list, p); }),
    ];
    let seen = this.hub.connections;
    offs.push(this.hub.onState((state, client) => {
      if (state === 'open' && client.connections > seen) {
        seen = client.connections;
        this.refresh();
      }
    }));
    this.refresh();
    return () => { for (const off of offs) off(); };
  }

  add (launch) {
    this.list = upsertLaunch(this.list, launch);
  }

  dismiss (id) {
    this.list = dismissLaunch(this.list, id);
  }

  clearExited () {
    this.list = clearExited(this.list);
  }

  /** The log of a launch (the launch with `text`), with the page's token. */
  log (id) {
    return fetchLog(id, { origin: this.origin, token: this.hub.token });
  }

  async refresh () {
    let running;
    try {
      running = (await this.hub.request('launcher.running', {})).running ?? [];
      this.error = null;
    } catch (e) {
      // No applications addon: nothing can run, nothing to say here.
      this.error = e.code === 'no_handler' ? null : `The running applications cannot be read: ${e.message}`;
      return;
    }
    const { list, gone } = reconcileRunning(this.list, running);
    this.list = list;
    for (const id of gone) {
      try {
        const { text, truncated, ...launch } = await this.log(id);
        this.add(launch);
      } catch (e) {
        this.list = markLost(this.list, id);
      }
    }
  }
}
