// Where scripts/consumer-test.mjs puts the throwaway app. Outside the repo on purpose: inside it,
// Node would resolve packages through the repo's node_modules and hide a missing dependency.
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const CONSUMER_APP = join(tmpdir(), 'tidings-consumer-app')
