// Background service worker: a pipe between each tab's content script port and the panels
// inspecting that tab. It holds no state beyond the live ports themselves: when Chrome stops the
// worker every port disconnects, the panels reconnect, and a fresh connect-request reopens the
// page side, so nothing needs to survive a restart.
import { CONNECT_REQUEST, PAGE_PORT, PANEL_PORT_PREFIX, msg, readMessage, type PipeMsg } from '@tidings/devtools/protocol'

type Port = chrome.runtime.Port

/** Only devtools-tagged messages of this version are passed on; the ends validate them fully. */
const ours = (m: unknown) => readMessage(m).status === 'ok'

const pages = new Map<number, Port>()
const panels = new Map<number, Set<Port>>()

const pipe = (page: PipeMsg['page']): PipeMsg => msg({ kind: 'pipe', page })

/** chrome.runtime.Port#postMessage (not Window's: there is no target origin to give). */
function send(port: Port, m: unknown): void {
  // oxlint-disable-next-line unicorn/require-post-message-target-origin
  port.postMessage(m)
}

function requestPage(tabId: number): void {
  chrome.tabs.sendMessage(tabId, CONNECT_REQUEST, { frameId: 0 }).catch(() => {
    // No content script in that tab (opened before the extension loaded, or a chrome:// page).
    for (const p of panels.get(tabId) ?? []) send(p, pipe('disconnected'))
  })
}

function onPanel(port: Port, tabId: number): void {
  let set = panels.get(tabId)
  if (!set) panels.set(tabId, (set = new Set()))
  set.add(port)
  port.onMessage.addListener((m: unknown) => {
    const page = pages.get(tabId)
    if (page && ours(m)) send(page, m)
  })
  port.onDisconnect.addListener(() => {
    set.delete(port)
    if (set.size > 0) return
    panels.delete(tabId)
    // Nobody is inspecting this tab any more: closing the page port ends the agent's session.
    const page = pages.get(tabId)
    pages.delete(tabId)
    page?.disconnect()
  })
  if (pages.has(tabId)) send(port, pipe('connected'))
  requestPage(tabId)
}

function onPage(port: Port): void {
  const tabId = port.sender?.tab?.id
  if (tabId === undefined || port.sender?.frameId !== 0 || !panels.has(tabId)) {
    port.disconnect()
    return
  }
  const old = pages.get(tabId)
  pages.set(tabId, port)
  if (old && old !== port) old.disconnect()
  for (const p of panels.get(tabId) ?? []) send(p, pipe('connected'))
  port.onMessage.addListener((m: unknown) => {
    if (!ours(m)) return
    for (const p of panels.get(tabId) ?? []) send(p, m)
  })
  port.onDisconnect.addListener(() => {
    if (pages.get(tabId) !== port) return
    pages.delete(tabId)
    for (const p of panels.get(tabId) ?? []) send(p, pipe('disconnected'))
  })
}

chrome.runtime.onConnect.addListener((port) => {
  if (port.name === PAGE_PORT) return onPage(port)
  if (port.name.startsWith(PANEL_PORT_PREFIX)) {
    // Panels are extension pages (sender.tab is unset for the DevTools panel); content scripts
    // of web pages cannot open a panel port because the sender url must be ours.
    if (!port.sender?.url?.startsWith(`chrome-extension://${chrome.runtime.id}/`)) return port.disconnect()
    const tabId = Number(port.name.slice(PANEL_PORT_PREFIX.length))
    if (!Number.isSafeInteger(tabId) || tabId < 0) return port.disconnect()
    return onPanel(port, tabId)
  }
  port.disconnect()
})

// A navigation replaces the content script: ask the new one to connect if the tab is inspected.
chrome.tabs.onUpdated.addListener((tabId, info) => {
  if (info.status === 'complete' && panels.has(tabId) && !pages.has(tabId)) requestPage(tabId)
})
