// Keel's kernel entry points, called by the host (host/machine.ts):
//   kmain(bootInfo)  once per boot: brings the machine up in order (VGA,
//                    UART, log, frame allocator, object allocators,
//                    interrupts and timer, then the monitor);
//   run(budget)      repeatedly: one slice of work, never blocking the host;
//   resume()         instead of kmain, on a fresh instance whose RAM the host
//                    restored from a snapshot (docs/snapshots.md);
//   cpuSetIndex(i)   first of all, on every instance: which vCPU it is
//                    (lib/cpu.ts). vCPU 0 runs kmain and starts the others
//                    with HV_VCPU_CREATE; the host then calls every online
//                    vCPU's run() in turn (docs/architecture.md "Several vCPUs").
// What a slice did is reported in the control block (lib/kstate.ts).

import {
  BOOTINFO_BASE, KSTATE_SCRATCH, CONTROL_BLOCK, CB_WAKE_AT, CB_PANIC_LEN, CB_PANIC_MSG, CB_PANIC_MAX, RUN_BUDGET_SPENT, RUN_IDLE, RUN_HALTED, RUN_PANICKED, RUN_REBOOT, WAKE_NEVER,
} from "./lib/layout";
import { bootInfoValid, bootU64, BI_RAM_BYTES, deterministicClock, bootU32, BI_CMDLINE_LEN, BI_CMDLINE_OFF, bootCmdlineHas } from "./arch/bootinfo";
import { vgaInit, vgaWriteAt, vgaSetColor, makeAttr, COLOR_WHITE, COLOR_BLACK, COLOR_LIGHT_CYAN, COLOR_LIGHT_GREY, COLOR_YELLOW } from "./dev/vga";
import { vgaTermInit } from "./dev/vgaterm";
import { uartInit, uartConfigured } from "./dev/uart";
import { consoleInit, consoleReceive, consoleQueued, CONSOLE_RING_SIZE } from "./dev/console";
import { printInit, printStr, printDec, printSize, printFlush, printBytes, printHex0x, printHex, SINK_CONSOLE, SINK_VGA, emit } from "./lib/print";
import { logInit, logBegin, logEnd, LOG_INFO, LOG_WARN, LOG_ERROR, kinfo, kwarn, kerror } from "./lib/log";
import { panic, panicBegin, panicEnd } from "./lib/panic";
import {
  kernel, chargeWork, publishState, publishSlice, KERNEL_BOOTING, KERNEL_RUNNING, KERNEL_HALTED, KERNEL_PANICKED,
  KERNEL_REBOOTING,
} from "./lib/kstate";
import { timeNowNs, timerAck, intcInit, intcMask, intcUnmask, irqPendingMirror, irqAck, irqPending } from "./arch/timer";
import { IRQ_TIMER, IRQ_UART, IRQ_BLOCK, IRQ_NIC } from "./arch/hw";
import { blkAck, blkMatchesDevice } from "./dev/blk";
import { nicInit, nicInterrupt, nicMacLo, nicMacHi, NIC_OK, NIC_ERR_NO_DEVICE } from "./dev/nic";
import { W_NIC } from "./proc/proc";
import { framesInit, framesFreeTotal, framesTotal } from "./mm/frames";
import { slabInit } from "./mm/slab";
import { locksInit } from "./lib/lock";
import { capInit } from "./cap/cap";
import { monitorInit, monitorPrompt, monitorStopped } from "./sys/monitor";
import { ttyInit, ttyPoll, ttyMode, MODE_USER, ttyTakeSignals, ttyForeground } from "./dev/tty";
import { sigSendGroup, NSIG } from "./proc/signal";
import { bootfsMount, bootfsCount, BOOTFS_OK, BOOTFS_ERR_MISSING } from "./fs/bootfs";
import { frameAlloc, KIND_HART, MAX_ORDER } from "./mm/frames";
import { hartSystemInit, hartResume, HART_OK } from "./machine/hart";
import { procTableInit, procTable, NO_SLOT, PROC_OK, W_CONSOLE } from "./proc/proc";
import { spawnInit } from "./proc/lifecycle";
import { runProcess } from "./proc/run";
import { debugDetach } from "./proc/debug";
import { schedInit, schedPick, schedPickClaim, wakeup, schedWakeSleepers, schedHasTimedSleepers, schedNextWake } from "./sched/sched";
import { traceClock } from "./sched/trace";
import { sliceBegin, sliceOutOfTime, SCHED_ROUND_WORK } from "./sched/slice";
import { timerArm, timerDisarm, intcUnmasked } from "./arch/timer";
import { fsMountWith, fsReadOnly, fsDamageReports, FS_MOUNT_READONLY } from "./fs/fsops";
import { FS_OK, FS_ERR_NODISK, FS_ERR_CORRUPT, FS_ERR_IO } from "./fs/fsstate";
import { fsDiskBlocks, countFreeBlocks } from "./fs/inode";
import { importsPending, importFiles } from "./sys/import";
import { cpu, cpuId, cpuRecord, cpuRecordsInit, MAX_CPUS, CPU_IDLE, CPU_BUSY, CPU_OFFLINE } from "./lib/cpu";
import { hartAttached, hartRecordArena, hartForgetArenas } from "./machine/hart";
import { shootdownInit, shootdownActivate } from "./machine/shootdown";
import { hypercall } from "./arch/imports";
import { HV_VCPU_CREATE, HV_OK } from "./arch/hw";
import { BI_VCPUS } from "./arch/bootinfo";
import { frameFree } from "./mm/frames";

