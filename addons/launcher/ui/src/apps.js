// SPDX-License-Identifier: LGPL-2.1-or-later
// The launcher's applications and launches, without Svelte: what
// launcher.apps answers grouped for the page, the launches this page knows
// kept current from the launcher's events, and the log of one over REST
// (docs/protocol.md, “The launcher asks”). Every function returns new
// values and leaves its arguments as they were.

/** The name of a group for people: the label of its variants without the variant. */
export function groupLabel (app) {
  const label = app.label ?? '';
  const suffix = ` ${app.variant}`;
  if (app.variant != null && label.endsWith(suffix) && label.length > suffix.length) {
    return label.slice(0, -suffix.length);
  }
  return label || app.group || app.name;
}

/**
 * launcher.apps' list (by group, newest variant first) as groups:
 * `{group, label, host, variants, launchable, unavailable, defaultApp, why}`.
 * `defaultApp` is the name of the newest launchable variant, null when
 * none can launch; `why` then says why not (the first variant's reason).
 * The groups that can launch come first; each part keeps the catalog's
 * order.
 */
export function groupApps (apps) {
  const byName = new Map();
  for (const app of apps ?? []) {
    const name = app.group ?? String(app.name).split('/')[0];
    let group = byName.get(name);
    if (!group) {
      group = { group: name, label: groupLabel(app), host: app.host ?? null, variants: [] };
      byName.set(name, group);
    }
    group.variants.push(app);
  }
  const groups = [...byName.values()].map((g) => {
    const launchable = g.variants.filter((v) => v.launchable);
    const unavailable = g.variants.filter((v) => !v.launchable);
    return {
      ...g,
      launchable,
      unavailable,
      defaultApp: launchable[0]?.name ?? null,
      why: launchable.length > 0 ? null : whyNot(g.variants[0]),
    };
  });
  return [...groups.filter((g) => g.defaultApp), ...groups.filter((g) => !g.defaultApp)];
}

/** Why an application cannot launch, as one sentence. */
export function whyNot (app) {
  if (!app || app.launchable) return null;
  return app.why || (app.installed ? `${app.label} cannot launch here` : `${app.label} is not installed here`);
}

/** The payload of launcher.launch for `app` (a name) and a tracker task. */
export function launchRequest (app, task, { newWorkfile = false } = {}) {
  const payload = { app, project: task.project, context: task.context_path, task: task.name };
  if (newWorkfile) payload.new_workfile = true;
  return payload;
}

// --- Launches ------------------------------------------------------------

/**
 * How a launch stands: `{state, label, failed}`. `state` is `running`
 * (started, its DCC not yet on the hub), `connected` (launcher.session
 * came), `exited`; `failed` when it ended with a status other than 0 or
 * by a signal.
 */
export function launchState (launch) {
  if (launch.state !== 'exited') {
    return launch.session ? { state: 'connected', label: 'connected', failed: false }
      : { state: 'running', label: 'running', failed: false };
  }
  if (launch.signal != null) return { state: 'exited', label: `killed by signal ${launch.signal}`, failed: true };
  if (launch.status == null) return { state: 'exited', label: 'ended', failed: false };
  return { state: 'exited', label: `exited ${launch.status}`, failed: launch.status !== 0 };
}

function startedMs (launch) {
  const t = Date.parse(launch.started_at ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Newest started first. */
function sorted (list) {
  return [...list].sort((a, b) => startedMs(b) - startedMs(a));
}

/**
 * `list` with `launch` in it (added, or merged over the one of its id).
 * What the page learnt stays: an exited launch does not become running
 * again from an older message, a session already seen is kept, and so
 * are the hook failures heard.
 */
export function upsertLaunch (list, launch) {
  if (!launch?.launch) return list;
  const old = list.find((l) => l.launch === launch.launch);
  if (!old) return sorted([...list, { hookFailures: [], ...launch }]);
  const merged = { ...old, ...launch, hookFailures: old.hookFailures ?? [] };
  if (old.state === 'exited' && launch.state !== 'exited') {
    for (const key of ['state', 'status', 'signal', 'ended_at']) merged[key] = old[key];
  }
  if (!launch.session && old.session) merged.session = old.session;
  return sorted(list.map((l) => (l === old ? merged : l)));
}

/** `list` with the DCC's session of a launcher.session event; the same list for a launch it does not hold. */
export function applySession (list, { launch, session } = {}) {
  if (!list.some((l) => l.launch === launch)) return list;
  return list.map((l) => (l.launch === launch ? { ...l, session } : l));
}

/** `list` with a launcher.hook_failed event on its launch. */
export function applyHookFailure (list, { launch, stage, message } = {}) {
  return list.map((l) => (l.launch === launch
    ? { ...l, hookFailures: [...(l.hookFailures ?? []), { stage, message }] } : l));
}

/**
 * `list` after a re-read of launcher.running (after a reconnection, or at
 * the start): every running launch merged in, and `gone`, the ids the page
 * held as running that are no longer: they ended while it was not
 * listening (ask the log route how).
 */
export function reconcileRunning (list, running) {
  const ids = new Set((running ?? []).map((l) => l.launch));
  const gone = list.filter((l) => l.state !== 'exited' && !ids.has(l.launch)).map((l) => l.launch);
  let next = list;
  for (const launch of running ?? []) next = upsertLaunch(next, launch);
  return { list: next, gone };
}

/** `list` with the launch `id` marked as ended, how unknown (the server no longer has it). */
export function markLost (list, id) {
  return list.map((l) => (l.launch === id && l.state !== 'exited'
    ? { ...l, state: 'exited', status: null, signal: null, lost: true } : l));
}

/** `list` without `id`. */
export function dismissLaunch (list, id) {
  return list.filter((l) => l.launch !== id);
}

/** `list` without the launches that ended. */
export function clearExited (list) {
  return list.filter((l) => l.state !== 'exited');
}

/** A launch's place: `/sq010/sh010 · anim`, with the project first when asked. */
export function launchWhere (launch, { project = false } = {}) {
  const where = `${launch.context ?? ''} · ${launch.task ?? ''}`;
  return project && launch.project ? `${launch.project} ${where}` : where;
}

function pad (n) {
  return String(n).padStart(2, '0');
}

/** The local time of an ISO date as HH:MM:SS; '—' without one, the text as it is when it is no date. */
export function formatClock (iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// --- The log -----------------------------------------------------------

/** A sentence as the end of another: its first letter small (not an acronym's), no final stop. */
function clause (sentence) {
  const text = String(sentence).trim().replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

/** The REST route of a launch's log on the page's server. */
export function logUrl (origin, id) {
  return `${origin}/api/launcher/log/${encodeURIComponent(id)}`;
}

/**
 * GET /api/launcher/log/{id} with the token: the launch with `text` (the
 * end of its log) and `truncated`. Rejects with an Error of one sentence:
 * the server's own for an error answer.
 */
export async function fetchLog (id, { origin, token, fetch = globalThis.fetch } = {}) {
  let answer;
  try {
    answer = await fetch(logUrl(origin, id), {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
    });
  } catch (e) {
    throw new Error(`The log cannot be read: Qi does not answer at ${origin}.`);
  }
  let body = null;
  try {
    body = await answer.json();
  } catch (e) { /* not JSON: said below */ }
  if (!answer.ok) {
    const message = body?.error?.message;
    throw new Error(message ? `The log cannot be read: ${clause(message)}.`
      : `The log cannot be read: the server answered ${answer.status}.`);
  }
  if (!body || typeof body.text !== 'string') throw new Error('The log cannot be read: the server answered no text.');
  return body;
}
