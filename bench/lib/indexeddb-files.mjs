// What IndexedDB holds on disk in a Chromium profile, for disk benchmarks (browser-runner.mjs
// exposes it to the page): Chromium keeps each origin's (and each storage bucket's) IndexedDB in a
// LevelDB directory, `<origin>.indexeddb.leveldb` for the default bucket and
// `WebStorage/<id>/IndexedDB/indexeddb.leveldb` for the others.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

/** Files of every `*indexeddb.leveldb` directory under `root`: [{ dir, name, bytes }] (`dir`: the
 *  LevelDB directory relative to the profile; one per origin and storage bucket). Files that
 *  vanish mid-walk (LevelDB compacting) are skipped. */
export function indexedDbFiles(root) {
  const out = []
  const walk = (dir, db) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p, db ?? (e.name.endsWith('indexeddb.leveldb') ? path.relative(root, p) : undefined))
      else if (db !== undefined && e.isFile()) {
        try {
          out.push({ dir: db, name: e.name, bytes: statSync(p).size })
        } catch {
          // removed by a compaction between readdir and stat
        }
      }
    }
  }
  walk(root, undefined)
  return out
}