export { cpuSetIndex } from "./lib/cpu";

export { kernelImageEnd } from "./lib/image";
import { inspect as inspectLocked } from "./sys/inspect";
import { bklInit, bklAcquire, bklRelease } from "./lib/bkl";
export { bklStat } from "./lib/bkl";

/** The host's read-only questions (sys/inspect.ts), under the big kernel
 *  lock: on parallel vCPUs another vCPU may be in the kernel meanwhile. */
export function inspect(query: u32, arg0: u32, arg1: u32, arg2: u32): i32 {
  bklAcquire();
  const r = inspectLocked(query, arg0, arg1, arg2);
  bklRelease();
  return r;
}
// The JIT tier (docs/hart.md "JIT"): the host switches it per instance, before kmain or resume.
export { hartJitConfig, hartJitActive, hartJitStat, hartJitFp } from "./machine/hart";
export {
  debugAttach, debugAttachExec, debugSession, debugTakeEvent, debugStopReason, debugStopSignal, debugStopAddr,
  debugWatchKind, debugExitStatus, debugExitSignal, debugIoBuffer, debugStopped, debugReg, debugSetReg, debugRead,
  debugWrite, debugBreak, debugWatch, debugResume, debugInterrupt, debugDetach, debugKill,
  debugPosition, debugRunTo, debugRunToClear, debugRunToHits, debugNote, debugNotesClear, debugNotes, debugNotePos, debugNoteKind, debugNoteWatchKind,
  debugNoteAddr, debugResumeThread, debugThreadAt, debugThreadState, debugSelectThread, debugThread, debugStopThread,
} from "./proc/debug";

/** The layout id of this kernel's sources (scripts/layout-id.mjs): the
 *  build passes it as the compile-time constant KEEL_LAYOUT_ID. The host
 *  applies a new kernel over a running machine's RAM only when the two
 *  kernels' ids are equal (host/machine.ts swapKernel). */
export function layoutVersion(): u32 {
  return <u32>KEEL_LAYOUT_ID;
}

/** Boot results returned by kmain. */
export const BOOT_OK: i32 = 0;
export const BOOT_BAD_INFO: i32 = 1;

const BANNER = "Keel - a capability microkernel in your browser tab";

