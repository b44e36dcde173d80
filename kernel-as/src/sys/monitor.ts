// The kernel monitor: a command line on the console for looking inside the
// running kernel. It reads bytes from the console ring, edits the line
// (backspace/DEL, Ctrl-U, Ctrl-C) and runs one command per line. It stays
// as a debug console once user programs exist.
// Relies on: dev/console (input), lib/print, lib/log, mm/* (what it shows).

import { schedInheritOn, schedSetInherit } from "../sched/sched";
import { debugAttach, debugDetach, debugSession, debugStopped, DBG_OK, DBG_ERR_BUSY } from "../proc/debug";
import { KSTATE_MONITOR, PAGE_SIZE } from "../lib/layout";
import { cpu, cpuRecord, MAX_CPUS, CPU_OFFLINE, CPU_IDLE } from "../lib/cpu";
import {
  emit, printStr, printLine, printDec, printHex, printHex0x, printSize, printSeconds, printFlush, printSpaces,
  printBytes, printSigned,
} from "../lib/print";
import { dmesgPrint, LOG_INFO, LOG_WARN, LOG_ERROR, kinfo, logBegin, logEnd } from "../lib/log";
import { panicBegin, panicEnd, panic } from "../lib/panic";
import { kernel, chargeWork, publishState, KERNEL_HALTED, KERNEL_REBOOTING } from "../lib/kstate";
import { timeNowNs } from "../arch/timer";
import {
  locksCount, locksReset, lockRecord, lockNameAddr, lockNameLength, lockIsHeld, lockOwner, readersOf, LOCK_KIND_RW,
  LOCK_KIND_MUTEX, LOCK_PCPU_SLAB, LOCK_PCPU_FRAMES, LOCKS_FIXED, RANK_TEST_A,
} from "../lib/lock";
import { framesCachedOn, framesCached } from "../mm/frames";
import { slabMagazineObjects } from "../mm/slab";
import { hypercall } from "../arch/imports";
import { HV_REBOOT, HV_MEM_GROW } from "../arch/hw";
import { mmapCount, regionBase, regionLength, regionType } from "../arch/bootinfo";
import { regionTypeName, frameKindName } from "../mm/memmap";
import {
  frameAlloc, frameFree, framesFree, framesFreeTotal, framesTotal, framesCheck, framesAddRange, framesInUse, MAX_ORDER,
  KIND_KERNEL, KIND_RESERVED, KIND_COUNT, FRAME_OK,
} from "../mm/frames";
import {
  slabStat, slabCacheFrames, slabCacheName, kmallocLargeInUse, SLAB_MAX_CACHES, SLAB_NAME_MAX, SLAB_STAT_NONE,
  SLAB_STAT_OBJECT_SIZE, SLAB_STAT_IN_USE, SLAB_STAT_PER_SLAB,
} from "../mm/slab";
import { showDemoWalk } from "../mm/ptdemo";
import { sigSend, sigStopped, SIGKILL, NSIG } from "../proc/signal";
import {
  procByPid, procTable, MAX_PROCS, NO_SLOT, P_UNUSED, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE, W_CONSOLE, W_PIPE_READ,
  W_PIPE_WRITE, W_CHILD, W_SLEEP, pState, pPid, pParent, pWaitKind, pCpuNs, pSwitches, pLastCpu, pName, pNameLength, pKilled,
  printProcess, P_THREAD_DONE, W_FUTEX, W_JOIN, pIsThread, pTid,
} from "../proc/proc";

export const PROMPT = "keel> ";
const MAX_LINE: u32 = 200;
const MAX_WORDS: u32 = 8;
const LINE_OFFSET: usize = 0x100;
const WORDS_OFFSET: usize = 0x200;   // MAX_WORDS pairs of (start, length) u32
const STRESS_OFFSET: usize = 0x400;  // live allocations of the stress test
const STRESS_SLOTS: u32 = 256;
const STRESS_DEFAULT_OPS: u64 = 20000;
const STRESS_MAX_OPS: u64 = 10_000_000;
const STRESS_MAX_ORDER: u32 = 6;
const STRESS_CHECK_EVERY: u64 = 1000;
/** Nominal cost of one allocator operation, for the deterministic clock. */
const STRESS_WORK_PER_OP: u32 = 100;

