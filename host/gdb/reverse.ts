// Reverse execution for the GDB server (gdb's reverse-stepi, reverse-step,
// reverse-continue; docs/debugging.md): whole-machine snapshots taken while
// a process is debugged, kept in a bounded ring, plus a log of everything
// given to the machine since the oldest of them, each entry at the run()
// call it came before. With the deterministic clock a machine is a pure
// function of its state and that input (host/replay.ts), so restoring a
// snapshot and replaying the log reproduces history exactly; the kernel
// stops the debugged process at an exact *position* (instructions retired
// plus system calls completed, proc/debug.ts debugRunTo), so the replay
// can end at any earlier instant: one instruction back, or the last hit of
// a breakpoint or watchpoint, found by replaying with the breakpoints gdb
// has now as *notes* (machine/debug.ts) that record hits without stopping.
//
// The whole machine goes back, not only the debugged process: other
// processes, the clock, the disk (an UndoDisk under the block device), and
// whatever they did after that instant is done again as the machine runs
// forward; the console shows such output again. Going back abandons the
// future: the log after that point and the snapshots after the one
// replayed from are dropped, and the machine runs on from the past. Only
// console input typed in that future is kept: it is given to the machine
// again at once, as if typed ahead (what the program reads next).
//
// In realtime mode history cannot be replayed (the clock is the wall's):
// History refuses to start, and the server does not offer reverse
// execution to gdb.

import type { KernelDebugExports, Machine, MachineSavedState } from "../machine.js";
import type { RewindToken, UndoDisk } from "../disk/undo.js";

/** Defaults: snapshots kept, and run() calls (up to 2M instructions each) between periodic ones. */
export const DEFAULT_SNAPSHOTS = 16;
export const DEFAULT_INTERVAL_RUNS = 32;
/** RAM is compared with the previous snapshot and kept in chunks of this many bytes. */
export const CHUNK_BYTES = 16 * 1024;
const NOTE_WATCH = 2;

export interface HistoryOptions {
  /** Snapshots kept in the ring (at least 1). */
  snapshots?: number;
  /** run() calls between periodic snapshots while the debugged process runs (at least 1). */
  intervalRuns?: number;
}

interface Snapshot {
  boot: number;
  run: number;
  /** The debugged process's position (proc/debug.ts). */
  position: bigint;
  state: MachineSavedState;
  ramLength: number;
  /** RAM, CHUNK_BYTES at a time; a chunk equal to the previous snapshot's is the same array. */
  chunks: Uint8Array[];
  /** Bytes of chunks this snapshot holds that the one before it does not share. */
  ownBytes: number;
  diskEpoch: number;
  /** Log entries from this index on come after the snapshot. */
  logIndex: number;
}

/** One thing given to the machine between run() calls. */
interface Entry {
  run: number;
  apply(machine: Machine, kernel: KernelDebugExports): void;
  /** Console input typed (given again if going back abandons it). */
  input?: Uint8Array;
}

export interface Point {
  kind: "break" | "watch";
  addr: bigint;
  len: number;
  /** Watch kind 1 write, 2 read, 3 access; 0 for a breakpoint. */
  watchKind: number;
}

export type ReverseResult =
  /** Stopped earlier in history: at the previous instruction, or a hit. */
  | { kind: "stop"; hit: { kind: "break" } | { kind: "watch"; watchKind: number; addr: bigint } | null }
  /** At the oldest instant history holds (gdb: replaylog:begin). */
  | { kind: "begin" }
  | { kind: "error"; message: string };

export interface HistoryStats {
  snapshots: number;
  /** Bytes of RAM copies held by the ring, and of old disk blocks. */
  ramBytes: number;
  diskBytes: number;
  /** Bytes of RAM the newest snapshot holds of its own. */
  newestOwnBytes: number;
  logEntries: number;
  oldestPosition: bigint | null;
}

const ZERO_CHUNK = new Uint8Array(CHUNK_BYTES);

/** Node's memcmp, where there is one (the page compares in a loop). */
const nodeCompare = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer?.compare;

