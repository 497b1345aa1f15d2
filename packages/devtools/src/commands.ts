// What the agent does with a command from the panel. Kept apart from the session plumbing: it
// only needs the bus, the replay buffer and a way to pause, and it answers with a result instead
// of throwing (nothing the panel sends is ever thrown into the app).
import type { Bus, TidingsEvent } from '@tidings/core'
import type { Command, WireError } from './protocol.js'
import type { ReplayBuffer } from './replay-buffer.js'
import { REDACTED } from './sanitize.js'
import { wireError } from './to-wire-item.js'

export interface CommandHost {
  bus: Bus
  replay: ReplayBuffer
  /** Applies a session setting: pause, resume, per-handler timing on/off. */
  set(command: Extract<Command, { op: 'pause' | 'resume' | 'timing' }>): void
  /** Maps the pending events (a replay looks for its event in the replay buffer, filled then). */
  flush(): void
  /** Posts a snapshot (after a command that changed what it shows). */
  snapshot(): void
}

export type CommandOutcome = { ok: true; eventId?: string } | { ok: false; error: WireError }

const BY = 'tidings-devtools'

/** Runs `command`, hands its outcome to `answer`, then posts a snapshot when the command changed
 *  what one shows (anything but publish and replay). connect.ts loads this module with import()
 *  on the first command. */
export function handleCommand(host: CommandHost, command: Command, answer: (r: CommandOutcome) => void): void {
  const op = command.op
  // Events still pending are not in the replay buffer yet (it is filled when they are read).
  if (op === 'replay') host.flush()
  answer(runCommand(host, command))
  if (op !== 'publish' && op !== 'replay') host.snapshot()
}

export function runCommand(host: CommandHost, command: Command): CommandOutcome {
  try {
    switch (command.op) {
      case 'publish': {
        const opts: Record<string, unknown> = { source: { component: BY }, metadata: { ...command.metadata, publishedBy: BY } }
        if (command.correlationId !== undefined) opts['correlationId'] = command.correlationId
        if (command.causationId !== undefined) opts['causationId'] = command.causationId
        return { ok: true, eventId: host.bus.publish(command.type, command.data, opts).id }
      }
      case 'replay':
        return replay(host, command.eventId, command.event)
      case 'pause':
      case 'resume':
      case 'timing':
        host.set(command)
        return { ok: true }
      case 'snapshot':
        return { ok: true }
    }
  } catch (err) {
    return { ok: false, error: wireError(err) }
  }
}

function replay(host: CommandHost, eventId: string, panelCopy: TidingsEvent | undefined): CommandOutcome {
  const original = host.replay.get(eventId) ?? panelCopy
  // The panel sends its copy only when nothing was cut; the REDACTED check is the page's own guard.
  if (!original || (original === panelCopy && JSON.stringify(original).includes(JSON.stringify(REDACTED))))
    return {
      ok: false,
      error: { name: 'ReplayError', message: `Event ${eventId} is no longer held by the page (see replayBufferBytes); the panel's copy is cut.` },
    }
  const input: Record<string, unknown> = {
    type: original.type,
    data: original.data,
    metadata: { ...original.metadata, replayOf: original.id, publishedBy: BY },
  }
  if (original.correlationId !== undefined) input['correlationId'] = original.correlationId
  if (original.causationId !== undefined) input['causationId'] = original.causationId
  if (original.source !== undefined) input['source'] = original.source
  return { ok: true, eventId: host.bus.publish(input as { type: string }).id }
}
