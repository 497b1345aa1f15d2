// Size budgets, checked in CI by `npm run size` (size-limit bundles the built dist/ with esbuild,
// minifies it and measures gzip). "On top of core" rows leave @tidings/core and rxjs out of the
// bundle, so they count the bridge's own code plus its own dependencies (idb, Comlink).
// Rows marked RATCHET are over their target: the limit is today's size plus a little, so CI stops
// any growth while the target stands (the README's size table says where the bytes go).
const onTopOfCore = ['@tidings/core', 'rxjs']
// What an entry costs up front: code behind import() (a part only some apps need, fetched when it is
// first used) stays out of the bundle, as a bundler puts it in a chunk of its own. Without this,
// esbuild would inline it. Rows that use it say so; the other rows count everything.
const upFront = (config) => ({
  ...config,
  plugins: [...(config.plugins ?? []), {
    name: 'leave-out-import()',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined))
    },
  }],
})
module.exports = [
  {
    name: 'createBus (publish, subscribe, on; * and ** patterns)',
    path: 'packages/core/dist/index.js',
    import: '{ createBus }',
    gzip: true,
    // RATCHET: target 15 kB; 16.15 kB measured (rxjs' Observable ~2.4 kB, every Bus method is in),
    // then 17.07 kB with issue 17's features that createBus cannot leave out: system events
    // (~0.4 kB: the $-subscriber count, systemEvent, started/shutdown/subscription events),
    // queue order 'priority' (~0.35 kB: PriorityQueue and the victim choice), queue.overflow
    // coalescing (~0.1 kB), bus.register (~0.1 kB). Decorators and lazy() are tree-shaken.
    // Then 17.56 kB with issue 15's subscription scaling (~0.43 kB: in-place route lists with
    // copy on write, exact topics stored once, the subscription's side object and its accessors,
    // one-pass pattern checks), which the subscribe-time and heap-per-subscription targets need.
    // Then ~18.3 kB: ~0.6 kB for issue 15's publish fast path and issue 14's inspection kinds
    // (the plain-bus flag and its upkeep, an inline envelope, receipt and one-route outcome in
    // publish, SyncSubscription's out-of-line full delivery, bus.inspect(observer, { kinds }) with
    // its per-kind bits and checks; 1 listener 0.22x -> 0.48x eventemitter3, a publish-only
    // inspector 240 -> 51 ns), ~0.15 kB from other core commits (request/reply, route cache).
    // Then 18.39 kB: subscribe() without per-call temporaries (registration is GC-bound: 100k
    // handlers 74-87 -> 57 ms), and a publish inspection on the fast path.
    // Then 18.48 kB: InspectOptions.sample (issue 14 D: a sampling inspector such as the DevTools
    // agent no longer makes the bus build a 'publish' inspection per publish; with the panel
    // connected publish() went from 1.9-2.6x to 1.3-1.4x its no-panel cost).
    // Then 18.64 kB: the subscription list that replaced the bus's Set and RouteIndex's check of a
    // repeated pattern (issue 15: 10,000 handlers on one topic 4.4-5.0 -> 1.6 ms, heap per
    // subscription 164 -> 146 B).
    // Then 18.89 kB: exact topics in a prototype-less table object while they are few and found,
    // a Map otherwise (exact-topics.ts; issue 15's one-listener publish 0.49 -> 0.64x
    // eventemitter3; a class of its own, whose field and method names do not minify).
    // Then 18.95 kB: issue 15's 1000 names (0.74-0.77 -> ~0.81-0.84x eventemitter3): the clock's
    // adaptive interval (clock.ts) and the interning of a new exact topic (exact-topics.ts).
    // Then 18.98 kB (18.97 kB since): publishRoutes() and publishSlow() (issue 15: past-the-cache 1k patterns
    // ~5x -> 5.4-5.7x EventEmitter2 in full runs, an unused receipt no longer allocated for unrouted topics).
    // Then 18.71 kB: the private state of the classes off the hot path (queues, retry, request/reply,
    // dispatch, inboxes, ctx) in #fields, whose names minify (docs/size.md says which keep `private`).
    limit: '18.75 kB',
  },
  {
    name: "'@tidings/core/globs' (picomatch, for ? [] {} patterns), on top of core",
    path: 'packages/core/dist/globs.js',
    import: '*',
    ignore: onTopOfCore,
    gzip: true,
    limit: '10 KB',
  },
  {
    // devalue plus the structured-clone walk (docs/encoding.md); measured 7.59 kB, limit +10%.
    name: 'the type-preserving encoding (encode/decode), on top of core',
    path: 'packages/core/dist/bridge/index.js',
    import: '{ encode, decode }',
    ignore: ['rxjs'],
    gzip: true,
    limit: '8.35 kB',
  },
  {
    name: 'connectTabs, on top of core',
    path: 'packages/tabs/dist/index.js',
    import: '{ connectTabs }',
    ignore: onTopOfCore,
    gzip: true,
    limit: '6 KB',
  },
  {
    name: 'connectWorker, on top of core',
    path: 'packages/worker/dist/index.js',
    import: '{ connectWorker }',
    ignore: onTopOfCore,
    gzip: true,
    limit: '6 KB',
  },
  {
    name: 'createWorkerPool, on top of core',
    path: 'packages/worker/dist/index.js',
    import: '{ createWorkerPool }',
    ignore: onTopOfCore,
    gzip: true,
    // Up front: what a failed call becomes on the page (pool-failure.ts: the worker's error
    // rebuilt with its fields and causes, NonErrorThrownError, the walk that names an
    // uncloneable field; ~1.9 kB) is loaded with import() on the page's first failed call.
    modifyEsbuildConfig: upFront,
    // Target 6 kB: 5.31 kB measured (Comlink ~1.65 kB). Was 6.17 kB with that reader up front,
    // 6.77 kB when the pool was a class (its field and method names do not minify).
    limit: '6 kB',
  },
  {
    name: 'openHistory, on top of core',
    path: 'packages/history/dist/index.js',
    import: '{ openHistory }',
    ignore: onTopOfCore,
    gzip: true,
    // RATCHET: target 6 kB; 12.86 kB measured (segments, migration, guarded reads, idb 1.1 kB;
    // +1.95 kB for scale: the maintained count, index-key counts and eviction, sliced reads,
    // write-time compaction). Then 13.10 kB: eviction that stops at the cut (evict.ts) and lazy
    // window merges (merge.ts), paid for by reading whole leading segments rather than deleting
    // them unread. Then 13.39 kB with reads that sift segments as they arrive and read small ones
    // by getAll (reader.ts). Up front since (issue 12): queries, counts, clear(q), replay, export, import
    // parsing and the TTL sweep (reads.ts) are loaded with import() on first use (the sweep at
    // open only when an `exp` index count finds an expired event); 9.46 kB measured, the whole in
    // the next row. Then 9.91 kB (issue 21, sparse bytes per event): wide segments for sparse
    // types (segment.ts; put.ts looks up a wide and a 10 s target in one round trip) and eviction
    // that walks a span's wide keys merged with its narrow ones by t0 (evict.ts) run on every
    // write, so they are up front (+0.44 kB).
    modifyEsbuildConfig: upFront,
    limit: '9.95 kB',
  },
  {
    name: 'openHistory with what it loads on first use (queries, export, import), on top of core',
    path: 'packages/history/dist/index.js',
    import: '{ openHistory }',
    ignore: onTopOfCore,
    gzip: true,
    // 14.04 kB measured (13.39 kB before the split: the chunk's import() wrapper costs ~0.65 kB).
    // Then 14.95 kB: wide segments (issue 21); readers that carry a wide segment's events into
    // the windows they fall in and look one up below a range's first window; counts likewise.
    limit: '15 kB',
  },
  {
    name: 'connectDevtools, on top of core',
    path: 'packages/devtools/dist/index.js',
    import: '{ connectDevtools }',
    ignore: onTopOfCore,
    gzip: true,
    // Up front: what a panel command does (commands.ts) is loaded with import() on the first one.
    modifyEsbuildConfig: upFront,
    // Back to the 6 kB target (issue 12): 5.997 kB measured, was 6.14 kB after per-handler timing
    // became opt-in (issue 14 D). Saved: commands behind import() (-0.06 kB net: esbuild's
    // helper for an import() it leaves out costs ~0.17 kB of the ~0.23 kB moved), an unused
    // protocol constant esbuild kept (-0.05 kB), the numeric options as a table.
    limit: '6 kB',
  },
  {
    name: 'connectNats, on top of core and the NATS client',
    path: 'packages/nats/dist/index.js',
    import: '{ connectNats }',
    ignore: [...onTopOfCore, '@tidings/tabs', '@nats-io/nats-core', '@nats-io/jetstream'],
    gzip: true,
    // Up front: JetStream (jetstream.ts, with the leader's resume point) and request/reply
    // (requests.ts) are loaded with import() only when their options are set (~1.5 kB each,
    // counted in the next row). 5.98 kB measured (was 8.43 kB with them in, and the bridge as a
    // class, whose field and method names do not minify). Then 4.99 kB: the sender and the
    // receiving of messages (wire-part.ts) load before the first connection, and the leader
    // decision of a page in leader mode (leader-decision.ts) after connectNats() returns. Then
    // 5.19 kB: NatsUnsupportedError, thrown at once without a global WebSocket, and the check of
    // connection.maxReconnectAttempts (the connection attempts and their error texts,
    // first-connection.ts, load with wire-part.ts).
    modifyEsbuildConfig: upFront,
    limit: '5.2 kB',
  },
  {
    // What an app adds for NATS: the bridge, electLeader and @nats-io/nats-core (~42 kB of it).
    // @nats-io/jetstream (~19 kB more) is loaded by import() only when the jetstream option is set;
    // this row counts it, and the bridge's own import()ed parts, all the same.
    name: 'connectNats with the NATS client, on top of core',
    path: 'packages/nats/dist/index.js',
    import: '{ connectNats }',
    ignore: onTopOfCore,
    gzip: true,
    // 70.72 kB measured (nats-core ~42 kB, jetstream ~19 kB of it); 71.86 kB with first-connection.ts
    // (the connection attempts and their error texts, ~0.7 kB).
    limit: '72 kB',
  },
  { name: 'useEvent + BusProvider, on top of core', path: 'packages/react/dist/index.js', import: '{ BusProvider, useEvent }', ignore: ['@tidings/core', 'rxjs', 'react', 'react-dom'], gzip: true, limit: '2 KB' },
  {
    name: 'all five packages, every export',
    path: 'scripts/size/all-packages.js',
    gzip: true,
    // RATCHET: target 35 kB; 75.2 kB measured (every export of the five packages, the encoding's
    // devalue included). Was 66.5 kB; the +8.7 kB are issue 17's features in core (decorators,
    // lazy handlers, system events, priority queues: every export counts here, unlike createBus),
    // request/reply across tabs and workers, byte-bounded bridge batches, and history's maintained
    // count, index-key counts, sliced reads and compaction (issue 21).
    // Then 77.03 kB (+1.5 kB): issue 15's publish fast path and inspection kinds in core (~0.75 kB),
    // request/reply without a per-request Map, history's cut eviction walk and lazy window merges
    // (~0.2 kB), devtools' opt-in timing (~0.1 kB), the bridge outbox's learned cost per byte.
    // Then 80.65 kB (+3.5 kB), the price of the up-front splits of issue 12 in a bundle that
    // holds everything: history's reads behind import() with a cursor reader (14.14 kB in all,
    // was 13.10), the pool's failure handling (6.92, was 6.17) and devtools' commands (6.57, was
    // 6.14) each carry an import() wrapper and lazy-init code; plus the outbox's byte ramp, tabs'
    // leaderElsewhere() and core's inspect sample (~0.4 kB). Then 81.74 kB: history's wide
    // segments for sparse types (issue 21, ~1 kB: the layout, writes, readers, counts, eviction).
    // Then 82.22 kB: core's exact-topic table (issue 15, see createBus), and an unkeyed tabs
    // bridge naming the path of an event structured clone refuses (its walk, now in core's bridge
    // layer for worker and tabs, loads with import()).
    // Then 82.30 kB: the clock's adaptive interval and interned exact topics (see createBus);
    // 82.33 kB with publishRoutes(). Then 81.13 kB: private state in #fields, whose names minify,
    // in core's classes off the hot path, the tabs, worker and NATS bridges and shared state.
    limit: '81.2 kB',
  },
  // The peers, measured the same way, for the size table in the README (no budget).
  { name: 'peer: mitt', path: 'scripts/size/peer-mitt.js', gzip: true },
  { name: 'peer: eventemitter3', path: 'scripts/size/peer-eventemitter3.js', gzip: true },
  { name: 'peer: EventEmitter2', path: 'scripts/size/peer-eventemitter2.js', gzip: true },
  { name: 'peer: RxJS Subject', path: 'scripts/size/peer-rxjs-subject.js', gzip: true },
]
