import { describe, expect, it } from 'vitest'
import {
  CONNECT_REQUEST,
  EXPORT_FORMAT,
  type WireItem,
  isCommand,
  isWireItem,
  msg,
  parseBatchItems,
  parseExport,
  parseFromAgent,
  parseToAgent,
  parseToContent,
  parseToPanel,
  readMessage,
} from './protocol.js'

const event = { id: 'o:1', type: 'a.b', timestamp: 1, version: 1, data: { x: 1 }, origin: 'o', seq: 1 }
const receipt = { id: 'o:1', matched: 1, delivered: 1, queued: 0, dropped: 0, rejected: 0 }
const publish: WireItem = { kind: 'publish', at: 1, event: event as never, ctx: { origin: 'o' }, receipt }
const sub = { id: 's1', patterns: ['a.*'], kind: 'handler', priority: 0, received: 0, handled: 0, dropped: 0, rejected: 0, errors: 0, queued: 0, maxQueued: 0 }
const agent = { name: 'n', bus: 'b', origin: 'o', url: 'http://x', protocol: 1, maxEventsPerSecond: 10, paused: false }

describe('protocol validators', () => {
  it('accepts every well-formed message', () => {
    expect(parseToAgent(msg({ kind: 'hello', nonce: 'n', leaseMs: 10 }))).toBeDefined()
    expect(parseToAgent(msg({ kind: 'ping', nonce: 'n' }))).toBeDefined()
    expect(parseToAgent(msg({ kind: 'bye', nonce: 'n' }))).toBeDefined()
    expect(parseToAgent(msg({ kind: 'command', nonce: 'n', id: 'c', command: { op: 'snapshot' } }))).toBeDefined()
    expect(parseFromAgent(msg({ kind: 'announce', name: 'x' }))).toBeDefined()
    expect(parseFromAgent(msg({ kind: 'ready', nonce: 'n', agent: agent as never }))).toBeDefined()
    expect(parseFromAgent(msg({ kind: 'batch', nonce: 'n', at: 1, items: '[]', skipped: 0 }))).toBeDefined()
    expect(
      parseFromAgent(msg({ kind: 'snapshot', nonce: 'n', at: 1, subscriptions: [sub as never], stats: { published: 1, delivered: 1, dropped: 0, rejected: 0, errors: 0, subscriptions: 1 }, paused: false, contexts: [{ origin: 'o', events: 1, lastAt: 1, self: true }] })),
    ).toBeDefined()
    expect(parseFromAgent(msg({ kind: 'result', nonce: 'n', id: 'c', ok: false, error: { name: 'E', message: 'm' } }))).toBeDefined()
    expect(parseToPanel(msg({ kind: 'status', state: 'no-agent', url: '', rejected: 2 }))).toBeDefined()
    expect(parseToPanel(msg({ kind: 'pipe', page: 'connected' }))).toBeDefined()
    expect(parseToContent(msg({ kind: 'panel-command', id: 'c', command: { op: 'publish', type: 'a.b', data: 1 } }))).toBeDefined()
  })

  it('rejects untagged, wrong-version, wrong-direction and malformed messages', () => {
    expect(parseToAgent({ type: 'hello', nonce: 'n', leaseMs: 10 })).toBeUndefined()
    expect(parseToAgent({ tag: 'tidings.devtools', v: 2, kind: 'hello', nonce: 'n', leaseMs: 10 })).toBeUndefined()
    expect(parseToAgent(msg({ kind: 'hello', nonce: '', leaseMs: 10 }))).toBeUndefined()
    expect(parseToAgent(msg({ kind: 'hello', nonce: 'n', leaseMs: 0 }))).toBeUndefined()
    expect(parseToAgent(msg({ kind: 'announce', name: 'x' }))).toBeUndefined()
    expect(parseFromAgent(msg({ kind: 'hello', nonce: 'n', leaseMs: 10 }))).toBeUndefined()
    expect(parseFromAgent({ ...msg({ kind: 'batch', nonce: 'n', at: 1, items: '[]', skipped: 0 }), items: [] })).toBeUndefined()
    expect(parseFromAgent({ ...msg({ kind: 'ready', nonce: 'n', agent: agent as never }), agent: { ...agent, protocol: 2 } })).toBeUndefined()
    expect(parseToPanel(msg({ kind: 'announce', name: 'x' }))).toBeUndefined()
    expect(parseToContent(msg({ kind: 'ping', nonce: 'n' }))).toBeUndefined()
    expect(parseToAgent(null)).toBeUndefined()
    expect(parseToAgent('hello')).toBeUndefined()
  })

  it('validates commands and items field by field', () => {
    expect(isCommand({ op: 'publish', type: 5 })).toBe(false)
    // topic rules are the bus's job: it answers with InvalidTopicError
    expect(isCommand({ op: 'publish', type: 'a b' })).toBe(true)
    expect(isCommand({ op: 'publish', type: 'a.b', metadata: [] })).toBe(false)
    expect(isCommand({ op: 'replay', eventId: 'x', event: { ...event, version: 2 } })).toBe(false)
    expect(isCommand({ op: 'eval', code: '1' })).toBe(false)
    expect(isCommand({ op: 'timing', on: true })).toBe(true)
    expect(isCommand({ op: 'timing', on: false })).toBe(true)
    expect(isCommand({ op: 'timing' })).toBe(false)
    expect(isCommand({ op: 'timing', on: 'yes' })).toBe(false)
    // timing is optional in the agent's info and snapshot (older agents omit it), boolean if present
    expect(parseFromAgent(msg({ kind: 'ready', nonce: 'n', agent: { ...agent, timing: true } as never }))).toBeDefined()
    expect(parseFromAgent(msg({ kind: 'ready', nonce: 'n', agent: { ...agent, timing: 1 } as never }))).toBeUndefined()
    const snap = msg({ kind: 'snapshot', nonce: 'n', at: 1, subscriptions: [], stats: { published: 1, delivered: 1, dropped: 0, rejected: 0, errors: 0, subscriptions: 1 }, paused: false })
    expect(parseFromAgent({ ...snap, timing: false })).toBeDefined()
    expect(parseFromAgent({ ...snap, timing: 'on' })).toBeUndefined()
    expect(isWireItem(publish)).toBe(true)
    expect(isWireItem({ ...publish, event: { ...event, type: 'a..b' } })).toBe(false)
    expect(isWireItem({ kind: 'deliver', at: 1, eventId: 'e', sub: 's', ms: 0.1, attempt: 1 })).toBe(true)
    expect(isWireItem({ kind: 'deliver', at: 1, eventId: 'e', sub: 's', ms: 'x', attempt: 1 })).toBe(false)
    expect(isWireItem({ kind: 'subscribe', at: 1, subscription: { ...sub, kind: 'magic' } })).toBe(false)
    expect(isWireItem({ kind: 'error', at: 1, eventId: 'e', type: 't', sub: 's', error: { name: 'E', message: 'm' }, attempt: 1, final: true })).toBe(true)
  })

  it('parses batch items and export files, counting invalid items', () => {
    expect(parseBatchItems(JSON.stringify([publish]))).toEqual([publish])
    expect(parseBatchItems('not json')).toBeUndefined()
    expect(parseBatchItems(JSON.stringify([publish, { kind: 'nope' }]))).toBeUndefined()
    const check = parseExport({ format: EXPORT_FORMAT, v: 1, exportedAt: 5, items: [publish, { kind: 'x' }, 3] })
    expect(check.ok && check.invalid).toBe(2)
    expect(check.ok && check.file.items).toEqual([publish])
    expect(parseExport({ format: 'other', v: 1, items: [] })).toEqual({ ok: false, reason: `not a ${EXPORT_FORMAT} file` })
    expect(parseExport({ format: EXPORT_FORMAT, v: 9, items: [] }).ok).toBe(false)
  })

  it("speaks the one Tidings convention { tag, v, kind } and classifies what is not a message of it", () => {
    expect(msg({ kind: 'ping', nonce: 'n' })).toEqual({ tag: 'tidings.devtools', v: 1, kind: 'ping', nonce: 'n' })
    expect(CONNECT_REQUEST).toEqual({ tag: 'tidings.devtools', v: 1, kind: 'connect-request' })
    expect(readMessage(msg({ kind: 'ping', nonce: 'n' }))).toMatchObject({ status: 'ok', kind: 'ping' })
    // the convention before this version, another protocol's message, an app's: not ours
    expect(readMessage({ source: 'tidings-devtools', v: 1, type: 'hello', nonce: 'n', leaseMs: 10 })).toEqual({ status: 'foreign' })
    expect(readMessage({ tag: 'tidings.tabs', v: 1, kind: 'hello' })).toEqual({ status: 'foreign' })
    expect(parseToAgent({ source: 'tidings-devtools', v: 1, type: 'hello', nonce: 'n', leaseMs: 10 })).toBeUndefined()
    // ours but unreadable: malformed (counted by receivers), never an exception
    expect(readMessage({ tag: 'tidings.devtools', v: 2, kind: 'hello' }).status).toBe('malformed')
    expect(readMessage({ tag: 'tidings.devtools', v: 1 }).status).toBe('malformed')
    const hostile = {
      tag: 'tidings.devtools',
      v: 1,
      get kind(): string {
        throw new Error('gotcha')
      },
    }
    expect(readMessage(hostile)).toMatchObject({ status: 'malformed', reason: expect.stringContaining('gotcha') })
    expect(parseToAgent(hostile)).toBeUndefined()
  })
})
