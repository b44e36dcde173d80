// Panic: the kernel's last word. The message goes to the UART and the host
// mailbox, the VGA screen turns red with the message, the machine state
// becomes PANICKED, and execution stops with a trap that the host expects
// (run() never resumes a panicked kernel; only a reboot does).
// Also the AssemblyScript abort handler (asconfig "use abort=..."), so a
// failed assertion or bounds check inside the kernel panics cleanly.

import {
  emit, printStr, printBytes, printDec, printSetSinks, captureBegin, captureEnd, captureText, captureLength,
  SINK_UART, SINK_VGA, printFlush,
} from "./print";
import { vgaFill, makeAttr, COLOR_WHITE, COLOR_RED } from "../dev/vga";
import { hypercall } from "../arch/imports";
import { HV_PANIC } from "../arch/hw";
import { publishPanicMessage, publishState, kernel, KERNEL_PANICKED, SYSCALL_NONE } from "./kstate";
import { syscallName } from "../sys/names";
import { cpu } from "./cpu";

/** Begins a panic: the caller prints the message, then calls panicEnd(). */
export function panicBegin(): void {
  printSetSinks(SINK_UART);
  printStr("\n*** KERNEL PANIC: ");
  captureBegin();
}

/** Where the panic happened, when a process was running: " [pid 7 (fuzz),
 *  system call 8 (fstat)]" (the run loop keeps the vCPU record's run fields, lib/cpu.ts).
 *  A panic with no process running (the monitor's) adds nothing. */
function printWhere(): void {
  const k = cpu();
  if (k.runPid <= 0) return;
  printStr(" [pid ");
  printDec(<u64>k.runPid);
  printStr(" (");
  printBytes(<usize>k.runName, <usize>k.runNameLength);
  printStr(")");
  if (k.sysNum != SYSCALL_NONE) {
    printStr(", system call ");
    printDec(<u64>k.sysNum);
    printStr(" (");
    printStr(syscallName(k.sysNum));
    printStr(")");
  } else {
    printStr(", running user code or handling its trap");
  }
  printStr("]");
}

export function panicEnd(): void {
  printWhere();
  captureEnd();
  const msg = captureText();
  const len = captureLength();
  printStr("\n*** The machine has stopped. Reboot to start again.\n");
  publishPanicMessage(msg, len);

  vgaFill(makeAttr(COLOR_WHITE, COLOR_RED));
  printSetSinks(SINK_VGA);
  printStr("\n  KERNEL PANIC\n\n  ");
  printBytes(msg, len);
  printStr("\n\n  The machine has stopped. Reboot to start again.\n");
  printFlush();

  publishState(KERNEL_PANICKED);
  hypercall(HV_PANIC, <u32>msg, len, 0);
  unreachable();
}

export function panic(message: string): void {
  panicBegin();
  printStr(message);
  panicEnd();
}

export function kernelAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  panicBegin();
  printStr("assertion failed: ");
  printStr(message !== null ? message : "(no message)");
  if (fileName !== null) {
    printStr(" at ");
    printStr(fileName);
    emit(0x3A);
    printDec(line);
    emit(0x3A);
    printDec(column);
  }
  panicEnd();
}

