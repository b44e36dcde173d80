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
import { publishPanicMessage, publishState, KERNEL_PANICKED } from "./kstate";

/** Begins a panic: the caller prints the message, then calls panicEnd(). */
export function panicBegin(): void {
  printSetSinks(SINK_UART);
  printStr("\n*** KERNEL PANIC: ");
  captureBegin();
}

export function panicEnd(): void {
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

