// The host half of Keel's system-call fuzzer (docs/fuzzing.md). Boots a
// machine with the deterministic clock on a fresh copy of the shipped disk,
// runs user/prog/fuzz.c from the shell with a seed, and judges the kernel
// afterwards:
//   * no panic (the panic message names the function, pid and call);
//   * no hang: a watchdog on virtual time — the run must finish within a
//     virtual-time allowance that grows with the number of calls;
//   * every frame back: once every fuzz process is gone, the frames in
//     each use (user memory, page tables, kernel objects, ...) are what they
//     were before the run; only caches the kernel names may differ;
//   * the disk's fsck clean after the run, and after a power cut in the
//     middle of one (the disk is cut at a chosen block write, the machine
//     stops, and a fresh boot recovers the journal).
// Deterministic: the same seed and options give the same run, bit for bit.

import { Machine } from "../machine.js";
import { kernelModuleSync } from "../testing/machine-harness.js";
import { shippedDisk } from "../testing/disk.js";
import { MemoryBackend } from "../disk/memory.js";
import { PowerCutBackend } from "../disk/power-cut.js";
import { fsck } from "../fs/fsck.js";
import { FRAME_USES, type MemoryUsage } from "../inspect-types.js";

export interface FuzzOptions {
  seed: number;
  /** System calls made by all fuzz processes together. */
  calls: number;
  /** Live worker processes the fuzzer keeps (default: the program's, 4). */
  workers?: number;
  ramBytes?: number;
  /** Cut the disk's power at this block write (1-based) during the run. */
  cutAtWrite?: number;
  /** Virtual milliseconds allowed per 1000 calls before the run counts as hung. */
  msPerThousandCalls?: number;
  /** Run this shell command instead of the fuzzer (the driver's own tests). */
  command?: string;
  /** vCPUs (default 1; docs/architecture.md "Several vCPUs"). */
  cpus?: number;
}

export interface FuzzResult {
  seed: number;
  /** Calls the fuzzer reported (0 if it never finished). */
  calls: number;
  /** Virtual time the run took. */
  virtualMs: number;
  /** Host wall time of the run. */
  wallMs: number;
  panic: string | null;
  hung: boolean;
  /** The power was cut (cutAtWrite) and the machine stopped. */
  cut: boolean;
  /** Frames by use (the kernel's names, "free" too) before the run and
   *  after every fuzz process was gone. */
  framesBefore: Record<string, number>;
  framesAfter: Record<string, number>;
  /** What did not come back: frame uses (caches excluded) and slab caches
   *  whose objects in use differ, with the change ("user memory +3"). */
  leaks: string[];
  fsckProblems: string[];
  /** The processes after the run ("pid:ppid:name:state:wait"). */
  procs: string[];
  /** Block writes that reached the disk (for choosing cut points). */
  writes: number;
  /** Console output of the run (the fuzzer's report, kernel warnings). */
  output: string;
}

/** Frame uses that are caches: they may keep frames after the run (the
 *  block cache fills up; a slab cache keeps empty slabs, but its objects
 *  in use are compared one by one). */
const CACHE_USES: readonly string[] = ["free", "block cache", "slab caches"];
const PROMPT = /\n\$ $/;
const SLICE_MS = 20;
/** Boot and settling get this much virtual time on top of the run's allowance. */
const FIXED_ALLOWANCE_MS = 20_000;
const DEFAULT_MS_PER_THOUSAND = 2_000;

function memory(machine: Machine): MemoryUsage {
  const r = machine.inspect({ what: "memory" });
  if (r.what !== "memory") throw new Error(`inspect refused: ${r.what === "error" ? r.message : r.what}`);
  return r.memory;
}

const framesByUse = (m: MemoryUsage): Record<string, number> => ({ free: m.free, ...m.uses });

/** What differs between two memory readings, caches excepted. */
export function memoryLeaks(before: MemoryUsage, after: MemoryUsage): string[] {
  const leaks: string[] = [];
  const a = framesByUse(before), b = framesByUse(after);
  for (const use of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (CACHE_USES.includes(use)) continue;
    const delta = (b[use] ?? 0) - (a[use] ?? 0);
    if (delta !== 0) leaks.push(`${use} ${delta > 0 ? "+" : ""}${delta}`);
  }
  for (const cache of after.caches) {
    const was = before.caches.find((c) => c.id === cache.id)?.inUse ?? 0;
    if (cache.inUse !== was) leaks.push(`slab ${cache.name} ${cache.inUse > was ? "+" : ""}${cache.inUse - was} objects`);
  }
  return leaks;
}

/** The processes now, as "pid:ppid:name:state:wait" (for a report). */
function procList(machine: Machine): string[] {
  const r = machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
  return r.what === "overview" ? r.overview.procs.map((p) => `${p.pid}:${p.ppid}:${p.name}:${p.state}:${p.wait}`) : [];
}

/** Pids of the processes alive now. */
function pids(machine: Machine): Set<number> {
  const r = machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
  return new Set(r.what === "overview" ? r.overview.procs.map((p) => p.pid) : []);
}

