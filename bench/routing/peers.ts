// The peer libraries, each used the way its docs show, with nothing added on top.
import EventEmitter2 from 'eventemitter2'
import EventEmitter3 from 'eventemitter3'
import mitt from 'mitt'
import { Subject } from 'rxjs'
import type { BenchLibrary, Listener } from './emitter.ts'

export const eventemitter3: BenchLibrary = {
  label: 'eventemitter3',
  create() {
    const ee = new EventEmitter3()
    return {
      on: (name, listener) => void ee.on(name, listener),
      publish: (name, payload) => void ee.emit(name, payload),
    }
  },
}

export const mittLibrary: BenchLibrary = {
  label: 'mitt',
  create() {
    const emitter = mitt<Record<string, unknown>>()
    return {
      on: (name, listener) => emitter.on(name, listener),
      publish: (name, payload) => emitter.emit(name, payload),
    }
  },
}

export const eventemitter2: BenchLibrary = {
  label: 'EventEmitter2 (wildcard)',
  create() {
    // Same glob shapes as Tidings for the patterns used here: `*` one segment, `**` any number.
    const ee = new EventEmitter2({ wildcard: true, delimiter: '.', maxListeners: 0 })
    return {
      on: (name, listener) => void ee.on(name, listener),
      onPattern: (pattern, listener) => void ee.on(pattern, listener),
      publish: (name, payload) => void ee.emit(name, payload),
    }
  },
}

export const rxjsSubjects: BenchLibrary = {
  label: 'RxJS Subject/name',
  create() {
    const subjects = new Map<string, Subject<unknown>>()
    return {
      on(name: string, listener: Listener) {
        let s = subjects.get(name)
        if (!s) subjects.set(name, (s = new Subject<unknown>()))
        s.subscribe(listener)
      },
      publish: (name, payload) => subjects.get(name)?.next(payload),
    }
  },
}