export function kmain(bootInfo: u32): i32 {
  const k = kernel();
  cpuRecordsInit();
  locksInit();
  shootdownInit();
  bklInit();
  hartForgetArenas();
  cpu().sliceWork = 0;
  publishState(KERNEL_BOOTING);
  // 1. VGA first, so there is somewhere to say anything.
  vgaInit();
  vgaTermInit();
  vgaWriteAt(0, 0, "Hello World!", makeAttr(COLOR_WHITE, COLOR_BLACK));
  printInit(SINK_VGA);
  vgaSetColor(COLOR_LIGHT_CYAN, COLOR_BLACK);
  printStr("\n");
  printStr(BANNER);
  printStr("\n\n");
  vgaSetColor(COLOR_LIGHT_GREY, COLOR_BLACK);
  printFlush();
  if (bootInfo != <u32>BOOTINFO_BASE || !bootInfoValid()) {
    printStr("boot info is missing or has the wrong magic/version; cannot boot\n");
    printFlush();
    return BOOT_BAD_INFO;
  }
  k.ramBytes = bootU64(BI_RAM_BYTES);
  k.deterministic = deterministicClock() ? 1 : 0;
  k.workTotal = 0;
  k.runs = 0;
  k.wakeAt = WAKE_NEVER;

  // 2. The UART; from here on the console is both screens.
  const uartOk = uartInit();
  consoleInit();
  printInit(SINK_CONSOLE);
  // 3. The kernel log.
  logInit();
  k.bootNs = timeNowNs();
  if (uartOk) {
    printStr(BANNER);
    printStr("\n");
  }
  kinfo("Keel 0.1.0 booting");
  logBegin(LOG_INFO);
  printStr("RAM ");
  printSize(k.ramBytes);
  printStr(", clock ");
  printStr(k.deterministic != 0 ? "deterministic" : "realtime");
  logEnd();
  const cmdLen = bootU32(BI_CMDLINE_LEN);
  if (cmdLen > 0) {
    logBegin(LOG_INFO);
    printStr("command line: ");
    printBytes(BOOTINFO_BASE + <usize>bootU32(BI_CMDLINE_OFF), <usize>cmdLen);
    logEnd();
  }
  if (!uartOk) kwarn("no UART answered at 0x3f8; console is VGA only");

  // 4. Frames over the memory map, then object allocators.
  const framesResult = framesInit();
  if (framesResult != 0) panic("frame allocator could not start: the memory map has no usable RAM");
  logBegin(LOG_INFO);
  printStr("frames: ");
  printDec(framesTotal());
  printStr(" managed, ");
  printDec(framesFreeTotal());
  printStr(" free (");
  printSize(<u64>framesFreeTotal() << 12);
  printStr(")");
  logEnd();
  if (slabInit() != 0) panic("object allocator could not start");
  kinfo("slab: object caches ready");
  if (capInit() != 0) panic("capability tables could not start");

  // 5. Interrupts and timer.
  intcInit();
  kinfo("interrupts: controller ready, UART receive on IRQ 4, timer on IRQ 0");
  startNic();

  // 6. User land: the hart, the process table, the boot file system, init;
  // then the other vCPUs, which only run processes.
  const userland = startUserland();
  if (userland) startVcpus();

  // 7. The console: the shell's when there is user land, else the monitor's.
  monitorInit();
  ttyInit(userland);
  if (userland) {
    kinfo("console: press Ctrl-] for the kernel monitor");
  } else {
    kinfo("monitor: type 'help' for commands");
    monitorPrompt();
  }
  k.promptNs = timeNowNs();
  publishSlice(WAKE_NEVER);
  publishState(KERNEL_RUNNING);
  return BOOT_OK;
}

/** The hart's TLB and block cache take one 4 MiB block. */
const HART_ARENA_ORDER: u32 = MAX_ORDER;

/** The command-line word that mounts the disk read-only. */
const CMDLINE_RO = memory.data<u8>([0x72, 0x6F]); // "ro"
const CMDLINE_RO_LEN: u32 = 2;

/** The disk, if there is one: a journaled file system becomes the root
 *  (read-only when it is damaged or the command line says "ro"). */
function mountDisk(): bool {
  const r = fsMountWith(bootCmdlineHas(CMDLINE_RO, CMDLINE_RO_LEN) ? FS_MOUNT_READONLY : 0);
  if (r == FS_ERR_NODISK) { kinfo("fs: no disk attached"); return false; }
  if (r != FS_OK) {
    logBegin(LOG_ERROR);
    printStr("fs: the disk could not be mounted (");
    printStr(r == FS_ERR_CORRUPT ? "no Keel file system, or a damaged superblock" : r == FS_ERR_IO ? "I/O error" : "out of memory");
    printStr("); it is left untouched");
    logEnd();
    return false;
  }
  logBegin(LOG_INFO);
  printStr("fs: disk mounted as the root: ");
  printSize(<u64>fsDiskBlocks() << 12);
  printStr(", ");
  printDec(<u64>countFreeBlocks() * 4);
  printStr(" KiB free");
  if (fsDamageReports() != 0) printStr(", READ-ONLY: the disk is damaged (see above); nothing on it will be changed");
  else if (fsReadOnly()) printStr(", read-only (the command line says ro)");
  logEnd();
  return true;
}

