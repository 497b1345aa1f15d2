// Entry point. Each module wires its own part to the one bus when first imported (the tabs bridge
// in tabs/connect.ts, history in history/history.ts, the worker pool in jobs/), so this file only
// adds the DevTools agent and renders.
import { connectDevtools } from '@tidings/devtools'
import { render } from 'preact'
import { App } from './App.tsx'
import { bus } from './bus.ts'
import { BusProvider } from './hooks/tidings.ts'
import { tasks } from './tasks/store.ts'
// Across devices through a NATS server, when the build names one (npm run demo:nats).
import { nats } from './nats/connect.ts'

// Lets the Tidings DevTools extension inspect this bus; near-free until its panel is open.
connectDevtools(bus, { name: 'demo' })
nats?.status$.subscribe((s) => (document.body.dataset['nats'] = s))

// Render once the shared tasks are known (from an open tab, IndexedDB, or empty), so a new tab
// never flashes an empty board. `ready` settles within ~150 ms.
await tasks.ready.catch(() => undefined)
render(
  <BusProvider bus={bus}>
    <App />
  </BusProvider>,
  document.getElementById('app')!,
)
document.body.dataset['ready'] = 'true' // e2e tests wait for this
