// The headless runner: boots Keel in Node with the UART on this terminal.
//
//   npm run boot -- [--ram MiB] [--clock realtime|deterministic]
//                   [--cmdline TEXT] [--vga] [--debug] [--bootfs PATH]
//                   [--monitor] [--restore FILE] [--save FILE]
//                   [--gdb PORT [--gdb-attach PID|NAME] [--gdb-log]] [--help]
//
// On a TTY the terminal is put in raw mode and every key goes to the guest
// (Ctrl-C, Ctrl-\ and Ctrl-Z too: raw mode turns off the terminal's own
// signals, so they reach the shell's foreground job, not this runner);
// Ctrl-A x quits (Ctrl-A Ctrl-A sends a literal Ctrl-A). With piped input
// the bytes are fed to the guest as they come, so scripts can drive it; when
// input ends and the machine has nothing left to do, the runner exits.
// --restore continues a snapshot (host/snapshot.ts) instead of powering on;
// --save writes one when the runner stops, however it stops (SIGINT too).
// --gdb serves the GDB remote protocol on 127.0.0.1 (host/node/gdb-tcp.ts);
// while gdb is connected or a process is debugged, the runner stays up.
// `download FILE` in the guest (user/prog/download.c) writes the file into
// this runner's current directory (as NAME.1, NAME.2, ... when NAME is
// taken) and says where on standard error. A --disk file ending in .kdisk
// (the page's compressed disk, host/disk/kdisk.ts) runs in memory and is
// written back, compressed, when the runner stops.
// Exit status: 0 after a halt or a clean end of input, 1 after a panic, 2
// for bad options or a snapshot that cannot be restored, 130 after SIGINT.