function startUserland(): bool {
  if (mountDisk()) return startProcesses();
  const mounted = bootfsMount();
  if (mounted == BOOTFS_ERR_MISSING) {
    kinfo("bootfs: no boot file system module; the kernel monitor has the console");
    return false;
  }
  if (mounted != BOOTFS_OK) {
    kerror("bootfs: the boot file system image is corrupt; the kernel monitor has the console");
    return false;
  }
  logBegin(LOG_INFO);
  printStr("bootfs: ");
  printDec(bootfsCount());
  printStr(" files (read-only root)");
  logEnd();
  return startProcesses();
}

/** The network card, when one is fitted (docs/network.md). */
function startNic(): void {
  const r = nicInit();
  if (r == NIC_ERR_NO_DEVICE) return;
  if (r != NIC_OK) { kwarn("nic: no memory for the rings; the network card is not used"); return; }
  logBegin(LOG_INFO);
  printStr("nic: card at 0x700 on IRQ 6, MAC ");
  const mac = (<u64>nicMacHi() << 32) | <u64>nicMacLo(); // byte 0 lowest
  for (let i: u32 = 0; i < 6; i++) {
    if (i > 0) printStr(":");
    printHex((mac >> (<u64>i * 8)) & 0xFF, 2);
  }
  logEnd();
}

/** Brings vCPUs 1..BI_VCPUS-1 online: a hart arena each (recorded for it
 *  to attach on its first run), then HV_VCPU_CREATE, after which the host
 *  calls its run() in turn. A vCPU that cannot have an arena, or that the
 *  host refuses, stays offline with the rest after it. */
function startVcpus(): void {
  const wanted = min(bootU32(BI_VCPUS), MAX_CPUS);
  if (wanted <= 1) return;
  let up: u32 = 1;
  for (let i: u32 = 1; i < wanted; i++) {
    const arena = frameAlloc(HART_ARENA_ORDER, KIND_HART);
    if (arena == 0) { kwarn("smp: no memory for another vCPU's TLB and decode cache"); break; }
    hartRecordArena(i, arena, <usize>4096 << HART_ARENA_ORDER);
    if (hypercall(HV_VCPU_CREATE, i, 0, 0) != HV_OK) {
      frameFree(arena, HART_ARENA_ORDER);
      kwarn("smp: the host would not start another vCPU");
      break;
    }
    cpuRecord(i).state = CPU_IDLE;
    up++;
  }
  if (up > 1) shootdownActivate();
  logBegin(LOG_INFO);
  printStr("smp: ");
  printDec(<u64>up);
  printStr(" vCPUs online");
  logEnd();
}

/** The hart, the process table, the scheduler, and init from the root. */
function startProcesses(): bool {
  const arena = frameAlloc(HART_ARENA_ORDER, KIND_HART);
  if (arena == 0 || hartSystemInit(arena, <usize>4096 << HART_ARENA_ORDER) != HART_OK) {
    kerror("hart: no memory for the TLB and decode cache");
    return false;
  }
  if (procTableInit() != PROC_OK) {
    kerror("proc: no memory for the process table");
    return false;
  }
  schedInit();
  const init = spawnInit();
  if (init == NO_SLOT) {
    kerror("init: /init is missing or not a valid program; the kernel monitor has the console");
    return false;
  }
  kinfo("init: started as pid 1");
  return true;
}

const HANDLED_IRQS: u32 = (1 << IRQ_TIMER) | (1 << IRQ_UART) | (1 << IRQ_BLOCK) | (1 << IRQ_NIC);

function handleInterrupts(): void {
  if (irqPendingMirror() == 0) return;
  const pending = irqPending();
  if (pending & (1 << IRQ_TIMER)) {
    timerAck();
    irqAck(IRQ_TIMER);
  }
  if (pending & (1 << IRQ_UART)) {
    consoleReceive(); // level-triggered: the line drops once the FIFO is empty
    // A full ring (input typed ahead that nobody reads yet) would keep the
    // line high for ever: mask it until the line discipline makes room.
    if (consoleQueued() >= CONSOLE_RING_SIZE) intcMask(1 << IRQ_UART);
  }
  if (pending & (1 << IRQ_BLOCK)) {
    // Requests complete synchronously at the doorbell; the interrupt only
    // needs acknowledging at the device and the controller.
    blkAck();
    irqAck(IRQ_BLOCK);
  }
  if (pending & (1 << IRQ_NIC)) {
    // A level: clearing the card's status lowers it. Readers re-check the ring.
    if (nicInterrupt() && procTable().table != 0) wakeup(W_NIC, 0);
  }
  // A line nobody handles would keep the hart returning at once forever:
  // mask it, once, and say so.
  const unknown = irqPending() & ~HANDLED_IRQS;
  if (unknown != 0) {
    intcMask(unknown);
    logBegin(LOG_WARN);
    printStr("interrupts: masked unexpected lines ");
    printHex0x(<u64>unknown, 8);
    logEnd();
  }
}

