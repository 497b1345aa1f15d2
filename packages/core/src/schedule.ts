// schedule(): publish later (delayMs), repeatedly (everyMs, times), until cancelled or shutdown
// (docs/delivery.md "schedule"). A chain of setTimeout rather than setInterval, so a slow tick never
// piles up and the last tick leaves no timer behind.
import { checkDuration, checkPositiveInt, checkTimeout, InvalidOptionError } from './delivery-options.js'
import type { ScheduledEvent, ScheduleOptions } from './types.js'

export function startSchedule(opts: ScheduleOptions, fire: () => void, cancelOnShutdown: Set<() => void>): ScheduledEvent {
  if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('schedule options', opts, '{ delayMs?, everyMs?, times? }')
  const every = opts.everyMs === undefined ? undefined : checkTimeout(opts.everyMs, 'everyMs')
  const delay = opts.delayMs === undefined ? (every ?? 0) : checkDuration(opts.delayMs, 'delayMs')
  const times = opts.times === undefined ? (every === undefined ? 1 : Infinity) : checkPositiveInt(opts.times, 'times')
  if (every === undefined && times > 1) throw new InvalidOptionError('times', times, 'everyMs as well, to repeat')

  let active = true
  let fired = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const cancel = () => {
    if (!active) return
    active = false
    clearTimeout(timer)
    timer = undefined
    cancelOnShutdown.delete(cancel)
  }
  const tick = () => {
    fired++
    // Decide about the next tick first, so `active` is already false while the last one is
    // handled and a throwing publish cannot stop the series.
    if (fired >= times) cancel()
    else timer = setTimeout(tick, every)
    fire()
  }
  timer = setTimeout(tick, delay)
  cancelOnShutdown.add(cancel)
  return {
    cancel,
    get active() {
      return active
    },
  }
}
