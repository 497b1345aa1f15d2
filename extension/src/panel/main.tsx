// Panel entry. Inside DevTools the tab comes from chrome.devtools.inspectedWindow; opened as a
// normal page (chrome-extension://<id>/panel.html?tabId=N, as the e2e tests do) from the query.
import { render } from 'preact'
import { App } from './app.tsx'
import { connectPanel } from './connection.ts'
import { PanelStore } from './store.ts'
import { applyTheme } from './theme.ts'

const query = new URLSearchParams(location.search)
const fromQuery = Number(query.get('tabId'))
const tabId: number | undefined = chrome.devtools?.inspectedWindow?.tabId ?? (query.has('tabId') && Number.isSafeInteger(fromQuery) ? fromQuery : undefined)

applyTheme(query.get('theme'))
const store = new PanelStore()
const conn = tabId === undefined ? undefined : connectPanel(tabId, store)
const send = conn ? conn.send : () => Promise.reject(new Error('No tab to talk to.'))
// Handy for debugging from the panel's own console.
Object.assign(globalThis, { tidingsPanel: { store, tabId } })
render(<App store={store} send={send} tabId={tabId} />, document.getElementById('app')!)
