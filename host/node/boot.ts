// The headless runner: boots Keel in Node with the UART on this terminal.
//
//   npm run boot -- [--ram MiB] [--clock realtime|deterministic]
//                   [--cmdline TEXT] [--vga] [--debug] [--bootfs PATH]
//                   [--monitor] [--help]
//
// On a TTY the terminal is put in raw mode and every key goes to the guest;
// Ctrl-A x quits (Ctrl-A Ctrl-A sends a literal Ctrl-A). With piped input
// the bytes are fed to the guest as they come, so scripts can drive it; when
// input ends and the machine has nothing left to do, the runner exits.
// Exit status: 0 after a halt or a clean end of input, 1 after a panic, 2
// for bad options.

import { parseBootArgs, BootArgsError, BOOT_USAGE, DEFAULT_BOOTFS } from "./args.js";
import { fileURLToPath } from "node:url";
import { loadKernelModule } from "./kernel-file.js";
import { Machine } from "../machine.js";
import { RunLoop } from "../runloop.js";
import { BOOT_MODULE_BOOTFS, type BootModule } from "../bootinfo.js";
import { readFile } from "node:fs/promises";

const CTRL_A = 0x01;

async function main(): Promise<number> {
  let args;
  try {
    args = parseBootArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BootArgsError) {
      process.stderr.write(`keel: ${error.message}\n${BOOT_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    process.stdout.write(BOOT_USAGE);
    return 0;
  }

  const kernel = await loadKernelModule(args.debug);
  let modules: BootModule[] = [];
  if (args.bootfs !== null) {
    try {
      // The default image is the repository's, wherever the runner is started from.
      const path = args.bootfs === DEFAULT_BOOTFS ? fileURLToPath(new URL(`../../${DEFAULT_BOOTFS}`, import.meta.url)) : args.bootfs;
      modules = [{ name: "bootfs", kind: BOOT_MODULE_BOOTFS, data: new Uint8Array(await readFile(path)) }];
    } catch {
      process.stderr.write(`keel: cannot read the boot file system image ${args.bootfs}\n`);
      return 2;
    }
  }
  let inputEnded = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  const machine = new Machine(
    kernel,
    { ramBytes: args.ramMiB * 1024 * 1024, clock: args.clock, cmdline: args.cmdline, modules },
    {
      uartOutput: (bytes) => process.stdout.write(bytes),
      stateChanged: (state) => {
        if (state === "halted") finish(0);
        if (state === "panicked") finish(1);
      },
      hostLog: (level, text) => process.stderr.write(`[host log ${level}] ${text}\n`),
    },
  );
  const loop = new RunLoop(machine, {
    onTick: (report) => {
      if (inputEnded && report.state === "idle" && report.wakeInMs === null && machine.uart.rxQueued() === 0) finish(0);
    },
  });

  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let pendingCtrlA = false;
  if (tty) {
    stdin.setRawMode(true);
    process.stderr.write("keel: Ctrl-A x quits\r\n");
  }
  stdin.on("data", (chunk: Buffer) => {
    if (!tty) {
      machine.input(chunk);
      loop.kick();
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (pendingCtrlA) {
        pendingCtrlA = false;
        if (b === 0x78 /* x */) return finish(0);
        if (b === CTRL_A) out.push(CTRL_A);
        continue;
      }
      if (b === CTRL_A) pendingCtrlA = true;
      else out.push(b);
    }
    if (out.length > 0) {
      machine.input(Uint8Array.from(out));
      loop.kick();
    }
  });
  stdin.on("end", () => {
    inputEnded = true;
    loop.kick();
  });

  machine.boot();
  loop.start();
  const code = await done;
  loop.stop();
  if (tty) stdin.setRawMode(false);
  stdin.pause();
  if (machine.state === "panicked") process.stderr.write(`\nkeel: kernel panic: ${machine.panicText}\n`);
  if (args.vga) {
    process.stdout.write("\n--- VGA screen ---\n");
    for (const row of machine.vgaText()) process.stdout.write(`${row}\n`);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
