// Plain Node 20 ESM, no bundler: the built @tidings/core (and its globs entry) import and work.
// Run by scripts/consumer-test.mjs from inside the consumer app, so it resolves the installed tarballs.
import assert from 'node:assert/strict'
import { createBus, GlobsNotLoadedError } from '@tidings/core'

const bus = createBus({ name: 'node' })
const seen = []
bus.subscribe('order.*', (e) => seen.push(`glob:${e.type}:${e.data.id}`))
bus.subscribe('order.**', async (e) => seen.push(`queued:${e.type}`), { queue: { max: 10, strategy: 'drop-newest' } })
assert.throws(() => bus.subscribe('{order,audit}.created', () => {}), GlobsNotLoadedError)
const receipt = bus.publish('order.created', { id: 7 })
assert.equal(receipt.matched, 2)
const reply = bus.reply('math.double', (e) => e.data * 2)
assert.equal(await bus.request('math.double', 21), 42)
reply.unsubscribe()
await new Promise((r) => setTimeout(r, 10))
assert.deepEqual(seen, ['glob:order.created:7', 'queued:order.created'])

await import('@tidings/core/globs')
const braces = []
bus.subscribe('{order,audit}.created', (e) => braces.push(e.type))
bus.publish('audit.created')
assert.deepEqual(braces, ['audit.created'])
await bus.shutdown()
console.log('node-check: @tidings/core works in plain Node ESM', process.version)