function sameChunk(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  if (nodeCompare !== undefined) return nodeCompare(a, b) === 0;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Bytes of the chunks of s that the snapshot before it does not share (zero chunks cost nothing). */
function ownBytesOf(s: Snapshot, before: Snapshot | undefined): number {
  let n = 0;
  for (let i = 0; i < s.chunks.length; i++) {
    const c = s.chunks[i]!;
    if (c !== ZERO_CHUNK && c !== before?.chunks[i]) n += c.length;
  }
  return n;
}

export class History {
  private readonly ring: Snapshot[] = [];
  private log: Entry[] = [];
  private readonly maxSnapshots: number;
  private readonly intervalRuns: number;
  /** True while history replays: nothing given then is recorded. */
  private replaying = false;
  /** The disk rewinds of the reverse operation in progress, to undo if it fails. */
  private rewinds: RewindToken[] = [];

  constructor(
    private readonly machine: Machine,
    private readonly disk: UndoDisk | null,
    options: HistoryOptions = {},
  ) {
    if (machine.config.clock !== "deterministic") throw new Error("reverse execution needs the deterministic clock (--clock deterministic)");
    this.maxSnapshots = Math.max(1, Math.floor(options.snapshots ?? DEFAULT_SNAPSHOTS));
    this.intervalRuns = Math.max(1, Math.floor(options.intervalRuns ?? DEFAULT_INTERVAL_RUNS));
    if (machine.block.disk !== null && machine.block.disk !== disk) {
      throw new Error("reverse execution needs the machine's disk behind an UndoDisk");
    }
    machine.inputTap = (bytes) => {
      const copy = bytes.slice();
      this.record((m) => m.input(copy), copy);
    };
  }

  private kernel(): KernelDebugExports | null {
    return this.machine.debugInterface();
  }

  /** Records something given to the machine now (a debugger operation; input is tapped). */
  record(apply: (machine: Machine, kernel: KernelDebugExports) => void, input?: Uint8Array): void {
    if (this.replaying || this.ring.length === 0) return;
    this.log.push({ run: this.machine.runsSinceBoot, apply, ...(input !== undefined ? { input } : {}) });
  }

  /** Forgets everything (the session ended, or the machine rebooted). */
  clear(): void {
    this.ring.length = 0;
    this.log = [];
    if (this.disk !== null) this.disk.forget(Number.MAX_SAFE_INTEGER);
  }

  get stats(): HistoryStats {
    return {
      snapshots: this.ring.length,
      ramBytes: this.ring.reduce((n, s) => n + s.ownBytes, 0),
      diskBytes: this.disk?.keptBytes ?? 0,
      newestOwnBytes: this.ring[this.ring.length - 1]?.ownBytes ?? 0,
      logEntries: this.log.length,
      oldestPosition: this.ring[0]?.position ?? null,
    };
  }

  /** After every slice (and after attaching): a snapshot when one is due. */
  afterSlice(): void {
    if (this.replaying) return;
    const k = this.kernel();
    if (k === null || k.debugSession() <= 0) {
      if (this.ring.length > 0) this.clear();
      return;
    }
    const last = this.ring[this.ring.length - 1];
    const boots = this.machine.stats().boots;
    if (last !== undefined && last.boot !== boots) this.clear();
    const newest = this.ring[this.ring.length - 1];
    const position = k.debugPosition();
    if (newest === undefined) {
      this.snapshot();
      return;
    }
    // Also while the process waits (its position stays): going back past the
    // wait then replays from near its end, not from its start.
    if (this.machine.runsSinceBoot - newest.run >= this.intervalRuns) this.snapshot();
  }

  /** Takes a snapshot now (between slices). */
  snapshot(): void {
    const k = this.kernel();
    if (k === null || k.debugSession() <= 0) return;
    const { state, ram } = this.machine.saveState();
    const previous = this.ring[this.ring.length - 1];
    const chunks: Uint8Array[] = [];
    for (let at = 0, i = 0; at < ram.length; at += CHUNK_BYTES, i++) {
      const live = ram.subarray(at, Math.min(ram.length, at + CHUNK_BYTES));
      const before = previous !== undefined && previous.ramLength === ram.length ? previous.chunks[i]! : ZERO_CHUNK;
      if (sameChunk(live, before)) {
        chunks.push(before);
      } else {
        chunks.push(live.slice());
      }
    }
    const snapshot: Snapshot = {
      boot: state.boots, run: state.runs, position: k.debugPosition(), state, ramLength: ram.length, chunks, ownBytes: 0,
      diskEpoch: this.disk?.mark() ?? 0, logIndex: this.log.length,
    };
    const beforePrevious = this.ring[this.ring.length - 2];
    if (previous !== undefined && previous.run === snapshot.run && previous.boot === snapshot.boot) {
      // The same instant with more given since (a stop, then a breakpoint set): the newer one serves.
      this.ring[this.ring.length - 1] = snapshot;
    } else if (previous !== undefined && beforePrevious !== undefined && previous.position === snapshot.position &&
        beforePrevious.position === snapshot.position) {
      // A third at the same position (the process waits): keep the first and the newest only.
      this.ring[this.ring.length - 1] = snapshot;
    } else {
      this.ring.push(snapshot);
    }
    snapshot.ownBytes = ownBytesOf(snapshot, this.ring[this.ring.length - 2]);
    while (this.ring.length > this.maxSnapshots) {
      const dropped = this.ring.shift()!;
      const oldest = this.ring[0]!;
      oldest.ownBytes = ownBytesOf(oldest, undefined);
      dropped.chunks.length = 0;
      this.disk?.forget(oldest.diskEpoch);
      const cut = oldest.logIndex;
      this.log = this.log.slice(cut);
      for (const s of this.ring) s.logIndex -= cut;
    }
  }

  /** gdb's bs: back to the position before this one. */
  reverseStep(): ReverseResult {
    return this.reverseTo(null);
  }

  /** Back to an earlier position (null: the one before this one); one
   *  before history begins goes to its beginning ("begin"). The page's
   *  timeline scrubber goes back with it. */
  reverseTo(position: bigint | null): ReverseResult {
    return this.guarded((k) => {
      const now = k.debugPosition();
      const oldest = this.ring[0]!;
      const target = position ?? now - 1n;
      if (target >= now) return { kind: "error", message: "that position is not in the past" };
      if (now <= oldest.position) return { kind: "begin" };
      if (target < oldest.position) {
        this.goTo(0, oldest.position, null);
        return { kind: "begin" };
      }
      this.goTo(this.latestAtOrBefore(target), target, null);
      return { kind: "stop", hit: null };
    });
  }

  /** gdb's bc: back to the last hit of one of `points` before now, or to the beginning of history. */
  reverseContinue(points: readonly Point[]): ReverseResult {
    return this.guarded((k) => {
      let end = k.debugPosition();
      for (let i = this.latestBefore(end); i >= 0; i--) {
        const from = this.ring[i]!;
        if (from.position >= end) continue;
        if (points.length > 0) {
          const note = this.scan(i, end, points);
          if (note !== null) {
            this.goTo(i, note.position, null);
            return { kind: "stop", hit: note.kind === NOTE_WATCH ? { kind: "watch", watchKind: note.watchKind, addr: note.addr } : { kind: "break" } };
          }
        }
        end = from.position;
      }
      this.goTo(0, this.ring[0]!.position, null);
      return { kind: "begin" };
    });
  }

  /** Index of the newest snapshot at or before position `pos` (the oldest if none). */
  private latestAtOrBefore(pos: bigint): number {
    for (let i = this.ring.length - 1; i >= 0; i--) if (this.ring[i]!.position <= pos) return i;
    return 0;
  }

  private latestBefore(pos: bigint): number {
    for (let i = this.ring.length - 1; i >= 0; i--) if (this.ring[i]!.position < pos) return i;
    return -1;
  }

  /** Runs a reverse operation with the present kept: if it fails, the machine is put back as it was. */
  private guarded(op: (k: KernelDebugExports) => ReverseResult): ReverseResult {
    const k = this.kernel();
    if (k === null || k.debugSession() <= 0) return { kind: "error", message: "no process is debugged" };
    if (k.debugStopped() !== 1) return { kind: "error", message: "the process is running" };
    if (this.ring.length === 0) return { kind: "error", message: "no history yet" };
    const newest = this.ring[this.ring.length - 1]!;
    const atPresent = newest.boot === this.machine.stats().boots && newest.run === this.machine.runsSinceBoot && newest.logIndex === this.log.length;
    if (!atPresent) this.snapshot(); // the present, to come back to if anything goes wrong
    const present = this.ring[this.ring.length - 1]!;
    const ring = [...this.ring];
    const log = [...this.log];
    this.rewinds = [];
    try {
      return op(k);
    } catch (error) {
      // Back to the present: RAM and state from its snapshot, the disk by undoing each rewind, newest first.
      this.machine.rewindState(present.state, present.ramLength, (ram) => {
        for (let i = 0; i < present.chunks.length; i++) ram.set(present.chunks[i]!, i * CHUNK_BYTES);
      });
      for (let i = this.rewinds.length - 1; i >= 0; i--) this.disk?.undoRewind(this.rewinds[i]!);
      this.ring.length = 0;
      this.ring.push(...ring);
      this.log = log;
      return { kind: "error", message: error instanceof Error ? error.message : String(error) };
    } finally {
      this.rewinds = [];
      this.replaying = false;
      this.machine.setInputSchedule(null);
      this.machine.flushOutput();
      this.machine.outputMuted = false;
      this.kernel()?.debugTakeEvent(); // the replay's stops are not gdb's business
    }
  }

  private restore(s: Snapshot): void {
    this.machine.rewindState(s.state, s.ramLength, (ram) => {
      for (let i = 0; i < s.chunks.length; i++) ram.set(s.chunks[i]!, i * CHUNK_BYTES);
    });
    if (this.disk !== null) this.rewinds.push(this.disk.rewind(s.diskEpoch));
  }

  /** Drops the snapshots after ring[i] and the log after it. */
  private truncateAfter(i: number): void {
    this.ring.length = i + 1;
  }

  /**
   * Restores ring[index] and replays the log until the debugged process is
   * at position `target` (at or after the snapshot's); with `notes`, the
   * given breakpoints and watchpoints record their hits on the way. Returns
   * the run() calls replayed.
   */
  private replay(index: number, target: bigint, notes: readonly Point[] | null): void {
    const s = this.ring[index]!;
    this.replaying = true;
    this.machine.outputMuted = true;
    this.restore(s);
    const k = this.kernel();
    if (k === null || k.debugSession() <= 0) throw new Error("the snapshot holds no debugging session");
    if (notes !== null) {
      k.debugNotesClear();
      for (const p of notes) {
        const r = p.kind === "break" ? k.debugNote(BigInt.asIntN(64, p.addr), 0n, 0) : k.debugNote(BigInt.asIntN(64, p.addr), BigInt(p.len), p.watchKind);
        if (r !== 0) throw new Error(`cannot look for the ${p.kind === "break" ? "breakpoint" : "watchpoint"} at 0x${p.addr.toString(16)} in history`);
      }
    }
    if (target === s.position) return;
    const hits = k.debugRunToHits();
    if (k.debugRunTo(BigInt.asIntN(64, target)) !== 0) throw new Error("history does not reach that far");
    let next = s.logIndex;
    const log = this.log;
    const machine = this.machine;
    machine.setInputSchedule({
      beforeRun: (m) => {
        const kernel = m.debugInterface()!;
        while (next < log.length && log[next]!.run <= m.runsSinceBoot) log[next++]!.apply(m, kernel);
      },
      pending: () => next < log.length,
    });
    // The target lies before the present: a replay that gets past the present's run() count has diverged.
    const limit = this.ring[this.ring.length - 1]!.run;
    for (;;) {
      const report = machine.runFor(0);
      const kernel = machine.debugInterface();
      if (kernel === null || kernel.debugSession() <= 0) throw new Error("the debugged process is gone in the replay");
      if (kernel.debugStopped() === 1 && kernel.debugRunToHits() !== hits && kernel.debugPosition() === target) return;
      if (report.state === "halted" || report.state === "panicked") throw new Error(`the machine ${report.state} in the replay`);
      if (report.state === "idle" && next >= log.length) throw new Error("the replay went idle before reaching that instant (history diverged)");
      if (machine.runsSinceBoot > limit) throw new Error("the replay ran past the present (history diverged)");
    }
  }

  /** Replays ring[index] to target and makes that the present. */
  private goTo(index: number, target: bigint, notes: readonly Point[] | null): void {
    const s = this.ring[index]!;
    this.replay(index, target, notes);
    // Everything after the stop did not happen; a replay from an older
    // snapshot must stop here too, so the run-to is history now.
    const stopRun = this.machine.runsSinceBoot - 1;
    let keep = s.logIndex;
    while (keep < this.log.length && this.log[keep]!.run <= stopRun) keep++;
    // Console input typed in the abandoned future was typed all the same: it is given again, now.
    const typed = this.log.slice(keep).flatMap((e) => (e.input !== undefined ? [e.input] : []));
    this.log.length = keep;
    if (target !== s.position) {
      const arm = BigInt.asIntN(64, target);
      this.log.splice(s.logIndex, 0, { run: s.run, apply: (_m, kernel) => { kernel.debugRunTo(arm); } });
      // Stops that history armed and had not reached by now belong to the abandoned future.
      this.kernel()!.debugRunToClear();
      this.log.push({ run: this.machine.runsSinceBoot, apply: (_m, kernel) => { kernel.debugRunToClear(); } });
    }
    this.truncateAfter(index);
    this.replaying = false;
    this.snapshot();
    for (const bytes of typed) this.machine.input(bytes); // recorded by the tap, after the new snapshot
  }

  /** Replays ring[index] to `end` with notes; the last hit before `end`, if any. */
  private scan(index: number, end: bigint, points: readonly Point[]): { position: bigint; kind: number; watchKind: number; addr: bigint } | null {
    this.replay(index, end, points);
    const k = this.kernel()!;
    const found = k.debugNotes() > 0 && k.debugNotePos() < end
      ? { position: k.debugNotePos(), kind: k.debugNoteKind(), watchKind: k.debugNoteWatchKind(), addr: BigInt.asUintN(64, k.debugNoteAddr()) }
      : null;
    k.debugNotesClear();
    return found;
  }
}