/** Runs one seed; see the file comment for what is checked. */
export function runFuzz(options: FuzzOptions): FuzzResult {
  const started = Date.now();
  const disk = shippedDisk();
  const cutter = new PowerCutBackend(disk, options.cutAtWrite === undefined ? {} : { cutAtWrite: options.cutAtWrite });
  let out = "";
  const decoder = new TextDecoder();
  const machine = new Machine(
    kernelModuleSync(),
    { ramBytes: options.ramBytes ?? 128 * 1024 * 1024, clock: "deterministic", cmdline: "", disk: cutter, cpus: options.cpus ?? 1 },
    { uartOutput: (bytes) => (out += decoder.decode(bytes, { stream: true }).replaceAll("\r", "")) },
  );
  machine.boot();
  const allowanceNs =
    (FIXED_ALLOWANCE_MS + (options.calls / 1000) * (options.msPerThousandCalls ?? DEFAULT_MS_PER_THOUSAND)) * 1e6;
  const stopped = (): boolean => machine.state === "panicked" || machine.state === "halted";
  /** Runs until `done` or the watchdog; false on the watchdog. An idle
   *  deterministic machine skips ahead to its next wake-up, so the clock is
   *  checked after the last slice too. */
  const runUntil = (done: () => boolean): boolean => {
    while (!done()) {
      if (stopped()) return true;
      if (machine.virtualNowNs > allowanceNs) return false;
      // One run() call (one turn of every vCPU) at a time: the next command
      // is typed at the first turn that shows the prompt, whatever the host's
      // speed. runFor(SLICE_MS) let the machine run on for the rest of 20 ms
      // of wall time after the prompt (timers, other vCPUs' turns), so at 4
      // vCPUs two runs of one seed typed it at different virtual times.
      const r = machine.runFor(0);
      if (r.state === "idle" && r.wakeInMs === null && !done()) return false; // waits for input that never comes
    }
    return machine.virtualNowNs <= allowanceNs;
  };
  let hung = !runUntil(() => PROMPT.test(out));
  // A first command grows the shell's own heap and stack; a run of no calls
  // (setup and tidying only) does that, so the baseline is the shell's
  // steady state.
  if (!hung && !stopped()) {
    const warm = out.length;
    machine.input(`fuzz ${options.seed} 0\r`);
    hung = !runUntil(() => PROMPT.test(out.slice(warm)));
  }
  // The shell is idle at its prompt: the baseline.
  const memBefore = stopped() ? null : memory(machine);
  const before = stopped() ? new Set<number>() : pids(machine);
  const startNs = machine.virtualNowNs;
  const mark = out.length;
  const command = options.command ??
    `fuzz ${options.seed} ${options.calls}${options.workers === undefined ? "" : ` ${options.workers}`}`;
  if (!hung && !stopped()) {
    machine.input(`${command}\r`);
    hung = !runUntil(() => PROMPT.test(out.slice(mark)));
  }
  const virtualMs = (machine.virtualNowNs - startNs) / 1e6;
  // Orphans re-parented to init are reaped by it: give it a moment.
  if (!hung && !stopped()) hung = !runUntil(() => [...pids(machine)].every((pid) => before.has(pid)));
  if (!hung && !stopped()) for (let i = 0; i < 50 && machine.runFor(SLICE_MS).state === "running"; i++);
  const memAfter = stopped() || hung ? memBefore : memory(machine);
  const procsAfter = stopped() ? [] : procList(machine);
  const leaks = memBefore && memAfter ? memoryLeaks(memBefore, memAfter) : [];
  const report = /fuzz: seed \d+: (\d+) calls/.exec(out.slice(mark));
  const cut = machine.state === "halted";
  let image = disk.image();
  if (cut) image = recover(image);
  const fsckProblems = fsck(image).problems.map((p) => (typeof p === "string" ? p : JSON.stringify(p)));
  return {
    seed: options.seed,
    calls: report ? Number(report[1]) : 0,
    virtualMs,
    wallMs: Date.now() - started,
    panic: machine.state === "panicked" ? machine.panicText : null,
    hung,
    cut,
    framesBefore: memBefore ? framesByUse(memBefore) : {},
    framesAfter: memAfter ? framesByUse(memAfter) : {},
    leaks,
    fsckProblems,
    procs: procsAfter,
    writes: cutter.writesSeen,
    output: out.slice(mark),
  };
}

/** Boots once on a crashed disk image (the kernel replays its journal at
 *  mount and reclaims orphans), then returns the disk. */
function recover(image: Uint8Array): Uint8Array {
  const disk = new MemoryBackend(image, shippedDisk().blocks);
  const machine = new Machine(
    kernelModuleSync(),
    { ramBytes: 64 * 1024 * 1024, clock: "deterministic", cmdline: "", disk },
    { uartOutput: () => {} },
  );
  machine.boot();
  for (let i = 0; i < 500; i++) {
    const r = machine.runFor(SLICE_MS);
    if (r.state !== "running" && (r.state !== "idle" || r.wakeInMs === null)) break;
  }
  if (machine.state === "panicked") throw new Error(`kernel panic while recovering a crashed disk: ${machine.panicText}`);
  return disk.image();
}

/** One line describing a result, for logs. */
export function describeResult(r: FuzzResult): string {
  const problems = [
    r.panic !== null ? `PANIC ${r.panic}` : "",
    r.hung ? "HUNG" : "",
    r.leaks.length > 0 ? `LEAK ${r.leaks.join(", ")}` : "",
    r.fsckProblems.length > 0 ? `FSCK ${r.fsckProblems.slice(0, 3).join("; ")}` : "",
  ].filter((s) => s !== "");
  return `seed ${r.seed}: ${r.calls} calls in ${r.virtualMs.toFixed(0)} virtual ms, ${r.wallMs} wall ms` +
    `${r.cut ? ", power cut" : ""}: ${problems.length === 0 ? "ok" : problems.join(" | ")}`;
}


/** User-memory frames by owner pid (to tell whose memory did not come back). */
export function userFramesByOwner(machine: Machine): Map<number, number> {
  const r = machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
  const owners = new Map<number, number>();
  if (r.what !== "overview") return owners;
  const { frames, use, owner } = r.overview.frames;
  const user = FRAME_USES.indexOf("user");
  for (let i = 0; i < frames; i++) if (use[i] === user) owners.set(owner[i]!, (owners.get(owner[i]!) ?? 0) + 1);
  return owners;
}