const KEY_ETX: u32 = 0x03;  // Ctrl-C
const KEY_BS: u32 = 0x08;
const KEY_NAK: u32 = 0x15;  // Ctrl-U
const KEY_ESC: u32 = 0x1B;
const KEY_DEL: u32 = 0x7F;

@unmanaged class MonitorState {
  len: u32;
  escape: u32;   // 0 = normal, 1 = after ESC, 2 = inside a CSI sequence
  words: u32;
  stopped: u32;  // set once halt or reboot was asked for
  rng: u64;
}

// @ts-ignore: decorator
@inline function state(): MonitorState { return changetype<MonitorState>(KSTATE_MONITOR); }
// @ts-ignore: decorator
@inline function lineByte(i: u32): u32 { return <u32>load<u8>(KSTATE_MONITOR + LINE_OFFSET + <usize>i); }
// @ts-ignore: decorator
@inline function wordStart(i: u32): u32 { return load<u32>(KSTATE_MONITOR + WORDS_OFFSET + <usize>i * 8); }
// @ts-ignore: decorator
@inline function wordLen(i: u32): u32 { return load<u32>(KSTATE_MONITOR + WORDS_OFFSET + <usize>i * 8 + 4); }

export function monitorInit(): void {
  const s = state();
  s.len = 0; s.escape = 0; s.words = 0; s.stopped = 0;
  s.rng = 0x9E3779B97F4A7C15;
}

export function monitorPrompt(): void {
  printStr(PROMPT);
  printFlush();
}

/** True once a command asked the machine to stop (halt or reboot). */
export function monitorStopped(): bool { return state().stopped != 0; }

/** Takes one byte of console input (dev/tty.ts routes bytes here while the
 *  monitor owns the console). */
export function monitorFeed(b: u32): void {
  chargeWork(1);
  feed(b);
}

function feed(b: u32): void {
  const s = state();
  if (s.escape == 1) { s.escape = b == 0x5B ? 2 : 0; return; }              // ESC [
  if (s.escape == 2) { if (b >= 0x40 && b <= 0x7E) s.escape = 0; return; }  // CSI final byte
  if (b == KEY_ESC) { s.escape = 1; return; }
  if (b == 0x0D || b == 0x0A) {
    emit(0x0A);
    execute();
    s.len = 0;
    if (s.stopped == 0) monitorPrompt();
    return;
  }
  if (b == KEY_BS || b == KEY_DEL) {
    if (s.len > 0) { s.len--; printStr("\b \b"); }
    return;
  }
  if (b == KEY_NAK) {
    while (s.len > 0) { s.len--; printStr("\b \b"); }
    return;
  }
  if (b == KEY_ETX) {
    printStr("^C\n");
    s.len = 0;
    monitorPrompt();
    return;
  }
  if (b < 0x20 || b > 0x7E) return; // other control bytes and non-ASCII are ignored
  if (s.len >= MAX_LINE) { emit(0x07); return; } // bell: line full
  store<u8>(KSTATE_MONITOR + LINE_OFFSET + <usize>s.len, <u8>b);
  s.len++;
  emit(b);
}

function splitWords(): void {
  const s = state();
  let n: u32 = 0;
  let i: u32 = 0;
  while (i < s.len && n < MAX_WORDS) {
    while (i < s.len && lineByte(i) == 0x20) i++;
    if (i >= s.len) break;
    const start = i;
    while (i < s.len && lineByte(i) != 0x20) i++;
    store<u32>(KSTATE_MONITOR + WORDS_OFFSET + <usize>n * 8, start);
    store<u32>(KSTATE_MONITOR + WORDS_OFFSET + <usize>n * 8 + 4, i - start);
    n++;
  }
  s.words = n;
}

