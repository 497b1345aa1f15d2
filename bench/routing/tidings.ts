// Tidings as an application uses it: subscribe(pattern, handler) and publish(type, data), which
// builds a full envelope (id, origin, seq, timestamp) per publish.
import { createBus } from '@tidings/core'
// The workload uses every glob form.
import '@tidings/core/globs'
import type { BenchLibrary } from './emitter.ts'

export const tidings: BenchLibrary = {
  label: 'Tidings',
  create() {
    const bus = createBus()
    return {
      on: (name, listener) => void bus.subscribe(name, listener),
      onPattern: (pattern, listener) => void bus.subscribe(pattern, listener),
      publish: (name, payload) => void bus.publish(name, payload),
    }
  },
}
