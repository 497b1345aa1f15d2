// Builds the MV3 extension into extension/dist (npm run build -w @tidings/extension).
import { crx } from '@crxjs/vite-plugin'
import { fileURLToPath } from 'node:url'
import { defaultClientConditions, defineConfig } from 'vite'
import manifest from './manifest.config.ts'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

export default defineConfig({
  root: here('.'),
  resolve: { conditions: ['source', ...defaultClientConditions] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [crx({ manifest, contentScripts: { standaloneFiles: ['src/content.ts'] } })],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'chrome116',
    minify: false,
    sourcemap: false,
    // The panel is only referenced at runtime (chrome.devtools.panels.create), so name it here.
    rolldownOptions: { input: { panel: here('panel.html'), devtools: here('devtools.html') } },
  },
  logLevel: 'warn',
})
