// The panel's port to the background worker, named by the inspected tab. Reconnects when the
// worker is stopped by Chrome (every port drops; a new connect wakes it).
import { type Command, type ResultMsg, PANEL_PORT_PREFIX, msg, parseBatchItems, parseToPanel } from '@tidings/devtools/protocol'
import type { PanelStore } from './store.ts'

export interface PanelConnection {
  send(command: Command): Promise<ResultMsg>
  close(): void
  /** Messages from the port that failed validation. */
  readonly invalid: number
}

const COMMAND_TIMEOUT_MS = 5000

export function connectPanel(tabId: number, store: PanelStore): PanelConnection {
  let port: chrome.runtime.Port | undefined
  let closed = false
  let invalid = 0
  let seq = 0
  const waiting = new Map<string, { resolve: (r: ResultMsg) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>()

  const open = () => {
    store.setPipe('connecting')
    const p = chrome.runtime.connect({ name: PANEL_PORT_PREFIX + tabId })
    port = p
    p.onMessage.addListener((raw: unknown) => {
      const m = parseToPanel(raw)
      if (!m) {
        invalid++
        return
      }
      switch (m.kind) {
        case 'pipe':
          store.setPipe(m.page)
          break
        case 'status':
          store.setPipe('connected')
          store.setStatus(m)
          break
        case 'ready':
          store.setAgent(m.agent)
          break
        case 'batch': {
          // The content script only checked tag and nonce; every item is validated here.
          const items = parseBatchItems(m.items)
          if (items) store.applyBatch({ items, skipped: m.skipped, recorded: m.recorded === true })
          else invalid++
          break
        }
        case 'snapshot':
          store.applySnapshot(m)
          break
        case 'result': {
          const w = waiting.get(m.id)
          if (w) {
            waiting.delete(m.id)
            clearTimeout(w.timer)
            w.resolve(m)
          }
          break
        }
      }
    })
    p.onDisconnect.addListener(() => {
      port = undefined
      if (closed) return
      store.setPipe('disconnected')
      setTimeout(() => !closed && !port && open(), 300)
    })
  }
  open()

  return {
    get invalid() {
      return invalid
    },
    send(command) {
      const id = `cmd-${Date.now().toString(36)}-${seq++}`
      return new Promise<ResultMsg>((resolve, reject) => {
        if (!port) return reject(new Error('Not connected to the page.'))
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new Error(`No answer from the page agent within ${COMMAND_TIMEOUT_MS} ms.`))
        }, COMMAND_TIMEOUT_MS)
        waiting.set(id, { resolve, reject, timer })
        port.postMessage(msg({ kind: 'panel-command', id, command }))
      })
    },
    close() {
      closed = true
      port?.disconnect()
    },
  }
}
