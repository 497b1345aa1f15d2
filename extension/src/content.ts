// Content script (isolated world, document_start, built as a standalone IIFE). It bridges the page
// agent (window.postMessage) and the panel (a port through the background worker), and it is the
// gatekeeper: only messages that pass the protocol validators and carry this session's nonce (made
// here, in the isolated world) reach the panel, and only panel commands reach the page.
import {
  type AgentInfo,
  type StatusMsg,
  type ToAgentMsg,
  CONNECT_REQUEST,
  PAGE_PORT,
  msg,
  parseFromAgent,
  parseToContent,
  readMessage,
} from '@tidings/devtools/protocol'

const LEASE_MS = 15_000
const PING_MS = 5_000
const NO_AGENT_AFTER_MS = 1_500

let port: chrome.runtime.Port | undefined
let nonce: string | undefined
let agent: AgentInfo | undefined
let state: StatusMsg['state'] = 'waiting'
let rejected = 0
let reportedRejected = 0
let pingTimer: ReturnType<typeof setInterval> | undefined
let noAgentTimer: ReturnType<typeof setTimeout> | undefined
let lastRehello = 0

const toPage = (m: ToAgentMsg) => window.postMessage(m, '*')

function newNonce(): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

function status(next: StatusMsg['state']): void {
  state = next
  reportedRejected = rejected
  const m: StatusMsg = msg({ kind: 'status', state, url: location.href, rejected })
  if (agent) m.agent = agent
  port?.postMessage(m)
}

function hello(): void {
  if (!nonce) return
  toPage(msg({ kind: 'hello', nonce, leaseMs: LEASE_MS }))
  clearTimeout(noAgentTimer)
  noAgentTimer = setTimeout(() => {
    if (!agent) status('no-agent')
  }, NO_AGENT_AFTER_MS)
}

function open(): void {
  if (port) {
    // Another panel joined: tell it where we are.
    status(state)
    return
  }
  try {
    port = chrome.runtime.connect({ name: PAGE_PORT })
  } catch {
    return // extension reloaded under this page: this script is orphaned
  }
  nonce = newNonce()
  agent = undefined
  port.onMessage.addListener((raw: unknown) => {
    const m = parseToContent(raw)
    if (!m || !nonce) return
    toPage(msg({ kind: 'command', nonce, id: m.id, command: m.command }))
  })
  port.onDisconnect.addListener(close)
  status('waiting')
  hello()
  pingTimer = setInterval(() => {
    if (nonce) toPage(msg({ kind: 'ping', nonce }))
    if (rejected !== reportedRejected) status(state)
  }, PING_MS)
}

function close(): void {
  if (nonce) toPage(msg({ kind: 'bye', nonce }))
  port = undefined
  nonce = undefined
  agent = undefined
  clearInterval(pingTimer)
  clearTimeout(noAgentTimer)
}

const present = () => window.postMessage(msg({ kind: 'present' }), '*')

window.addEventListener('message', (e: MessageEvent) => {
  if (e.source !== window) return
  const t = readMessage(e.data)
  if (t.status === 'foreign') return
  if (!port || !nonce) {
    // Panel closed: the only thing to do is to tell a starting agent that the extension is
    // installed, so it records what happens before the panel opens.
    if (t.status === 'ok' && t.kind === 'announce') present()
    return
  }
  if (t.status === 'malformed') {
    rejected++ // our tag, but another version or no kind
    return
  }
  switch (t.kind) {
    case 'ping':
    case 'bye':
    case 'command':
      return // our own posts (or the page imitating them; the agent checks the nonce)
    case 'hello':
      // A hello we did not send would move the agent to a nonce we do not know; take it back
      // (at most once a second, so a hostile page cannot make us spin).
      if (t.msg['nonce'] !== nonce) {
        rejected++
        if (Date.now() - lastRehello > 1000) {
          lastRehello = Date.now()
          agent = undefined
          hello()
        }
      }
      return
    case 'announce':
      if (!agent) hello()
      return
    case 'present':
      return // our own post
  }
  const m = parseFromAgent(e.data)
  if (!m || m.kind === 'announce' || m.nonce !== nonce) {
    rejected++
    return
  }
  if (m.kind === 'ready') {
    agent = m.agent
    clearTimeout(noAgentTimer)
    status('connected')
  }
  port.postMessage(m)
})

// At document_start no agent exists yet, so this one is usually unheard; an agent that starts
// later announces itself and gets its own answer above.
present()

chrome.runtime.onMessage.addListener((m: unknown) => {
  const t = readMessage(m)
  if (t.status === 'ok' && t.kind === CONNECT_REQUEST.kind) open()
})
