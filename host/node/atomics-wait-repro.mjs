// A repro of Node 20's V8 (11.3) bug with memory.atomic.wait32/wait64 under
// Liftoff, its baseline WebAssembly compiler: a value Liftoff holds in a
// register on the operand stack across the wait comes back clobbered (zero)
// once the wait returns. memory.atomic.notify is not affected. TurboFan, the
// optimizing compiler, is right, so Keel runs Node with --no-liftoff
// (host/node/wasm-flags.mjs; docs/tools.md "Node's V8 flags").
//
//   node host/node/atomics-wait-repro.mjs            # wrong on Node 20
//   node --no-liftoff host/node/atomics-wait-repro.mjs
//
// prints one JSON line ({ ok, live, ring }) and exits 0 when every check
// holds, 1 when one does not. host/node/atomics-wait.test.ts runs it both
// ways, and runRepro() in the test's own process (vitest's workers get the
// flag from vitest.config.ts).
//
// Two checks, both bounded:
// * live: on this thread, `x + wait32(...)` with x computed just before the
//   wait (a timed-out and a not-equal wait; wait64 too) must give x + result.
// * ring: PEERS worker_threads over one shared WebAssembly.Memory pass a
//   turn around a ring ROUNDS times with wait32/notify; each keeps its round
//   count live across its wait. Clobbered, a worker's count jumps and it
//   leaves the ring early (a wrong count) or its peers wait for a turn that
//   never comes: a timer ends the check as a failure (a hang, reported).
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";

/** Layout in the shared page: the ring's turn, its total count of rounds. */
const TURN = 64;
const TOTAL = 68;
const WORD = 16;

const WAT = `(module
 (import "env" "memory" (memory 1 1 shared))
 (func (export "liveWait32") (param $x i64) (param $addr i32) (param $expected i32) (result i64)
   (i64.add (i64.add (local.get $x) (i64.const 1))
     (i64.extend_i32_u (memory.atomic.wait32 (local.get $addr) (local.get $expected) (i64.const 0)))))
 (func (export "liveWait64") (param $x i64) (param $addr i32) (param $expected i64) (result i64)
   (i64.add (i64.add (local.get $x) (i64.const 1))
     (i64.extend_i32_u (memory.atomic.wait64 (local.get $addr) (local.get $expected) (i64.const 0)))))
 (func (export "liveNotify") (param $x i64) (param $addr i32) (result i64)
   (i64.add (i64.add (local.get $x) (i64.const 1))
     (i64.extend_i32_u (memory.atomic.notify (local.get $addr) (i32.const 1)))))
 ;; Waits for the turn to be $id, ROUNDS times, passing it on to the next peer.
 (func (export "ring") (param $id i32) (param $rounds i64) (param $peers i32) (result i64)
   (local $r i64) (local $turn i32)
   (block $done
     (loop $round
       (br_if $done (i64.ge_u (local.get $r) (local.get $rounds)))
       (block $mine
         (loop $wait
           (local.set $turn (i32.atomic.load offset=${TURN} (i32.const 0)))
           (br_if $mine (i32.eq (local.get $turn) (local.get $id)))
           ;; $r + 1 sits in a register across the wait: r = (r + 1) + (0 & wait) - 1
           (local.set $r (i64.sub
             (i64.add (i64.add (local.get $r) (i64.const 1))
               (i64.extend_i32_u (i32.and
                 (memory.atomic.wait32 offset=${TURN} (i32.const 0) (local.get $turn) (i64.const -1))
                 (i32.const 0))))
             (i64.const 1)))
           (br $wait)))
       (drop (i32.atomic.rmw.add offset=${TOTAL} (i32.const 0) (i32.const 1)))
       (i32.atomic.store offset=${TURN} (i32.const 0)
         (i32.rem_u (i32.add (local.get $id) (i32.const 1)) (local.get $peers)))
       (drop (memory.atomic.notify offset=${TURN} (i32.const 0) (i32.const -1)))
       (local.set $r (i64.add (local.get $r) (i64.const 1)))
       (br $round)))
   (local.get $r))
)`;

/** The repro's module, assembled by binaryen from the text above. */
export function reproModule() {
  const module = binaryen.parseText(WAT);
  try {
    module.setFeatures(binaryen.Features.Atomics | binaryen.Features.BulkMemory);
    if (!module.validate()) throw new Error("atomics-wait repro: binaryen says the module is invalid");
    return new WebAssembly.Module(module.emitBinary());
  } finally {
    module.dispose();
  }
}

function newMemory() {
  return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
}

/** The single-thread check: every value live across a wait survives it. */
export function liveCheck(module = reproModule()) {
  const memory = newMemory();
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const base = 0x1234_5678_9an;
  const cases = [
    ["wait32 timed out", () => x.liveWait32(base, WORD, 0), 2n],
    ["wait32 not equal", () => x.liveWait32(base, WORD, 5), 1n],
    ["wait64 timed out", () => x.liveWait64(base, WORD, 0n), 2n],
    ["notify", () => x.liveNotify(base, WORD), 0n],
  ];
  return cases.map(([name, run, result]) => {
    const got = run();
    const want = base + 1n + result;
    return { name, ok: got === want, got: String(got), want: String(want) };
  });
}

/** The threaded check: PEERS workers pass the turn around ROUNDS times. */
export function ringCheck({ module = reproModule(), peers = 3, rounds = 500, timeoutMs = Number(process.env.KEEL_REPRO_TIMEOUT_MS ?? 15_000) } = {}) {
  const memory = newMemory();
  const view = new Int32Array(memory.buffer);
  return new Promise((resolve) => {
    const workers = [];
    const results = [];
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const worker of workers) void worker.terminate();
      resolve({ ...outcome, total: Atomics.load(view, TOTAL / 4), want: peers * rounds });
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: `no end after ${timeoutMs} ms (turn ${Atomics.load(view, TURN / 4)}): a wait lost its caller's round count` }),
      timeoutMs,
    );
    for (let id = 0; id < peers; id++) {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { module, memory, id, rounds, peers } });
      workers.push(worker);
      worker.on("error", (error) => finish({ ok: false, reason: `worker ${id}: ${error.message}` }));
      worker.on("message", (r) => {
        results[id] = Number(r);
        if (results.filter((v) => v !== undefined).length < peers) return;
        const total = Atomics.load(view, TOTAL / 4);
        const ok = total === peers * rounds && results.every((v) => v === rounds);
        finish({ ok, reason: ok ? "" : `rounds per worker ${results.join(",")}` });
      });
    }
  });
}

/** Both checks: { ok, live, ring }. */
export async function runRepro(options = {}) {
  const module = reproModule();
  const live = liveCheck(module);
  const ring = await ringCheck({ module, ...options });
  return { ok: live.every((c) => c.ok) && ring.ok, live, ring };
}

if (!isMainThread && workerData?.module !== undefined) {
  const { module, memory, id, rounds, peers } = workerData;
  const x = new WebAssembly.Instance(module, { env: { memory } }).exports;
  parentPort.postMessage(x.ring(id, BigInt(rounds), peers));
} else if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runRepro();
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}