function wordIs(w: u32, name: string): bool {
  if (w >= state().words || wordLen(w) != <u32>name.length) return false;
  const start = wordStart(w);
  for (let i: u32 = 0; i < wordLen(w); i++) if (lineByte(start + i) != <u32>name.charCodeAt(i)) return false;
  return true;
}

function printWord(w: u32): void {
  printBytes(KSTATE_MONITOR + LINE_OFFSET + <usize>wordStart(w), <usize>wordLen(w));
}

const PARSE_ERROR: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/** Parses word w as a number: decimal, or hex with a 0x prefix. Returns
 *  PARSE_ERROR for anything else (including overflow). */
function parseNumber(w: u32): u64 {
  const start = wordStart(w);
  const len = wordLen(w);
  let i: u32 = 0;
  let base: u64 = 10;
  if (len > 2 && lineByte(start) == 0x30 && (lineByte(start + 1) | 0x20) == 0x78) { base = 16; i = 2; }
  let value: u64 = 0;
  for (; i < len; i++) {
    const c = lineByte(start + i);
    let d: u64;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (base == 16 && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
    else if (c == 0x5F) continue; // 0x7fff_f000 reads better
    else return PARSE_ERROR;
    if (value > (PARSE_ERROR - d) / base) return PARSE_ERROR;
    value = value * base + d;
  }
  return value;
}

function execute(): void {
  splitWords();
  const s = state();
  if (s.words == 0) return;
  chargeWork(100);
  if (wordIs(0, "help")) cmdHelp();
  else if (wordIs(0, "mem")) cmdMem();
  else if (wordIs(0, "dmesg")) cmdDmesg();
  else if (wordIs(0, "pt")) cmdPt();
  else if (wordIs(0, "alloc")) cmdAlloc();
  else if (wordIs(0, "uptime")) cmdUptime();
  else if (wordIs(0, "grow")) cmdGrow();
  else if (wordIs(0, "ps")) cmdPs();
  else if (wordIs(0, "cpus")) cmdCpus();
  else if (wordIs(0, "locks")) cmdLocks();
  else if (wordIs(0, "kill")) cmdKill();
  else if (wordIs(0, "inherit")) cmdInherit();
  else if (wordIs(0, "gdb")) cmdGdb();
  else if (wordIs(0, "reboot")) cmdReboot();
  else if (wordIs(0, "halt")) cmdHalt();
  else if (wordIs(0, "panic")) cmdPanic();
  else {
    printStr("unknown command '");
    printWord(0);
    printLine("' (type 'help' for the list)");
  }
}

function cmdHelp(): void {
  printLine("Keel kernel monitor. Commands:");
  printLine("  help             this list");
  printLine("  mem              physical memory map and free frames per order");
  printLine("  dmesg [warn|error]  kernel log, optionally only warnings or errors");
  printLine("  pt [va]          build a demo address space and walk va through Sv48");
  printLine("  alloc [ops]      frame allocator stress test with a summary");
  printLine("  uptime           virtual time since boot and work done");
  printLine("  grow MiB         ask the hypervisor for more RAM and add it as free frames");
  printLine("  ps               processes: state, what each waits on, CPU time");
  printLine("  cpus             vCPUs: state, process, instructions retired, idle time");
  printLine("  locks [reset]    kernel locks: acquisitions, contended, spins (reset: zero them)");
  printLine("  kill PID [SIG]   send a signal to a process (default 9, SIGKILL)");
  printLine("  inherit [on|off] priority inheritance through IPC calls (shows it without a word)");
  printLine("  gdb [PID|detach] stop PID for the runner's GDB server; no argument: the session");
  printLine("  reboot           restart the machine");
  printLine("  halt             stop the machine");
  printLine("  panic [message]  panic the kernel (red screen)");
  printLine("Line editing: Backspace, Ctrl-U (kill line), Ctrl-C (cancel).");
}

function cmdMem(): void {
  printLine("Physical memory map:");
  const n = mmapCount();
  for (let i: u32 = 0; i < n; i++) {
    const base = regionBase(i);
    const len = regionLength(i);
    printStr("  ");
    printHex0x(base, 9);
    emit(0x2D);
    printHex0x(base + len - 1, 9);
    printSpaces(2);
    printSizeColumn(len);
    printStr("  ");
    printLine(regionTypeName(regionType(i)));
  }
  const total = framesTotal();
  const free = framesFreeTotal();
  printStr("Frames: ");
  printDec(total);
  printStr(" managed (");
  printSize(<u64>total * PAGE_SIZE);
  printStr("), ");
  printDec(free);
  printStr(" free (");
  printSize(<u64>free * PAGE_SIZE);
  printLine(")");
  printLine("Free blocks per order:");
  printLine("  order  block      free");
  for (let order: u32 = 0; order <= MAX_ORDER; order++) {
    printStr("  ");
    printDec(order, 5);
    printStr("  ");
    printSizeColumn(<u64>PAGE_SIZE << order);
    printDec(framesFree(order), 6);
    emit(0x0A);
  }
  // Every managed frame is free or held for a named use; the lines add up
  // to the managed total.
  printLine("Frames by use:");
  for (let kind: u32 = 0; kind < KIND_COUNT; kind++) {
    if (kind == KIND_RESERVED) continue;
    printStr("  ");
    printDec(framesInUse(kind), 8);
    printStr("  ");
    printLine(frameKindName(kind));
  }
  printLine("Slab caches:");
  printLine("  name              size   in use  per slab  frames");
  for (let id: u32 = 0; id < SLAB_MAX_CACHES; id++) {
    const size = slabStat(id, SLAB_STAT_OBJECT_SIZE);
    if (size == SLAB_STAT_NONE) continue;
    const name = slabCacheName(id);
    let len: u32 = 0;
    while (len < SLAB_NAME_MAX && load<u8>(name + len) != 0) len++;
    printStr("  ");
    printBytes(name, len);
    printSpaces(<i32>(SLAB_NAME_MAX + 1 - len));
    printDec(slabStat(id, SLAB_STAT_OBJECT_SIZE), 6);
    printDec(slabStat(id, SLAB_STAT_IN_USE), 9);
    printDec(slabStat(id, SLAB_STAT_PER_SLAB), 10);
    printDec(slabCacheFrames(id), 8);
    emit(0x0A);
  }
  printStr("  kmalloc large blocks in use: ");
  printDec(kmallocLargeInUse());
  emit(0x0A);
  const t = procTable();
  if (t.table == 0) return;
  printStr("Memory policy: a process may hold ");
  printDec(t.userFrameLimit);
  printStr(" user frames; ");
  printDec(t.reserveFrames);
  printStr(" frames kept in reserve; ");
  printDec(t.oomKills);
  printLine(" processes killed for memory");
}

/** A size in a fixed 9-column field: "  128 MiB". */
function printSizeColumn(bytes: u64): void {
  let unit = " B  ";
  let value = bytes;
  if (bytes >= (1 << 30) && bytes % (1 << 20) == 0 && bytes % (1 << 30) == 0) { value = bytes >> 30; unit = " GiB"; }
  else if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) { value = bytes >> 20; unit = " MiB"; }
  else if (bytes >= (1 << 10) && bytes % (1 << 10) == 0) { value = bytes >> 10; unit = " KiB"; }
  printDec(value, 5);
  printStr(unit);
}

