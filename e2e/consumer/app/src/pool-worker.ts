// The pool's worker script, built by Vite from the app as a module worker.
import { registerHandlers } from '@tidings/worker'

registerHandlers({
  square(event) {
    const { n } = event.data as { n: number }
    return n * n
  },
})
