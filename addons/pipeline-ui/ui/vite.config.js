// SPDX-License-Identifier: LGPL-2.1-or-later
// Built by meson (addons/pipeline-ui/meson.build) into the build tree's
// addons/pipeline-ui/ui_dist/, which `qi serve` serves at /ui/pipeline-ui/:
// relative asset paths, so the page works under any prefix.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [svelte()],
  logLevel: 'warn',
  build: {
    outDir: 'ui_dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
});
