#!/usr/bin/env node
// The consumer test (part of `npm test`): what a user gets from the tarballs, outside this repo.
// 1. Build and `npm pack` every package.
// 2. Make a throwaway app from create-vite's vanilla-ts template (its tsconfig unchanged) in the
//    OS temp dir, so nothing resolves through this repo's node_modules; copy e2e/consumer/app over
//    it and install the tarballs plus rxjs.
// 3. tsc --noEmit with the template's tsconfig, then with every strict flag and skipLibCheck off,
//    then under node16 resolution; vite build.
// 4. Plain Node 20 ESM import of core, and of nats without and with WebSocket; publint and @arethetypeswrong/cli on every tarball.
// e2e/tests/consumer.spec.ts then drives the built app in Chromium (CONSUMER_APP, below).
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONSUMER_APP } from '../e2e/consumer/paths.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PACKS = path.join(ROOT, '.packs')
const PACKAGES = ['core', 'tabs', 'worker', 'history', 'devtools', 'react', 'nats']
const require = createRequire(import.meta.url)

function run(cmd, args, cwd, label = `${cmd} ${args.join(' ')}`) {
  const started = Date.now()
  try {
    const out = execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } })
    console.log(`consumer: ok   ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    return out
  } catch (e) {
    console.error(`consumer: FAIL ${label}\n${e.stdout ?? ''}${e.stderr ?? ''}`)
    process.exit(1)
  }
}

// 1. build and pack
run('npm', ['run', 'pack', '--silent'], ROOT, 'npm run pack (build + npm pack of every package)')
const tarballs = PACKAGES.map((p) => {
  const file = readdirSync(PACKS).find((f) => f.startsWith(`tidings-${p}-`) && f.endsWith('.tgz'))
  if (!file) throw new Error(`no tarball for @tidings/${p} in ${PACKS}`)
  return path.join(PACKS, file)
})
for (const t of tarballs) {
  const listing = run('tar', ['-tzf', t], ROOT, `tar -tzf ${path.basename(t)}`).trim().split('\n')
  const stray = listing.filter((f) => !/^package\/(dist\/.+|README\.md|LICENSE|package\.json)$/.test(f) || /\.test\.|test-fixtures|test-helpers|tsbuildinfo/.test(f))
  if (stray.length) {
    console.error(`consumer: FAIL ${path.basename(t)} ships files outside dist/README/LICENSE: ${stray.join(', ')}`)
    process.exit(1)
  }
  if (!listing.includes('package/dist/index.js') || !listing.includes('package/dist/index.d.ts')) {
    console.error(`consumer: FAIL ${path.basename(t)} lacks dist/index.js or dist/index.d.ts`)
    process.exit(1)
  }
}

// 2. the app, from the template
const template = path.join(path.dirname(require.resolve('create-vite/package.json')), 'template-vanilla-ts')
rmSync(CONSUMER_APP, { recursive: true, force: true })
mkdirSync(path.dirname(CONSUMER_APP), { recursive: true })
cpSync(template, CONSUMER_APP, { recursive: true })
renameSync(path.join(CONSUMER_APP, '_gitignore'), path.join(CONSUMER_APP, '.gitignore'))
rmSync(path.join(CONSUMER_APP, 'src', 'counter.ts'))
const templateTsconfig = readFileSync(path.join(CONSUMER_APP, 'tsconfig.json'), 'utf8')
cpSync(path.join(ROOT, 'e2e', 'consumer', 'app'), CONSUMER_APP, { recursive: true })
if (readFileSync(path.join(CONSUMER_APP, 'tsconfig.json'), 'utf8') !== templateTsconfig) throw new Error('the template tsconfig.json must stay unchanged')
const pkg = JSON.parse(readFileSync(path.join(CONSUMER_APP, 'package.json'), 'utf8'))
pkg.name = 'tidings-consumer-app'
writeFileSync(path.join(CONSUMER_APP, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, 'rxjs@^7.8.0', 'react@^19', 'react-dom@^19', '@types/react@^19', '@types/react-dom@^19'], CONSUMER_APP, `npm install <${tarballs.length} tarballs> rxjs react react-dom (+ the template's vite and typescript)`)

// One rxjs in the app: the packages take it as a peer dependency.
const rxjsCopies = run('find', ['node_modules', '-name', 'package.json', '-path', '*/rxjs/package.json', '-not', '-path', '*/rxjs/*/*'], CONSUMER_APP, 'find rxjs copies').trim().split('\n').filter(Boolean)
if (rxjsCopies.length !== 1) {
  console.error(`consumer: FAIL expected one rxjs in the app, found ${rxjsCopies.length}: ${rxjsCopies.join(', ')}`)
  process.exit(1)
}
console.log('consumer: ok   one copy of rxjs in the app')

// 3. types and build
const tsc = path.join(CONSUMER_APP, 'node_modules', '.bin', 'tsc')
run(tsc, ['--noEmit', '-p', 'tsconfig.json'], CONSUMER_APP, "tsc --noEmit (the template's tsconfig, unchanged)")
run(tsc, ['--noEmit', '-p', 'tsconfig.strict.json'], CONSUMER_APP, 'tsc --noEmit -p tsconfig.strict.json (every strict flag, skipLibCheck false, bundler resolution)')
run(tsc, ['-p', 'tsconfig.node16.json'], CONSUMER_APP, 'tsc -p tsconfig.node16.json (node16 resolution, emitting)')
run(path.join(CONSUMER_APP, 'node_modules', '.bin', 'vite'), ['build'], CONSUMER_APP, 'vite build')
const assets = readdirSync(path.join(CONSUMER_APP, 'dist', 'assets'))
if (!assets.some((f) => f.startsWith('pool-worker') && f.endsWith('.js'))) {
  console.error(`consumer: FAIL vite build emitted no pool-worker chunk: ${assets.join(', ')}`)
  process.exit(1)
}

// 4. Node, publint, attw
cpSync(path.join(ROOT, 'e2e', 'consumer', 'node-check.mjs'), path.join(CONSUMER_APP, 'node-check.mjs'))
process.stdout.write(run('node', ['node-check.mjs'], CONSUMER_APP, 'node node-check.mjs (plain Node ESM import of @tidings/core)'))
// @tidings/nats in plain Node: without a global WebSocket (Node 20), and with one.
cpSync(path.join(ROOT, 'e2e', 'consumer', 'node-nats-check.mjs'), path.join(CONSUMER_APP, 'node-nats-check.mjs'))
for (const flags of typeof WebSocket === 'undefined' ? [[], ['--experimental-websocket']] : [[]])
  process.stdout.write(run('node', [...flags, 'node-nats-check.mjs'], CONSUMER_APP, `node ${[...flags, 'node-nats-check.mjs'].join(' ')} (@tidings/nats where it cannot connect)`))
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name)
for (const t of tarballs) {
  run(bin('publint'), ['run', '--strict', t], ROOT, `publint --strict ${path.basename(t)}`)
  // ESM only by design: the esm-only profile leaves out the CommonJS resolution modes.
  run(bin('attw'), [t, '--profile', 'esm-only', '--format', 'table-flipped'], ROOT, `attw --profile esm-only ${path.basename(t)}`)
}
if (!existsSync(path.join(CONSUMER_APP, 'dist', 'index.html'))) throw new Error('vite build wrote no dist/index.html')
console.log(`consumer: the built app is in ${CONSUMER_APP}; e2e/tests/consumer.spec.ts drives it`)
