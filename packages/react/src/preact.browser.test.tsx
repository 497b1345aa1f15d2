/** @jsxImportSource preact */
// The same hooks under Preact. An app aliases `react` to `preact/compat` in its bundler (see the
// demo's vite.config.ts); here vi.mock does the aliasing for this file only: every `import ...
// from 'react'` of the hooks (they import nothing else from React) gets preact/compat, and the
// components render with Preact's own render() and act(). Vitest's browser mode runs each test
// file with its own module graph, so the React test files next to this one keep real React.
import { render, type ComponentChildren, type FunctionComponent } from 'preact'
import { useLayoutEffect, useMemo, useState } from 'preact/hooks'
import { act } from 'preact/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBus, type Bus } from '@tidings/core'
import { electLeader, sharedState } from '@tidings/tabs'
import { BusProvider as ReactTypedBusProvider, typedHooks, useLeader, useObservable, useSharedState } from './index.js'

vi.mock('react', async () => await import('preact/compat'))

type Events = { ping: { n: number }; 'child.said': { n: number } }
const { useEvent, useLatest, usePublish } = typedHooks<Events>()
const noop = () => {}
// The one cast: this repo type-checks React and Preact code in one program, where `react` types
// are React's. A Preact app maps `react` to `preact/compat` in its tsconfig `paths` and has
// BusProvider accept Preact children as they are.
const BusProvider = ReactTypedBusProvider as unknown as FunctionComponent<{ bus: Bus<Events>; children?: ComponentChildren }>

const roots: HTMLElement[] = []
afterEach(() => {
  for (const el of roots.splice(0)) {
    act(() => render(null, el))
    el.remove()
  }
})

function mount(ui: preact.ComponentChild): HTMLElement {
  const el = document.createElement('div')
  document.body.append(el)
  roots.push(el)
  act(() => render(ui, el))
  return el
}

function unmount(el: HTMLElement): void {
  act(() => render(null, el))
}

function newBus(): Bus<Events> {
  return createBus<Events>({ name: 'preact-test' })
}

function PublishingChild() {
  const publish = usePublish()
  useLayoutEffect(() => {
    publish('child.said', { n: 2 })
  }, [publish])
  publish('child.said', { n: 1 })
  return null
}

describe('the hooks under preact/compat', () => {
  it('really run on Preact', async () => {
    const react = await import('react')
    const compat = await import('preact/compat')
    expect(react.useState).toBe(compat.useState)
  })

  it('useEvent: one subscription, latest handler, none after unmount; children publishing in render and layout effect reach it', () => {
    const bus = newBus()
    const seen: string[] = []
    let rerender: (n: number) => void = noop
    function Parent() {
      const [gen, setGen] = useState(0)
      rerender = setGen
      useEvent('child.said', (e) => {
        seen.push(`gen ${gen} got ${e.data.n}`)
      })
      return <PublishingChild />
    }
    const el = mount(
      <BusProvider bus={bus}>
        <Parent />
      </BusProvider>,
    )
    expect(seen).toEqual(['gen 0 got 1', 'gen 0 got 2'])
    const ids = bus.subscriptions().map((s) => s.id)
    expect(ids).toHaveLength(1)
    // PublishingChild renders again and publishes 1 (its layout effect does not re-run) before the
    // parent's new render commits, so the handler committed last (gen 0) gets it.
    act(() => rerender(1))
    bus.publish('child.said', { n: 3 })
    expect(seen).toEqual(['gen 0 got 1', 'gen 0 got 2', 'gen 0 got 1', 'gen 1 got 3'])
    expect(bus.subscriptions().map((s) => s.id)).toEqual(ids)
    unmount(el)
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('useLatest and useObservable(bus.on()) re-render on events', () => {
    const bus = newBus()
    function View() {
      const last = useLatest('ping')
      const pings$ = useMemo(() => bus.on('ping'), [])
      const viaRx = useObservable(pings$, undefined)
      return <span>{`${last?.data.n ?? '-'}/${viaRx?.data.n ?? '-'}`}</span>
    }
    const el = mount(
      <BusProvider bus={bus}>
        <View />
      </BusProvider>,
    )
    expect(el.textContent).toBe('-/-')
    expect(bus.subscriptions()).toHaveLength(2)
    act(() => void bus.publish('ping', { n: 4 }))
    expect(el.textContent).toBe('4/4')
    unmount(el)
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('useSharedState and useLeader with the real tabs package', async () => {
    const key = `preact-${Date.now().toString(36)}`
    const here = sharedState(createBus(), key, 'a', { peerWaitMs: 0 })
    const there = sharedState(createBus(), key, 'a', { peerWaitMs: 0 })
    const election = electLeader(key)
    try {
      await Promise.all([here.ready, there.ready, election.whenLeader()])
      function View() {
        const [value, set] = useSharedState(here)
        const leads = useLeader(election)
        return <button onClick={() => set((v) => v + '!')}>{`${value} ${leads ? 'leader' : 'follower'}`}</button>
      }
      const el = mount(<View />)
      expect(el.textContent).toBe('a leader')
      act(() => el.querySelector('button')?.click())
      expect(el.textContent).toBe('a! leader')
      await vi.waitFor(() => expect(there.get()).toBe('a!'), { timeout: 5000 })
      act(() => void there.set('b'))
      await vi.waitFor(() => expect(el.textContent).toBe('b leader'), { timeout: 5000 })
      await act(async () => {
        await election.close()
      })
      expect(el.textContent).toBe('b follower')
    } finally {
      here.close()
      there.close()
      await election.close()
    }
  })
})
