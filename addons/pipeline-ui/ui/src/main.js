// SPDX-License-Identifier: LGPL-2.1-or-later
import '@qi/ui-kit/theme.css';
import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app') });
