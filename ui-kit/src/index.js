// SPDX-License-Identifier: LGPL-2.1-or-later
// Qi's UI kit: import './theme.css' once, then the client and components.
export { HubClient, HubError, isValidPattern, topicMatches, backoffDelay, pageConnection } from './hub-client.js';
export { LoginSession, refreshDelay } from './session.js';
export { queryTerms, matchesTerms, filterItems, buildTree, visibleRows, windowRange } from './filter.js';
export { toast, toasts, dismiss } from './toast.svelte.js';
export { default as VirtualList } from './components/VirtualList.svelte';
export { default as Tree } from './components/Tree.svelte';
export { default as FilterList } from './components/FilterList.svelte';
export { default as StatusBadge } from './components/StatusBadge.svelte';
export { default as Progress } from './components/Progress.svelte';
export { default as Toasts } from './components/Toasts.svelte';
export { default as TitleBar } from './components/TitleBar.svelte';
export { default as ActionMenu } from './components/ActionMenu.svelte';
