// SPDX-License-Identifier: LGPL-2.1-or-later
// Toasts: short notices in a corner that go away by themselves. Errors
// that belong to a form are shown under the form instead.

let next = 0;

/** The toasts on screen, newest last (read by Toasts.svelte). */
export const toasts = $state([]);

/** Shows `message`; kind is info, success, warning or error. Returns its id. */
export function toast (message, { kind = 'info', timeoutMs = 4000 } = {}) {
  const id = ++next;
  toasts.push({ id, message: String(message), kind });
  if (timeoutMs > 0) setTimeout(() => dismiss(id), timeoutMs);
  return id;
}

export function dismiss (id) {
  const index = toasts.findIndex((t) => t.id === id);
  if (index >= 0) toasts.splice(index, 1);
}
