// The task board: renders the shared list and turns clicks into store actions. Nothing here knows
// about tabs; the sharedState keeps every tab's list equal.
import { useState } from 'preact/hooks'
import { bus, shortOrigin } from '../bus.ts'
import type { Task } from '../events.ts'
import { useSharedState } from '../hooks/tidings.ts'
import { addTask, deleteTask, editTask, tasks, toggleTask } from './store.ts'

export function TaskBoard() {
  const [list] = useSharedState(tasks) // re-renders on a change in this tab or any other
  const [title, setTitle] = useState('')
  const submit = (e: Event) => {
    e.preventDefault()
    if (title.trim()) addTask(title.trim())
    setTitle('')
  }
  const open = list.filter((t) => !t.done).length
  return (
    <section class="panel" data-testid="tasks-panel">
      <h2>Team tasks</h2>
      <form onSubmit={submit} class="row">
        <input data-testid="task-input" value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="What needs doing?" />
        <button data-testid="task-add" type="submit">Add</button>
      </form>
      <p class="muted" data-testid="task-summary">
        {list.length} {list.length === 1 ? 'task' : 'tasks'}, {open} open
      </p>
      <ul class="tasks fill" data-testid="task-list">
        {list.map((t) => (
          <TaskRow key={t.id} task={t} />
        ))}
      </ul>
    </section>
  )
}

function TaskRow({ task }: { task: Task }) {
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState(task.title)
  const save = (e: Event) => {
    e.preventDefault()
    if (draft.trim() && draft.trim() !== task.title) editTask(task.id, draft.trim())
    setEditing(false)
  }
  return (
    <li data-testid="task" data-id={task.id} data-done={String(task.done)} class={task.done ? 'done' : ''}>
      <input type="checkbox" data-testid="task-toggle" checked={task.done} onChange={() => toggleTask(task.id)} />
      {editing ? (
        <form onSubmit={save} class="row grow">
          <input data-testid="task-edit-input" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} autofocus />
          <button data-testid="task-save" type="submit">Save</button>
        </form>
      ) : (
        <span class="grow" data-testid="task-title" onDblClick={() => (setDraft(task.title), setEditing(true))}>
          {task.title}
        </span>
      )}
      <span
        class="muted explained"
        title={`Last changed in the tab whose origin id is ${task.by}${task.by === bus.origin ? ' (this tab)' : ''}; the header shows this tab's.`}
      >
        {task.by === bus.origin ? 'this tab' : `tab ${shortOrigin(task.by)}`}
      </span>
      {!editing && <button data-testid="task-edit" onClick={() => (setDraft(task.title), setEditing(true))}>Edit</button>}
      <button data-testid="task-delete" onClick={() => deleteTask(task.id)} aria-label={`delete ${task.title}`}>✕</button>
    </li>
  )
}
