export interface IndexedDbFile {
  /** The LevelDB directory, relative to the profile root: one per origin and storage bucket. */
  dir: string
  name: string
  bytes: number
}
/** Files of every `*indexeddb.leveldb` directory under `root` (a Chromium profile). */
export function indexedDbFiles(root: string): IndexedDbFile[]
