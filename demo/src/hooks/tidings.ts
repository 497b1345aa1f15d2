// The demo's Tidings hooks: @tidings/react's, typed by the demo's event map and running on Preact
// (vite.config.ts aliases 'react' to 'preact/compat').
import type { ComponentChildren, FunctionComponent } from 'preact'
import type { Bus } from '@tidings/core'
import { BusProvider as ReactTypedBusProvider, typedHooks } from '@tidings/react'
import type { DemoEvents } from '../events.ts'

export { useLeader, useObservable, useSharedState } from '@tidings/react'

// typedHooks rather than `declare module '@tidings/react' { interface Register ... }`: this repo
// type-checks the demo together with @tidings/react's own tests, and a Register augmentation is
// global to the program.
export const { useEvent, useLatest, usePublish } = typedHooks<DemoEvents>()

// The repo's one TypeScript program also holds React code, so 'react' types here are React's and
// BusProvider's children would be React nodes. A Preact-only app maps 'react' to 'preact/compat'
// in its tsconfig "paths" and needs no cast; here it is made once.
export const BusProvider = ReactTypedBusProvider as unknown as FunctionComponent<{
  bus: Bus<DemoEvents>
  children?: ComponentChildren
}>