function cmdDmesg(): void {
  let min = LOG_INFO;
  if (wordIs(1, "warn")) min = LOG_WARN;
  else if (wordIs(1, "error")) min = LOG_ERROR;
  else if (state().words > 1) { printLine("usage: dmesg [warn|error]"); return; }
  const shown = dmesgPrint(min);
  if (shown == 0) printLine("(no records at that level)");
}

function cmdPt(): void {
  let va: u64 = 0x401234;
  if (state().words > 1) {
    va = parseNumber(1);
    if (va == PARSE_ERROR) {
      printStr("pt: '");
      printWord(1);
      printLine("' is not a number (use decimal or 0x-prefixed hex)");
      return;
    }
  }
  chargeWork(1000);
  showDemoWalk(va);
}

function nextRandom(): u64 {
  // xorshift64*: a fixed seed, so the stress run is the same every boot.
  const s = state();
  let x = s.rng;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  s.rng = x;
  return x * 0x2545F4914F6CDD1D;
}

function cmdAlloc(): void {
  let ops = STRESS_DEFAULT_OPS;
  if (state().words > 1) {
    ops = parseNumber(1);
    if (ops == PARSE_ERROR || ops == 0 || ops > STRESS_MAX_OPS) {
      printStr("alloc: the operation count must be between 1 and ");
      printDec(STRESS_MAX_OPS);
      emit(0x0A);
      return;
    }
  }
  const table = KSTATE_MONITOR + STRESS_OFFSET; // per slot: u32 pa, u32 order
  for (let i: u32 = 0; i < STRESS_SLOTS; i++) store<u32>(table + <usize>i * 8, 0);
  const freeBefore = framesFreeTotal();
  const t0 = timeNowNs();
  let allocs: u64 = 0, frees: u64 = 0, failures: u64 = 0, live: u64 = 0, peak: u64 = 0, checks: u64 = 0;
  let bad: i32 = 0;
  for (let op: u64 = 0; op < ops; op++) {
    chargeWork(STRESS_WORK_PER_OP);
    const r = nextRandom();
    const slotAddr = table + <usize>((r >> 8) % STRESS_SLOTS) * 8;
    const pa = load<u32>(slotAddr);
    if (pa != 0) {
      const order = load<u32>(slotAddr + 4);
      if (frameFree(pa, order) != 0) bad = -1;
      live -= <u64>1 << order;
      store<u32>(slotAddr, 0);
      frees++;
    } else {
      const order = <u32>((r >> 32) % (STRESS_MAX_ORDER + 1));
      const got = frameAlloc(order, KIND_KERNEL);
      if (got == 0) { failures++; continue; }
      store<u32>(slotAddr, <u32>got);
      store<u32>(slotAddr + 4, order);
      live += <u64>1 << order;
      if (live > peak) peak = live;
      allocs++;
    }
    if ((op + 1) % STRESS_CHECK_EVERY == 0) { checks++; if (framesCheck() != 0) bad = -2; }
  }
  for (let i: u32 = 0; i < STRESS_SLOTS; i++) {
    const slotAddr = table + <usize>i * 8;
    const pa = load<u32>(slotAddr);
    if (pa != 0) { if (frameFree(pa, load<u32>(slotAddr + 4)) != 0) bad = -1; frees++; store<u32>(slotAddr, 0); }
  }
  if (framesCheck() != 0) bad = -2;
  checks++;
  const elapsed = timeNowNs() - t0;
  const freeAfter = framesFreeTotal();

  printStr("alloc: ");
  printDec(ops); printStr(" operations: ");
  printDec(allocs); printStr(" allocations, ");
  printDec(frees); printStr(" frees, ");
  printDec(failures); printLine(" refused (out of memory)");
  printStr("  peak ");
  printDec(peak); printStr(" frames ("); printSize(peak * PAGE_SIZE); printStr(") live; ");
  printDec(checks); printLine(" invariant checks");
  printStr("  free frames before ");
  printDec(freeBefore); printStr(", after "); printDec(freeAfter);
  printStr("; took "); printSeconds(elapsed); printLine(" s virtual");
  if (bad == 0 && freeAfter == freeBefore) printLine("  result: OK (every block coalesced back)");
  else {
    printStr("  result: FAILED (");
    printStr(bad == -1 ? "a free was refused" : bad == -2 ? "an invariant check failed" : "frames leaked");
    printLine(")");
  }
}

