// The board's tasks live in a sharedState: every tab holds the same list (last writer wins by a
// hybrid logical clock), a new tab gets it from an open tab, and `persist` keeps it in IndexedDB
// for when no tab is open. Each change also publishes an activity event, shared with the other
// tabs and recorded in history.
import { sharedState } from '@tidings/tabs'
import { bus } from '../bus.ts'
import type { DemoEvents, Task } from '../events.ts'

export const tasks = sharedState<Task[], DemoEvents>(bus, 'demo.tasks', [], {
  persist: true,
  dbName: 'tidings-demo-state',
  channel: 'tidings-demo',
  // Values from other tabs and from IndexedDB are untrusted: accept only a list of tasks.
  validate: (v): v is Task[] => Array.isArray(v) && v.every(isTask),
})

function isTask(v: unknown): v is Task {
  const t = v as Partial<Task> | null
  return typeof t === 'object' && t !== null && typeof t.id === 'string' && typeof t.title === 'string' && typeof t.done === 'boolean'
}

// Activity events are `persistent`: history stores them, and publishAsync would wait for the write.
const activity = { persistent: true, source: { component: 'task-board' } }

let counter = 0
const newId = () => `${bus.origin.slice(-4)}-${Date.now().toString(36)}-${(counter++).toString(36)}`

export function addTask(title: string): void {
  const task: Task = { id: newId(), title, done: false, by: bus.origin, updatedAt: Date.now() }
  tasks.set((list) => [...list, task])
  bus.publish('task.created', { task }, activity)
}

export function editTask(id: string, title: string): void {
  update(id, { title }, ['title'])
}

export function toggleTask(id: string): void {
  const current = tasks.get().find((t) => t.id === id)
  if (current) update(id, { done: !current.done }, ['done'])
}

export function deleteTask(id: string): void {
  const gone = tasks.get().find((t) => t.id === id)
  if (!gone) return
  tasks.set((list) => list.filter((t) => t.id !== id))
  bus.publish('task.deleted', { id, title: gone.title }, activity)
}

function update(id: string, patch: Partial<Pick<Task, 'title' | 'done'>>, changed: Array<'title' | 'done'>): void {
  let updated: Task | undefined
  tasks.set((list) =>
    list.map((t) => (t.id === id ? (updated = { ...t, ...patch, by: bus.origin, updatedAt: Date.now() }) : t)),
  )
  if (updated) bus.publish('task.updated', { task: updated, changed }, activity)
}
