// SPDX-License-Identifier: LGPL-2.1-or-later
// The page's one hub connection and login session.
import { HubClient, LoginSession, pageConnection } from '@qi/ui-kit';

const page = pageConnection();

export const hasToken = !!page.token;

// The shell's window token names the window's own session (sub, parent:
// the URL has `session=`); a page opened by hand with the info file's
// token names itself ui/launcher.
export const hub = new HubClient({
  url: page.url,
  token: page.token,
  healthUrl: page.healthUrl,
  name: page.parent ? null : 'ui/launcher',
});

export const session = new LoginSession(hub);

if (hasToken) hub.connect();
