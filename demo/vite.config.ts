// Vite config of the demo. In this repo @tidings/* resolve to their TypeScript source through the
// 'source' export condition (no package build step); in your app they resolve to dist as usual.
import { defaultClientConditions, defineConfig } from 'vite'

export default defineConfig({
  // Relative base: the worker chunk URLs in the build work wherever the folder is served from.
  base: './',
  resolve: {
    conditions: ['source', ...defaultClientConditions],
    // @tidings/react's hooks import 'react': Preact's compat layer provides the same hooks
    // (useSyncExternalStore, useLayoutEffect, ...), so they run on Preact with no React shipped.
    alias: [
      { find: /^react$/, replacement: 'preact/compat' },
      { find: /^react-dom$/, replacement: 'preact/compat' },
    ],
  },
  // Pre-bundle these up front, or Vite re-optimizes (and reloads) the page mid-session.
  optimizeDeps: { include: ['comlink', 'idb', 'rxjs', 'picomatch/posix.js', 'preact', 'preact/hooks', 'preact/compat'] },
  // Module workers, so the worker can `import` Tidings like the page does.
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  build: { target: 'es2022' },
})
