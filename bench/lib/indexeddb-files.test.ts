import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { indexedDbFiles } from './indexeddb-files.mjs'

const made: string[] = []
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
})

function profile(files: Record<string, number>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'idb-files-'))
  made.push(root)
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), Buffer.alloc(bytes))
  }
  return root
}

describe('indexedDbFiles', () => {
  it("lists every file of the default bucket's and other buckets' LevelDB directories, with sizes, and nothing else", () => {
    const root = profile({
      'Default/IndexedDB/http_127.0.0.1_5175.indexeddb.leveldb/000003.log': 120,
      'Default/IndexedDB/http_127.0.0.1_5175.indexeddb.leveldb/CURRENT': 16,
      'Default/IndexedDB/http_127.0.0.1_5175.indexeddb.blob/1/00/1': 500,
      'Default/WebStorage/7/IndexedDB/indexeddb.leveldb/000005.ldb': 4096,
      'Default/WebStorage/7/IndexedDB/indexeddb.leveldb/sub/x': 3,
      'Default/Cache/data_0': 999,
      'Default/Preferences': 10,
    })
    const got = indexedDbFiles(root).sort((a, b) => (a.dir + a.name).localeCompare(b.dir + b.name))
    const origin = path.join('Default', 'IndexedDB', 'http_127.0.0.1_5175.indexeddb.leveldb')
    const bucket = path.join('Default', 'WebStorage', '7', 'IndexedDB', 'indexeddb.leveldb')
    expect(got).toEqual([
      { dir: origin, name: '000003.log', bytes: 120 },
      { dir: origin, name: 'CURRENT', bytes: 16 },
      { dir: bucket, name: '000005.ldb', bytes: 4096 },
      { dir: bucket, name: 'x', bytes: 3 },
    ])
  })

  it('gives an empty list for a profile without IndexedDB, or one that does not exist', () => {
    expect(indexedDbFiles(profile({ 'Default/Preferences': 10 }))).toEqual([])
    expect(indexedDbFiles(path.join(tmpdir(), 'no-such-profile-' + Date.now()))).toEqual([])
  })
})