function cmdUptime(): void {
  const k = kernel();
  const now = timeNowNs();
  printStr("up ");
  printSeconds(now - k.bootNs);
  printStr(" s (");
  printStr(k.deterministic != 0 ? "deterministic" : "realtime");
  printStr(" clock), ");
  printDec(k.workTotal + <u64>cpu().sliceWork);
  printStr(" work units in ");
  printDec(<u64>k.runs);
  printLine(" slices");
}

function waitName(kind: u32): string {
  switch (kind) {
    case W_CONSOLE: return "console";
    case W_PIPE_READ: return "pipe read";
    case W_PIPE_WRITE: return "pipe write";
    case W_CHILD: return "child";
    case W_SLEEP: return "sleep";
    case W_FUTEX: return "futex";
    case W_JOIN: return "join";
    default: return "-";
  }
}

function stateName(state: u32): string {
  switch (state) {
    case P_RUNNABLE: return "runnable";
    case P_RUNNING: return "running";
    case P_SLEEPING: return "sleeping";
    case P_ZOMBIE: return "zombie";
    case P_THREAD_DONE: return "done";
    default: return "?";
  }
}

function cmdPs(): void {
  if (procTable().table == 0) { printLine("ps: no user programs are running (no boot file system)"); return; }
  printLine("  PID  PPID STATE     WAITS ON      CPU(ms)  SWITCHES VCPU NAME");
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    const st = pState(slot);
    if (st == P_UNUSED) continue;
    const parent = pParent(slot);
    printDec(<u64>pPid(slot), 5);
    printDec(parent == NO_SLOT ? 0 : <u64>pPid(parent), 6);
    emit(0x20);
    const name = st != P_ZOMBIE && sigStopped(slot) ? "stopped" : stateName(st);
    printStr(name);
    printSpaces(10 - name.length);
    const w = st == P_SLEEPING ? waitName(pWaitKind(slot)) : "-";
    printStr(w);
    printSpaces(10 - w.length);
    printDec(pCpuNs(slot) / 1_000_000, 10);
    printDec(pSwitches(slot), 10);
    printDec(<u64>pLastCpu(slot), 5);
    emit(0x20);
    printBytes(pName(slot), <usize>pNameLength(slot));
    if (pIsThread(slot)) { printStr(" (thread "); printDec(<u64>pTid(slot)); printStr(")"); }
    if (pKilled(slot)) printStr(" (killed)");
    emit(0x0A);
  }
}

