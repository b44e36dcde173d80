// The GDB server's target on a Keel machine: the kernel's debugging
// interface (Machine.debugInterface(), kernel-as/src/proc/debug.ts) behind
// the session's DebugTarget. Memory moves through the kernel's I/O window
// in RAM; everything else is one export call. Works wherever a Machine
// runs (Node, the page's worker).

import type { Machine, KernelDebugExports } from "../machine.js";
import type { DebugTarget, StopInfo, TargetEvent, WatchKind } from "./session.js";
import { REG_COUNT, registerBytes } from "./riscv.js";

// proc/debug.ts EVENT_*, STOP_*, and machine/debug.ts WATCH_*.
const EVENT_STOP = 1;
const EVENT_EXIT = 2;
const REASONS: StopInfo["reason"][] = ["attach", "attach", "break", "watch", "step", "interrupt", "fault"];
const WATCH_CODES: Record<WatchKind, number> = { write: 1, read: 2, access: 3 };
const WATCH_NAMES: Record<number, WatchKind> = { 1: "write", 2: "read", 3: "access" };
const IO_MAX = 0x800;

export class MachineDebugTarget implements DebugTarget {
  /** Called after a resume, so the host's run loop runs the machine again. */
  onResume?: () => void;

  constructor(private readonly machine: Machine) {}

  private kernel(): KernelDebugExports | null {
    return this.machine.debugInterface();
  }

  pid(): number | null {
    const pid = this.kernel()?.debugSession() ?? 0;
    return pid > 0 ? pid : null;
  }

  stopped(): boolean {
    return this.kernel()?.debugStopped() === 1;
  }

  lastStop(): StopInfo {
    const k = this.kernel();
    if (k === null) return { signal: 5, reason: "attach" };
    const reason = REASONS[k.debugStopReason()] ?? "attach";
    const stop: StopInfo = { signal: k.debugStopSignal(), reason };
    if (reason === "watch") {
      stop.watch = { kind: WATCH_NAMES[k.debugWatchKind()] ?? "write", addr: BigInt.asUintN(64, k.debugStopAddr()) };
    }
    return stop;
  }

  attach(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) return false;
    return this.kernel()?.debugAttach(pid) === 0;
  }

  /** Attaches to the next process that execs `name` (at most 16 bytes). */
  attachOnExec(name: string): boolean {
    const k = this.kernel();
    const bytes = new TextEncoder().encode(name);
    if (k === null || bytes.length === 0 || bytes.length > 16) return false;
    new Uint8Array(this.machine.ram, k.debugIoBuffer(), bytes.length).set(bytes);
    return k.debugAttachExec(bytes.length) === 0;
  }

  readRegisters(): bigint[] {
    const k = this.kernel();
    const regs: bigint[] = [];
    for (let i = 0; i < REG_COUNT; i++) regs.push(k === null ? 0n : BigInt.asUintN(64, k.debugReg(i)));
    return regs;
  }

  readRegister(index: number): bigint | null {
    const k = this.kernel();
    if (k === null || registerBytes(index) === 0) return null;
    return BigInt.asUintN(64, k.debugReg(index));
  }

  writeRegister(index: number, value: bigint): boolean {
    if (registerBytes(index) === 0) return false;
    return this.kernel()?.debugSetReg(index, BigInt.asIntN(64, value)) === 0;
  }

  readMemory(addr: bigint, len: number): Uint8Array {
    const k = this.kernel();
    if (k === null) return new Uint8Array(0);
    const got = k.debugRead(BigInt.asIntN(64, addr), Math.min(len, IO_MAX));
    if (got <= 0) return new Uint8Array(0);
    return new Uint8Array(this.machine.ram, k.debugIoBuffer(), got).slice();
  }

  writeMemory(addr: bigint, data: Uint8Array): boolean {
    const k = this.kernel();
    if (k === null || data.length > IO_MAX) return false;
    new Uint8Array(this.machine.ram, k.debugIoBuffer(), data.length).set(data);
    return k.debugWrite(BigInt.asIntN(64, addr), data.length) === 0;
  }

  setBreakpoint(addr: bigint, on: boolean): boolean {
    return this.kernel()?.debugBreak(BigInt.asIntN(64, addr), on ? 1 : 0) === 0;
  }

  setWatchpoint(addr: bigint, len: number, kind: WatchKind, on: boolean): boolean {
    return this.kernel()?.debugWatch(BigInt.asIntN(64, addr), BigInt(len), WATCH_CODES[kind], on ? 1 : 0) === 0;
  }

  resume(step: boolean): boolean {
    const ok = this.kernel()?.debugResume(step ? 1 : 0) === 0;
    if (ok) this.onResume?.();
    return ok;
  }

  interrupt(): void {
    this.kernel()?.debugInterrupt();
  }

  kill(): void {
    this.kernel()?.debugKill();
    this.onResume?.();
  }

  detach(): void {
    this.kernel()?.debugDetach();
    this.onResume?.();
  }

  takeEvent(): TargetEvent | null {
    const k = this.kernel();
    if (k === null) return null;
    const event = k.debugTakeEvent();
    if (event === EVENT_STOP) return { kind: "stop", stop: this.lastStop() };
    if (event === EVENT_EXIT) return { kind: "exit", status: k.debugExitStatus(), signal: k.debugExitSignal() };
    return null;
  }
}