import { parseBootArgs, BootArgsError, BOOT_USAGE, DEFAULT_BOOTFS, bootCommandLine, bootMac } from "./args.js";
import { SwitchConnection } from "./switch-client.js";
import { macToString, type NetBackend } from "../net/backend.js";
import { Gateway } from "../net/gateway.js";
import { SelfPumpingSwitch } from "../net/self-pumping.js";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { loadKernel } from "./kernel-file.js";
import { Machine, type MachineCallbacks } from "../machine.js";
import { jitShare } from "../rv/jit-host.js";
import { RunLoop } from "../runloop.js";
import { BOOT_MODULE_BOOTFS, type BootModule } from "../bootinfo.js";
import { readFile, writeFile } from "node:fs/promises";
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import type { BlockBackend } from "../devices/block.js";
import { MemoryBackend } from "../disk/memory.js";
import { FileBackend, type FileSyncMode } from "./file-disk.js";
import { declaredDiskBlocks } from "../fs/format.js";
import { GdbTcpServer } from "./gdb-tcp.js";
import { KernelTrace, kernelLine } from "../trace-kernel.js";
import { MachineDebugTarget } from "../gdb/machine-target.js";
import { UndoDisk } from "../disk/undo.js";
import { DownloadScanner } from "../transfer.js";
import { KDISK_BLOCK_SIZE, KdiskError, packDisk, unpackDisk } from "../disk/kdisk.js";
import { join } from "node:path";
import { SnapshotError, decodeSnapshot, restoreDetached, saveSnapshot, snapshotBuildId, type Snapshot } from "../snapshot.js";

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

  const { module: kernel, bytes: kernelBytes } = await loadKernel(args.debug);
  const buildId = await snapshotBuildId(kernelBytes);
  let snapshot: Snapshot | null = null;
  if (args.restore !== null) {
    try {
      snapshot = await decodeSnapshot(new Uint8Array(await readFile(args.restore)), buildId);
    } catch (error) {
      const reason = error instanceof SnapshotError ? error.message : `it cannot be read (${error instanceof Error ? error.message : String(error)})`;
      process.stderr.write(`keel: ${args.restore}: ${reason}\n`);
      return 2;
    }
  }
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
  // The network card's wire: joined before the machine is built (the card attaches at power-on).
  let net: SwitchConnection | null = null;
  let mac: Uint8Array | null = null;
  // --net gateway: the card and a gateway on a switch of our own (docs/network.md "The gateway").
  let gateway: Gateway | null = null;
  let gatewayTimer: ReturnType<typeof setInterval> | null = null;
  let wakeForFrames = () => {};
  let backend: NetBackend | null = null;
  if (args.net?.kind === "gateway") {
    mac = bootMac(args) ?? Uint8Array.from(randomBytes(6), (b, i) => (i === 0 ? (b & 0xfc) | 0x02 : b));
    const wire = new SelfPumpingSwitch("keel --net gateway", () => wakeForFrames());
    const gw = new Gateway(wire, { now: () => machine?.virtualNowNs ?? 0, hosts: args.gatewayHosts });
    gateway = gw;
    // Its TCP timers (retransmission, TIME_WAIT) run on ticks; the timer never keeps the runner alive.
    gatewayTimer = setInterval(() => gw.tick(), 10);
    gatewayTimer.unref();
    backend = wire;
    const mapped = Object.entries(args.gatewayHosts).map(([n, h]) => `${n} → ${h}`).join(", ");
    process.stderr.write(`keel: network: a gateway at 10.0.2.2 (DHCP, DNS, HTTP out through fetch${mapped ? `; ${mapped}` : ""}), MAC ${macToString(mac)}\n`);
  } else if (args.net !== null) {
    mac = bootMac(args) ?? Uint8Array.from(randomBytes(6), (b, i) => (i === 0 ? (b & 0xfc) | 0x02 : b));
    try {
      net = await SwitchConnection.connect({
        address: args.net.address, mac, name: `keel ${args.ip?.split("/")[0] ?? macToString(mac)} pid ${process.pid}`, lockstep: args.clock === "deterministic",
      });
    } catch (error) {
      process.stderr.write(`keel: --net switch:${args.net.address}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
    process.stderr.write(`keel: network: port ${net.port} on the switch at ${net.address}${net.lockstep ? " (lockstep)" : ""}, MAC ${macToString(mac)}\n`);
    backend = net;
  }
  const nic = backend !== null && mac !== null ? { backend, mac } : null;
  let inputEnded = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  const downloads = new DownloadScanner();
  const callbacks: MachineCallbacks = {
    uartOutput: (bytes) => {
      const { output, events } = downloads.feed(bytes);
      if (output.length > 0) process.stdout.write(output);
      for (const event of events) {
        if (event.kind === "file") {
          const path = freeName(process.cwd(), event.name);
          writeFileSync(path, event.bytes);
          process.stderr.write(`keel: download: saved ${event.name} (${event.bytes.length} bytes) as ${path}\n`);
        } else if (event.kind === "error") {
          process.stderr.write(`keel: download failed: ${event.message}\n`);
        }
      }
    },
    stateChanged: (state) => {
      if (state === "halted") finish(0);
      if (state === "panicked") finish(1);
    },
    hostLog: (level, text) => process.stderr.write(`[host log ${level}] ${text}\n`),
  };
  let machine: Machine | undefined;
  let undoDisk: UndoDisk | null = null;
  if (snapshot !== null) {
    // Every check first (the machine is built and resumed on a placeholder
    // disk); only then is the snapshot's disk written over the user's.
    if (snapshot.disk !== null && args.disk === "none") {
      process.stderr.write(`keel: ${args.restore}: this snapshot has a disk; it cannot be restored with --no-disk or --monitor\n`);
      return 2;
    }
    let restored;
    try {
      restored = restoreDetached(kernel, snapshot, callbacks, modules, nic, args.jit);
    } catch (error) {
      process.stderr.write(`keel: ${args.restore}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
    machine = restored.machine;
    if (snapshot.disk !== null) {
      try {
        restored.attachDisk(snapshotDisk(snapshot.disk, args.disk, args.fsync));
      } catch (error) {
        process.stderr.write(`keel: ${args.restore}: the snapshot's disk could not be written (${error instanceof Error ? error.message : String(error)})\n`);
        return 2;
      }
    }
    process.stderr.write(`keel: continuing the machine saved in ${args.restore} at ${snapshot.created}\n`);
  } else {
    let disk: BlockBackend | null;
    try {
      disk = await openDisk(args.disk, args.fsync);
    } catch (error) {
      process.stderr.write(`keel: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
    // Reverse execution takes the disk back with the machine: it keeps old blocks (host/disk/undo.ts).
    if (disk !== null && args.gdbPort !== null && args.clock === "deterministic") disk = undoDisk = new UndoDisk(disk);
    machine = new Machine(kernel, { ramBytes: args.ramMiB * 1024 * 1024, clock: args.clock, cpus: args.cpus, cmdline: bootCommandLine(args), modules, disk, nic, jit: args.jit }, callbacks);
  }
  const tty = process.stdin.isTTY === true;
  let gdb: GdbTcpServer | null = null;
  // With a network card the machine can be called at any time: the end of input does not end the runner.
  const endOfInputEnds = () => gateway === null && (net === null || !net.up);
  let traceKernel: KernelTrace | null = null;
  if (args.traceKernel) {
    // trace -k: the kernel functions of each traced call, printed under trace's own line (host/trace-kernel.ts).
    const kt = new KernelTrace(machine, kernelBytes, (line) => process.stderr.write(`keel: ${line.record.line}\nkeel: ${kernelLine(line)}\n`));
    process.stderr.write("keel: trace -k: building the instrumented kernel\n");
    await kt.ready;
    process.stderr.write(`keel: trace -k: ${kt.problem ?? "ready: every call trace prints gets its kernel functions here"}\n`);
    traceKernel = kt;
  }
  const loop = new RunLoop(machine, {
    onTick: (report) => {
      gdb?.poll();
      traceKernel?.afterSlice();
      if (inputEnded && endOfInputEnds() && report.state === "idle" && report.wakeInMs === null && machine.uart.rxQueued() === 0 && !gdb?.busy) finish(0);
    },
  });
  wakeForFrames = () => loop.kick();
  // Lockstep (deterministic clock on a lockstep switch): the switch says how far to run (TICK); the
  // runner runs there, says DONE, and waits; frames arrive between quanta (docs/network.md).
  let lockstep = net?.lockstep === true;
  let powered = false; // a TICK that comes before the machine is on waits for it
  let startLockstep = () => {};
  if (net !== null) {
    const link = net;
    let horizon: number | null = null;
    const runToHorizon = () => {
      if (horizon === null || !lockstep || !powered) return;
      const report = machine.runFor(8);
      if (report.state === "halted" || report.state === "panicked" || report.state === "off") {
        link.done(horizon, null);
        horizon = null;
        return;
      }
      if (machine.virtualNowNs < horizon) {
        setImmediate(runToHorizon);
        return;
      }
      const reached = horizon;
      horizon = null;
      const idle = machine.state === "idle";
      link.done(reached, idle ? machine.nextWakeAtNs : reached);
      if (inputEnded && endOfInputEnds() && idle && machine.nextWakeAtNs === null && machine.uart.rxQueued() === 0) finish(0);
    };
    link.onTick = (h) => {
      horizon = h;
      machine.setHorizon(h);
      setImmediate(runToHorizon);
    };
    startLockstep = () => {
      powered = true;
      if (horizon !== null) setImmediate(runToHorizon);
    };
    link.onFrame = () => {
      if (!lockstep) loop.kick();
    };
    link.onClose = (reason) => {
      process.stderr.write(`${tty ? "\r\n" : ""}keel: network: ${reason}; the card's link is down\n`);
      if (lockstep) {
        // Nobody paces the machine any more: it runs on by itself.
        lockstep = false;
        horizon = null;
        machine.setHorizon(null);
        loop.start();
      }
      loop.kick();
    };
  }
  if (args.gdbPort !== null) {
    const target = new MachineDebugTarget(machine);
    target.onResume = () => loop.kick();
    // monitor syscall: the kernel side of a stepped-over ecall, from an instrumented build made in the background.
    void target.enableKernelSide(kernelBytes).then(() => process.stderr.write(`keel: gdb: ${target.kernelSideStatus()}\n`));
    if (machine.config.clock === "deterministic" && (machine.block.disk === null || undoDisk !== null)) {
      target.enableHistory(undoDisk, { snapshots: args.gdbSnapshots ?? undefined, intervalRuns: args.gdbSnapshotEvery ?? undefined });
    } else if (machine.config.clock === "deterministic") {
      process.stderr.write("keel: gdb: no reverse execution on a restored machine's disk\n");
    }
    gdb = new GdbTcpServer(target, {
      port: args.gdbPort,
      attach: args.gdbAttach,
      log: (line) => {
        process.stderr.write(`keel: ${line}\n`);
        loop.kick(); // a disconnect may let the runner finish
      },
      packetLog: args.gdbLog ? (dir, text) => process.stderr.write(`keel: gdb ${dir === "in" ? "<-" : "->"} ${text}\n`) : undefined,
      // After an exec gdb loads the new program's symbols from its debug copy, when the build has one.
      execPath: (name) => {
        const debugCopy = fileURLToPath(new URL(`../../user/bin/${name}.debug`, import.meta.url));
        return /^[\w.+-]+$/.test(name) && existsSync(debugCopy) ? debugCopy : `/${name}`;
      },
    });
    try {
      await gdb.listen();
    } catch (error) {
      process.stderr.write(`keel: gdb: cannot listen on 127.0.0.1:${args.gdbPort} (${error instanceof Error ? error.message : String(error)})\n`);
      return 2;
    }
  }

  const stdin = process.stdin;
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

  process.once("SIGINT", () => finish(130));
  process.once("SIGTERM", () => finish(143));
  if (snapshot === null) machine.boot();
  traceKernel?.start();
  gdb?.armAttach();
  if (!lockstep) loop.start();
  else startLockstep();
  const code = await done;
  loop.stop();
  lockstep = false;
  if (net !== null) { net.onClose = null; net.close(); }
  if (gatewayTimer !== null) clearInterval(gatewayTimer);
  machine.block.disk?.settle?.(); // whatever the kernel flushed is on the host's disk before we exit
  if (packedDisk !== null && machine.block.disk instanceof MemoryBackend) {
    const disk = machine.block.disk;
    const temporary = `${packedDisk}.keel-save-${process.pid}`;
    writeFileSync(temporary, await packDisk(disk.image(), disk.blocks));
    renameSync(temporary, packedDisk);
  }
  gdb?.close();
  if (args.save !== null && machine.state !== "off") {
    await writeFile(args.save, await saveSnapshot(machine, buildId));
    process.stderr.write(`${tty ? "\r\n" : ""}keel: saved a snapshot in ${args.save}\n`);
  }
  if (tty) stdin.setRawMode(false);
  stdin.pause();
  if (machine.state === "panicked") process.stderr.write(`\nkeel: kernel panic: ${machine.panicText}\n`);
  if (args.stats) process.stderr.write(`${tty ? "\r\n" : ""}${statsText(machine)}`);
  if (args.vga) {
    process.stdout.write("\n--- VGA screen ---\n");
    for (const row of machine.vgaText()) process.stdout.write(`${row}\n`);
  }
  return code;
}

/** --stats: the machine's work and virtual time, and the JIT's figures (docs/hart.md "JIT"). */
export function statsText(machine: Machine): string {
  const s = machine.stats();
  const jit = machine.jitStats();
  const lines = [`keel: stats: work ${s.workTotal}, ${(machine.virtualNowNs / 1e9).toFixed(3)} s of virtual time, ${s.boots} boot(s)`];
  if (jit === null) lines.push("keel: stats: JIT off (the interpreter)");
  else {
    lines.push(`keel: stats: hart retired ${jit.retired} instructions, ${jit.insns} (${jitShare(jit)}%) in compiled units`);
    lines.push(`keel: stats: JIT ${jit.units} units (${jit.bytes} bytes, ${jit.compileMs.toFixed(1)} ms compiling), ${jit.calls} calls into them`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

/** The shipped disk image (build/disk.img, from `npm run build:disk`). */
const SHIPPED_DISK = fileURLToPath(new URL("../../build/disk.img", import.meta.url));

/** A name in `dir` for a downloaded file: `name`, else name.1, name.2, ... */
function freeName(dir: string, name: string): string {
  const safe = name.replaceAll("/", "_").replace(/^\.\.?$/, "_") || "download";
  for (let i = 0; ; i++) {
    const path = join(dir, i === 0 ? safe : `${safe}.${i}`);
    if (!existsSync(path)) return path;
  }
}

/** The --disk file when it is a .kdisk (written back when the runner stops), else null. */
let packedDisk: string | null = null;

async function openDisk(choice: string | null, sync: FileSyncMode): Promise<BlockBackend | null> {
  if (choice === "none") return null;
  if (choice !== null && choice.endsWith(".kdisk")) {
    if (!existsSync(choice)) throw new Error(`${choice} does not exist (a .kdisk is made by the page's Download disk)`);
    let unpacked;
    try {
      unpacked = await unpackDisk(new Uint8Array(await readFile(choice)), 262_144);
    } catch (error) {
      if (error instanceof KdiskError) throw new Error(`${choice} is not a Keel disk file: ${error.message}`);
      throw error;
    }
    const blocks = unpacked.blocks ?? declaredDiskBlocks(unpacked.image);
    if (blocks === null) throw new Error(`${choice} is not a Keel disk image (no superblock)`);
    if (unpacked.image.length > blocks * KDISK_BLOCK_SIZE) throw new Error(`${choice} holds more than its ${blocks}-block disk`);
    packedDisk = choice;
    return new MemoryBackend(unpacked.image, blocks);
  }
  if (choice === null) {
    if (!existsSync(SHIPPED_DISK)) return null; // not built: the boot file system is the root
    const image = new Uint8Array(await readFile(SHIPPED_DISK));
    return new MemoryBackend(image, declaredDiskBlocks(image) ?? undefined);
  }
  if (!existsSync(choice)) {
    if (!existsSync(SHIPPED_DISK)) throw new Error(`${choice} does not exist and there is no shipped image to copy (run "npm run build:disk")`);
    copyFileSync(SHIPPED_DISK, choice);
    process.stderr.write(`keel: made ${choice} from the shipped disk image\n`);
  }
  const head = new Uint8Array(8192);
  const fd = openSync(choice, "r");
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  if (declaredDiskBlocks(head) === null) throw new Error(`${choice} is not a Keel disk image (no superblock)`);
  return new FileBackend(choice, { sync });
}

/** The disk a restored machine continues on, once everything else is
 *  checked: a copy in memory, or the snapshot's disk written over the
 *  --disk file. The file is replaced whole (written beside it, synced, then
 *  renamed over it), so a failure half-way leaves the old disk. */
function snapshotDisk(disk: NonNullable<Snapshot["disk"]>, choice: string | null, sync: FileSyncMode): BlockBackend {
  if (choice === null || choice === "none") return new MemoryBackend(disk.image, disk.blocks);
  const temporary = `${choice}.keel-restore-${process.pid}`;
  try {
    const fd = openSync(temporary, "w");
    try {
      for (let done = 0; done < disk.image.length;) done += writeSync(fd, disk.image, done, disk.image.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, choice);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  process.stderr.write(`keel: ${choice} now holds the snapshot's disk\n`);
  return new FileBackend(choice, { blocks: disk.blocks, sync });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keel: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