/** cpus: every vCPU's record (lib/cpu.ts): its state, the process it runs
 *  now (the monitor runs on vCPU 0 between the others' turns, so theirs is
 *  the last one they ran, in parentheses), user instructions retired, the
 *  virtual time it spent idle and its run() calls. */
function cmdCpus(): void {
  printLine("VCPU STATE    PROCESS     INSTRET        IDLE(ms)     RUNS");
  const now = timeNowNs();
  for (let i: u32 = 0; i < MAX_CPUS; i++) {
    const c = cpuRecord(i);
    if (c.state == CPU_OFFLINE && i != 0) continue;
    printDec(<u64>i, 4);
    emit(0x20);
    const name = c.state == CPU_OFFLINE ? "offline" : c.state == CPU_IDLE ? "idle" : "busy";
    printStr(name);
    printSpaces(9 - name.length);
    if (c.runPid > 0) { printDec(<u64>c.runPid, 5); printSpaces(7); }
    else if (c.lastPid > 0) { printStr(" ("); printDec(<u64>c.lastPid); printStr(")"); printSpaces(9 - decimalWidth(<u64>c.lastPid)); }
    else { printStr("    -"); printSpaces(7); }
    printDec(c.instret, 12);
    const idle = c.idleNs + (c.idleSince != 0 && now > c.idleSince ? now - c.idleSince : 0);
    printDec(idle / 1_000_000, 16);
    printDec(<u64>c.runs, 9);
    emit(0x0A);
  }
}

/** locks [reset]: every kernel lock (lib/lock.ts) with its rank and
 *  statistics; the per-vCPU cache locks of online vCPUs only, and a line
 *  of what the per-vCPU caches hold. `reset` zeroes the statistics. */