/** Ctrl-C, Ctrl-\\ and Ctrl-Z: their signals go to the console's foreground group. */
function sendKeySignals(): void {
  const bits = ttyTakeSignals();
  if (bits == 0) return;
  for (let sig: u32 = 1; sig < NSIG; sig++) {
    if ((bits & (1 << (sig - 1))) != 0) sigSendGroup(ttyForeground(), sig);
  }
}

/** Runs one slice of at most `budget` work units; see RUN_* results. The
 *  whole slice holds the big kernel lock (lib/bkl.ts), except while the
 *  hart runs user code. */
export function run(budget: u32): i32 {
  bklAcquire();
  const r = runLocked(budget);
  bklRelease();
  return r;
}

function runLocked(budget: u32): i32 {
  const k = kernel();
  if (k.state == KERNEL_PANICKED) return RUN_PANICKED;
  if (k.state == KERNEL_HALTED) return RUN_HALTED;
  if (k.state == KERNEL_REBOOTING) return RUN_REBOOT;
  const c = cpu();
  c.sliceWork = 1;
  k.runs++;
  c.runs++;
  if (cpuId() != 0) return runSecondary(budget);
  const userland = procTable().table != 0;
  // Wakes traced in this slice (console input, say) carry the scheduler's
  // last clock reading: take one now, or after an idle spell they would be
  // stamped at the moment the machine went idle.
  const startNs = timeNowNs();
  cpuBusy(startNs);
  if (userland) traceClock(startNs);
  sliceBegin(startNs);
  let wakeAt = WAKE_NEVER;
  let runnable = false;
  for (;;) {
    chargeWork(SCHED_ROUND_WORK);
    handleInterrupts();
    if (importsPending()) importFiles();
    if (ttyPoll() && userland) wakeup(W_CONSOLE, 0);
    if (consoleQueued() < CONSOLE_RING_SIZE && !intcUnmasked(1 << IRQ_UART)) intcUnmask(1 << IRQ_UART);
    if (userland) sendKeySignals();
    if (monitorStopped() || k.state != KERNEL_RUNNING) break;
    if (!userland) break;
    wakeAt = schedHasTimedSleepers() ? schedWakeSleepers(timeNowNs()) : WAKE_NEVER;
    if (c.sliceWork >= budget || sliceOutOfTime()) { runnable = schedPick() != NO_SLOT; break; }
    const slot = schedPickClaim();
    if (slot == NO_SLOT) break;
    runProcess(slot, <u64>(budget - c.sliceWork));
  }
  // Tickless: the timer is armed only for the next sleeper's deadline.
  if (wakeAt != WAKE_NEVER) timerArm(wakeAt); else timerDisarm();
  publishSlice(wakeAt);
  return runEnd(runnable);
}

/** The slice's result; an idle vCPU notes when it went idle. */
function runEnd(runnable: bool): i32 {
  const k = kernel();
  if (k.state == KERNEL_HALTED) return RUN_HALTED;
  if (k.state == KERNEL_REBOOTING) return RUN_REBOOT;
  if (runnable) return RUN_BUDGET_SPENT;
  const c = cpu();
  c.state = CPU_IDLE;
  const now = timeNowNs();
  c.idleSince = now > 0 ? now : 1;
  return RUN_IDLE;
}

/** A run() starts: an idle spell ends. */
function cpuBusy(nowNs: u64): void {
  const c = cpu();
  if (c.idleSince != 0 && nowNs > c.idleSince) c.idleNs += nowNs - c.idleSince;
  c.idleSince = 0;
  c.state = CPU_BUSY;
}

/**
 * run() on a vCPU other than 0: it only runs processes. Device interrupts,
 * console input, imports, the sleepers' timer and the monitor are vCPU 0's
 * (they are routed to it), so this loop picks runnable processes (never one
 * another vCPU is running: those are P_RUNNING) until its budget is spent
 * or none is left, and asks for no wake-up of its own: vCPU 0 makes the
 * processes it wakes runnable, and the host calls every vCPU each turn.
 */
