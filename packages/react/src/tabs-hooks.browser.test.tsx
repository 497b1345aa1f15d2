/** @jsxImportSource react */
// useSharedState and useLeader against the real @tidings/tabs in Chromium: BroadcastChannel
// reaches the other channel objects of the same page, and Web Locks are per origin, so two
// sharedState()s or two electLeader()s in this page behave like two tabs.
import { act, useState, type ReactNode } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBus } from '@tidings/core'
import { electLeader, sharedState, type LeaderElection, type SharedState } from '@tidings/tabs'
import { useLeader, useSharedState } from './index.js'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c()
})

function mount(ui: ReactNode): { el: HTMLElement; root: Root } {
  const el = document.createElement('div')
  document.body.append(el)
  const root = createRoot(el)
  act(() => root.render(ui))
  cleanups.push(() => {
    act(() => root.unmount())
    el.remove()
  })
  return { el, root }
}

let n = 0
const noop = () => {}
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${n++}`

function tab<T>(key: string, initial: T): SharedState<T> {
  const state = sharedState(createBus({ name: 'tab' }), key, initial, { peerWaitMs: 0 })
  cleanups.push(() => state.close())
  return state
}

function candidate(name: string): LeaderElection {
  const e = electLeader(name)
  cleanups.push(() => e.close())
  return e
}

/** Polls until the element's text is `text` (the value crosses a BroadcastChannel, a task away). */
async function textBecomes(el: HTMLElement, text: string): Promise<void> {
  await vi.waitFor(() => expect(el.textContent).toBe(text), { timeout: 5000 })
}

describe('useSharedState', () => {
  it('renders the value, sets it in every tab, and re-renders on a set from another tab', async () => {
    const key = unique('count')
    const here = tab(key, 0)
    const there = tab(key, 0)
    await Promise.all([here.ready, there.ready])
    const setters: unknown[] = []
    let rerender: (n: number) => void = noop
    function Counter() {
      const [, setN] = useState(0)
      rerender = setN
      const [count, setCount] = useSharedState(here)
      setters.push(setCount)
      return <button onClick={() => setCount((c) => c + 1)}>{count}</button>
    }
    const { el } = mount(<Counter />)
    expect(el.textContent).toBe('0')

    act(() => el.querySelector('button')?.click())
    expect(el.textContent).toBe('1')
    expect(here.get()).toBe(1)
    await vi.waitFor(() => expect(there.get()).toBe(1), { timeout: 5000 })

    there.set(10) // "the other tab"
    await textBecomes(el, '10')
    act(() => el.querySelector('button')?.click())
    expect(el.textContent).toBe('11')

    act(() => rerender(1))
    expect(new Set(setters).size).toBe(1) // set keeps its identity
  })

  it('the server render shows the current value', () => {
    const state = tab(unique('ssr'), 'initial')
    function Value() {
      return <i>{useSharedState(state)[0]}</i>
    }
    expect(renderToString(<Value />)).toBe('<i>initial</i>')
  })
})

function Badge({ election, label }: { election: LeaderElection; label: string }) {
  return <span>{`${label}:${useLeader(election) ? 'leader' : 'follower'}`}</span>
}

describe('useLeader', () => {
  it('is true in the leading tab, false in the other, and follows a handover', async () => {
    const name = unique('lead')
    const first = candidate(name)
    await first.whenLeader()
    const second = candidate(name)
    const { el } = mount(
      <>
        <Badge election={first} label="a" />
        <Badge election={second} label="b" />
      </>,
    )
    expect(el.textContent).toBe('a:leaderb:follower')
    await act(async () => {
      await first.close()
      await second.whenLeader()
    })
    expect(el.textContent).toBe('a:followerb:leader')
  })

  it('is false on the server', () => {
    const election = candidate(unique('lead-ssr'))
    function Flag() {
      return <>{String(useLeader(election))}</>
    }
    expect(renderToString(<Flag />)).toBe('false')
  })
})