function cmdLocks(): void {
  if (state().words > 1) {
    if (!wordIs(1, "reset")) { printLine("usage: locks [reset]"); return; }
    locksReset();
    printLine("lock statistics reset");
    return;
  }
  printLine("LOCK          KIND  RANK      ACQUIRED   CONTENDED         SPINS  LONGEST  HELD");
  const n = locksCount();
  for (let id: u32 = 0; id < n && id < LOCKS_FIXED; id++) {
    const r = lockRecord(id);
    if (r.kind == 0 || r.rank >= RANK_TEST_A) continue;
    if (id >= LOCK_PCPU_SLAB) {
      const owner = (id - LOCK_PCPU_SLAB) % MAX_CPUS;
      if (cpuRecord(owner).state == CPU_OFFLINE && owner != 0) continue;
    }
    const len = lockNameLength(id);
    printBytes(lockNameAddr(id), <usize>len);
    printSpaces(14 - <i32>len);
    const kind = r.kind == LOCK_KIND_RW ? "rw" : r.kind == LOCK_KIND_MUTEX ? "mutex" : "spin";
    printStr(kind);
    printSpaces(6 - kind.length);
    printDec(<u64>r.rank, 4);
    printDec(r.acquisitions, 14);
    printDec(r.contended, 12);
    printDec(r.spins, 14);
    printDec(<u64>r.maxSpins, 9);
    printStr("  ");
    if (r.kind == LOCK_KIND_RW && readersOf(id) > 0) { printDec(<u64>readersOf(id)); printStr(" readers"); }
    else if (lockIsHeld(id)) { printStr("vCPU "); printDec(<u64>lockOwner(id)); }
    else printStr("-");
    emit(0x0A);
  }
  printStr("per-vCPU caches: ");
  printDec(<u64>framesCached());
  printStr(" frames cached");
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    if (cpuRecord(c).state == CPU_OFFLINE && c != 0) continue;
    printStr(c == 0 ? " (vCPU 0: " : ", vCPU ");
    if (c != 0) { printDec(<u64>c); printStr(": "); }
    printDec(<u64>framesCachedOn(c));
  }
  printStr("), ");
  let objects: u32 = 0;
  for (let k: u32 = 0; k < 8; k++) objects += slabMagazineObjects(k);
  printDec(<u64>objects);
  printLine(" kmalloc objects in magazines");
}

function decimalWidth(v: u64): u32 {
  let n: u32 = 1;
  while (v >= 10) { v /= 10; n++; }
  return n;
}

/** kill PID [SIGNAL]: what the user's kill does, from outside: no
 *  capability is needed, so a runaway can be stopped from here whatever it
 *  holds. The default is SIGKILL, which nothing can catch. */
/** gdb PID: attaches the debugging session (proc/debug.ts) to PID and stops
 *  it, for the host's GDB server (docs/debugging.md); gdb detach ends it. */
function cmdGdb(): void {
  if (procTable().table == 0) { printLine("gdb: no user programs are running (no boot file system)"); return; }
  const words = state().words;
  if (words == 1) {
    const pid = debugSession();
    if (pid == 0) { printLine("gdb: no process is being debugged"); return; }
    printStr("gdb: pid ");
    printDec(<u64>pid);
    printLine(debugStopped() != 0 ? ", stopped" : ", running");
    return;
  }
  if (words == 2 && wordIs(1, "detach")) {
    printLine(debugDetach() == DBG_OK ? "gdb: detached; the process runs on" : "gdb: no process is being debugged");
    return;
  }
  const pid = words == 2 ? parseNumber(1) : PARSE_ERROR;
  if (pid == PARSE_ERROR || pid == 0 || pid > 0x7FFF_FFFF) { printLine("usage: gdb [PID | detach]"); return; }
  const r = debugAttach(<i32>pid);
  if (r == DBG_ERR_BUSY) { printLine("gdb: another process is being debugged ('gdb detach' first)"); return; }
  if (r != DBG_OK) { printStr("gdb: no process "); printDec(pid); emit(0x0A); return; }
  printStr("gdb: pid ");
  printDec(pid);
  printLine(" stopped; connect gdb to the runner's --gdb port ('target remote :PORT')");
}

