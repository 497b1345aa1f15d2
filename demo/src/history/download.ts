// Saves text as a file through a temporary object URL (no server round trip).
export function downloadText(text: string, filename: string, type = 'text/plain'): void {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([text], { type }))
  a.download = filename
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000) // after the download has started
}
