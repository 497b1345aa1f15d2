// "Published from": the stack the agent captured inside publish() (connectDevtools({ trace: true })),
// the caller's frames first. Inside DevTools a frame opens its file at that line in the Sources
// panel (chrome.devtools.panels.openResource); in a normal tab (no chrome.devtools) it is text.
import { useState } from 'preact/hooks'
import { callerFrames, shortUrl, type Frame } from './stack.ts'

function open(f: Frame, done: (text: string) => void): void {
  const panels = globalThis.chrome?.devtools?.panels
  if (!panels?.openResource) return done('Open this panel in DevTools to jump to the source.')
  // openResource takes a 0-based line; V8 prints 1-based lines.
  panels.openResource(f.url, f.line - 1, f.col - 1, () => done(`Opened ${shortUrl(f.url)}:${f.line} in Sources.`))
}

export function CallSite({ stack }: { stack: string }) {
  const { frames, hidden } = callerFrames(stack)
  const [note, setNote] = useState<string | undefined>()
  const [all, setAll] = useState(false)
  const shown = all ? frames : frames.slice(0, 8)
  return (
    <section data-testid="detail-stack">
      <h3>Published from</h3>
      {frames.length === 0 ? (
        <p class="muted">No frames (Error.stackTraceLimit is too low to reach the caller).</p>
      ) : (
        <ol class="frames">
          {shown.map((f, i) => (
            <li key={i}>
              <a
                href="#"
                onClick={(ev) => (ev.preventDefault(), open(f, setNote))}
                title={`${f.url}:${f.line}:${f.col}`}
                data-testid="stack-frame"
                data-url={f.url}
                data-line={f.line}
              >
                <span class="fn">{f.fn || '(anonymous)'}</span> <span class="muted">{shortUrl(f.url)}:{f.line}:{f.col}</span>
              </a>
            </li>
          ))}
        </ol>
      )}
      {frames.length > shown.length && (
        <button class="linkish" onClick={() => setAll(true)}>
          {frames.length - shown.length} more frames
        </button>
      )}
      {hidden > 0 && <p class="muted small">{hidden} frames inside Tidings hidden.</p>}
      {note && (
        <p class="note" data-testid="stack-note">
          {note}
        </p>
      )}
    </section>
  )
}