function cmdKill(): void {
  if (procTable().table == 0) { printLine("kill: no user programs are running (no boot file system)"); return; }
  const words = state().words;
  const pid = words > 1 ? parseNumber(1) : PARSE_ERROR;
  const sig = words > 2 ? parseNumber(2) : <u64>SIGKILL;
  if (words > 3 || pid == PARSE_ERROR || pid == 0 || pid > 0x7FFF_FFFF || sig == PARSE_ERROR || sig == 0 || sig >= <u64>NSIG) {
    printLine("usage: kill PID [SIGNAL]   (SIGNAL 1 to 31, default 9: SIGKILL)");
    return;
  }
  const slot = procByPid(<i32>pid);
  if (slot == NO_SLOT || pState(slot) == P_ZOMBIE) {
    printStr("kill: no process ");
    printDec(pid);
    emit(0x0A);
    return;
  }
  sigSend(slot, <u32>sig);
  printStr("kill: sent signal ");
  printDec(sig);
  printStr(" to ");
  printProcess(slot);
  emit(0x0A);
}

/** inherit [on|off]: whether a server serving a call runs at its caller's
 *  priority (sched/sched.ts); off shows priority inversion. */
function cmdInherit(): void {
  const words = state().words;
  if (words == 2 && wordIs(1, "on")) schedSetInherit(true);
  else if (words == 2 && wordIs(1, "off")) schedSetInherit(false);
  else if (words != 1) { printLine("usage: inherit [on|off]"); return; }
  printLine(schedInheritOn() ? "inherit: priority inheritance is on" : "inherit: priority inheritance is off");
}

const WASM_PAGE_SHIFT: u64 = 16;
const GROW_MAX_MIB: u64 = 1024;

function cmdGrow(): void {
  const mib = state().words > 1 ? parseNumber(1) : PARSE_ERROR;
  if (mib == PARSE_ERROR || mib == 0 || mib > GROW_MAX_MIB) {
    printStr("usage: grow MiB (1 to ");
    printDec(GROW_MAX_MIB);
    printLine(")");
    return;
  }
  const pages = <u32>(mib << 20 >> WASM_PAGE_SHIFT);
  const oldPages = hypercall(HV_MEM_GROW, pages, 0, 0);
  if (oldPages < 0) {
    printLine("grow: the hypervisor refused (no more memory to give)");
    return;
  }
  const base = <u64>oldPages << WASM_PAGE_SHIFT;
  const r = framesAddRange(base, mib << 20);
  if (r != FRAME_OK) {
    printStr("grow: RAM grew but its frames could not be added (error ");
    printSigned(r);
    printLine(")");
    return;
  }
  kernel().ramBytes = base + (mib << 20);
  logBegin(LOG_INFO);
  printStr("memory: grew by ");
  printSize(mib << 20);
  printStr(" at ");
  printHex0x(base, 9);
  printStr("; RAM is now ");
  printSize(kernel().ramBytes);
  logEnd();
}

function cmdReboot(): void {
  kinfo("monitor: reboot requested");
  state().stopped = 1;
  publishState(KERNEL_REBOOTING);
  hypercall(HV_REBOOT, 0, 0, 0);
}

function cmdHalt(): void {
  kinfo("monitor: halting; the machine has stopped");
  state().stopped = 1;
  publishState(KERNEL_HALTED);
}

function cmdPanic(): void {
  const s = state();
  if (s.words < 2) panic("requested from the kernel monitor");
  panicBegin();
  const start = wordStart(1);
  printBytes(KSTATE_MONITOR + LINE_OFFSET + <usize>start, <usize>(s.len - start));
  panicEnd();
}