function runSecondary(budget: u32): i32 {
  const k = kernel();
  const c = cpu();
  if (c.state == CPU_OFFLINE || procTable().table == 0) {
    c.sliceWork = 0;
    publishSlice(WAKE_NEVER);
    return RUN_IDLE;
  }
  if (!hartAttached() && hartResume() != HART_OK) panic("smp: a vCPU could not attach its hart arena");
  const startNs = timeNowNs();
  cpuBusy(startNs);
  traceClock(startNs);
  sliceBegin(startNs);
  let runnable = false;
  for (;;) {
    chargeWork(SCHED_ROUND_WORK);
    if (monitorStopped() || k.state != KERNEL_RUNNING) break;
    if (c.sliceWork >= budget || sliceOutOfTime()) { runnable = schedPick() != NO_SLOT; break; }
    const slot = schedPickClaim();
    if (slot == NO_SLOT) break;
    runProcess(slot, <u64>(budget - c.sliceWork));
  }
  armForSleepers();
  publishSlice(WAKE_NEVER);
  return runEnd(runnable);
}

/**
 * The end of a run() of a vCPU other than 0. vCPU 0 owns the timer and the
 * sleepers: it wakes the due ones and arms the timer for the next deadline
 * at the end of its own run(). A timed sleep (sleep, futex_wait with a
 * timeout) begun here after that look would not be armed, and with every
 * vCPU idle the machine would wait for input; so if the earliest deadline
 * is before the one vCPU 0 published (CB_WAKE_AT), arm the timer for it and
 * publish it. When it fires, vCPU 0 wakes the sleeper as it wakes its own.
 * Under the big kernel lock in parallel mode (run() holds it), so vCPU 0's
 * arming and this one never interleave.
 */
function armForSleepers(): void {
  const next = schedNextWake(timeNowNs());
  if (next >= load<u64>(CONTROL_BLOCK + CB_WAKE_AT)) return;
  timerArm(next);
  store<u64>(CONTROL_BLOCK + CB_WAKE_AT, next);
}

/** Results of resume(). */
export const RESUME_OK: i32 = 0;
export const RESUME_NOT_BOOTED: i32 = 1;
export const RESUME_BAD_HART: i32 = 2;
/** A device's saved state disagrees with its driver's record in RAM. */
export const RESUME_BAD_DEVICES: i32 = 3;

/**
 * Continues a machine from a snapshot. All kernel state is in linear memory,
 * which the host has just restored; what is not are the per-instance WASM
 * globals, and the only ones that outlive a run() slice are the hart's
 * TLB and block-cache pointers (machine/: the rest are scratch reset at the
 * start of every hart run). The stub runtime's heap is never used.
 */
export function resume(): i32 {
  const r = resumeRewound();
  // No debugger connection survives a snapshot: a process one held runs on.
  if (r == RESUME_OK && cpuId() == 0) debugDetach();
  return r;
}

/** resume() for the GDB server's own snapshots (reverse execution,
 *  host/gdb/reverse.ts): the machine goes back in time under the same
 *  debugger, so its session stays. */
export function resumeRewound(): i32 {
  if (kernel().state == KERNEL_BOOTING) return RESUME_NOT_BOOTED;
  if (hartResume() != HART_OK) return RESUME_BAD_HART;
  // The other vCPUs hold no device state: their arena is all there is.
  if (cpuId() != 0) return RESUME_OK;
  // The devices' registers came from the snapshot's header, RAM from its
  // body: refuse a machine whose two halves disagree rather than run it.
  // The UART's line is masked only while the console's receive ring is
  // full (the interrupt handler above): any other masked line is a forgery.
  const uartHeld = consoleQueued() >= CONSOLE_RING_SIZE;
  if (!uartConfigured() || !blkMatchesDevice() || !intcUnmasked(HANDLED_IRQS & ~(1 << IRQ_UART))) return RESUME_BAD_DEVICES;
  if (!uartHeld && !intcUnmasked(1 << IRQ_UART)) return RESUME_BAD_DEVICES;
  return RESUME_OK;
}

/** The host found the kernel trapped outside a panic (a kernel bug): it put
 *  a description in the control block, and the kernel panics with it. */
export function panicFromHost(): void {
  const len = min(load<u32>(CONTROL_BLOCK + CB_PANIC_LEN), <u32>CB_PANIC_MAX);
  // Copy out first: panicEnd() rewrites the control block's message.
  const scratch = KSTATE_SCRATCH;
  memory.copy(scratch, CONTROL_BLOCK + CB_PANIC_MSG, len);
  panicBegin();
  printBytes(scratch, len);
  panicEnd();
}
