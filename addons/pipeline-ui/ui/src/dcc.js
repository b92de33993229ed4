// SPDX-License-Identifier: LGPL-2.1-or-later
// The page's hub connection and the DCC session it is bound to.
//
// URL: /ui/pipeline-ui/?token=…&dcc=dcc/blender/4242#/inventory — the
// DCC's session (its topics are dcc.blender.4242.TOPIC); the window
// (#/inventory, #/loader, #/publisher) after the hash.
import { HubClient, pageConnection } from '@qi/ui-kit';

const page = pageConnection();
const params = new URLSearchParams(globalThis.location.search);

export const hasToken = !!page.token;
/** The DCC session, `dcc/HOST/PID`, or null. */
export const dcc = params.get('dcc');
/** Where the DCC's own topics are: `dcc.HOST.PID.`. */
export const prefix = dcc ? dcc.replaceAll('/', '.') + '.' : '';

export const hub = new HubClient({
  url: page.url,
  token: page.token,
  healthUrl: page.healthUrl,
  name: page.parent ? null : 'ui/pipeline',
  requestTimeoutMs: 60000,
});

if (hasToken) hub.connect();

/** The address of a version's thumbnail (the publisher addon's route). */
export function thumbnailUrl (versionId) {
  return `/api/publish/thumbnails/${encodeURIComponent(versionId)}?token=${encodeURIComponent(hub.token ?? page.token ?? '')}`;
}

/** Asks the DCC the window is bound to. */
export function ask (topic, payload = {}, options = {}) {
  return hub.request(prefix + topic, payload, options);
}

/** The message of a failed request, for people. */
export function messageOf (error) {
  return error?.message ?? String(error);
}
