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
import { macToString, parseMac, type NetBackend, type NetEndpoint } from "../net/backend.js";
import { createHash } from "node:crypto";
import { Recorder, Replayer, positionOf, type SessionEvent } from "../replay.js";
import { decodeSession, encodeSession, SessionFileError, type SentFrame, type SessionFile } from "./session-file.js";
import { Gateway } from "../net/gateway.js";
import { SelfPumpingSwitch } from "../net/self-pumping.js";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { kernelPath, loadKernel } from "./kernel-file.js";
import { loadSharedKernel, nodeVcpuSpawner, sharedKernelPath } from "./vcpu-threads.js";
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
  // --replay: the recording says how the machine was configured (host/node/session-file.ts).
  let session: SessionFile | null = null;
  if (args.replay !== null) {
    try {
      session = decodeSession(new Uint8Array(await readFile(args.replay)));
    } catch (error) {
      const reason = error instanceof SessionFileError ? error.message : `it cannot be read (${error instanceof Error ? error.message : String(error)})`;
      process.stderr.write(`keel: --replay ${args.replay}: ${reason}\n`);
      return 2;
    }
    if (session.kernel !== buildId) {
      process.stderr.write(`keel: --replay ${args.replay}: it was recorded on another kernel build (${session.kernel.slice(0, 12)}…, this one is ${buildId.slice(0, 12)}…): it would not replay\n`);
      return 2;
    }
    Object.assign(args, { ramMiB: session.machine.ramMiB, cpus: session.machine.cpus, cmdline: session.machine.cmdline, ip: null, mac: session.machine.mac,
      disk: session.disk === null ? "none" : null });
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
  // --replay: the card's wire is the recording (frames in), checked against the frames the recording says it sent.
  let replayEndpoint: NetEndpoint | null = null;
  let replayer: Replayer | null = null;
  let sentChecked = 0;
  if (session !== null && session.machine.mac !== null) {
    mac = parseMac(session.machine.mac);
    const sent = session.sent;
    backend = {
      attach: (endpoint) => {
        replayEndpoint = endpoint;
        return {
          transmit: (frame) => {
            const want: SentFrame | undefined = sent[sentChecked++];
            const here = positionOf(machine!);
            if (want === undefined) replayer?.divergedBecause(`the machine sent frame ${sentChecked}, but the recording holds ${sent.length}`);
            else if (want.boot !== here.boot || want.run !== here.run || want.timeNs !== here.timeNs || Buffer.compare(want.bytes, frame) !== 0) {
              replayer?.divergedBecause(`sent frame ${sentChecked} differs from the recording's (recorded at power-on ${want.boot}, run ${want.run}, ${want.timeNs} ns; sent at power-on ${here.boot}, run ${here.run}, ${here.timeNs} ns)`);
            }
          },
          up: true,
          detach: () => { replayEndpoint = null; },
        };
      },
    };
  }
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
  // --record: what the card receives and sends is noted at the machine's position.
  let recorder: Recorder | null = null;
  const sentLog: SentFrame[] = [];
  if (args.record !== null && backend !== null) {
    const inner = backend;
    backend = {
      attach: (endpoint) => {
        const link = inner.attach({ mac: endpoint.mac, receive: (frame) => { recorder?.frame(frame); endpoint.receive(frame); } });
        return {
          transmit: (frame) => {
            if (recorder !== null && link.up) sentLog.push({ ...positionOf(machine!), bytes: frame.slice() });
            link.transmit(frame);
          },
          get up() { return link.up; },
          detach: () => link.detach(),
        };
      },
    };
  }
  const nic = backend !== null && mac !== null ? { backend, mac } : null;
  let inputEnded = false;
  /** The end of what the console printed, to see a prompt (lockstep's piped input). */
  let outputTail = "";
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  const downloads = new DownloadScanner();
  const callbacks: MachineCallbacks = {
    uartOutput: (bytes) => {
      outputTail = (outputTail + Buffer.from(bytes).toString("latin1")).slice(-64);
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
  /** --record: the recording, once taken (when the runner stops, or earlier when the switch went away). */
  let recording: SessionEvent[] | null = null;
  let diskHash: string | null = null;
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
    diskHash = disk instanceof MemoryBackend ? sha256(disk.image(), disk.blocks) : null;
    // --parallel: vCPUs 1..N-1 on worker threads over shared RAM, which takes the shared-memory build.
    let machineKernel = kernel;
    if (args.parallel) {
      try {
        machineKernel = loadSharedKernel(sharedKernelPath(kernelPath(false)));
      } catch (error) {
        process.stderr.write(`keel: ${error instanceof Error ? error.message : String(error)}\n`);
        return 2;
      }
    }
    machine = new Machine(machineKernel, {
      ramBytes: args.ramMiB * 1024 * 1024, clock: args.clock, cpus: args.cpus, cmdline: bootCommandLine(args), modules, disk, nic, jit: args.jit,
      ...(args.parallel ? { parallel: nodeVcpuSpawner } : {}),
    }, callbacks);
  }
  const bootfsHash = modules[0] ? sha256(modules[0].data, 0) : null;
  if (session !== null) {
    const problem = session.disk !== diskHash ? "its disk is not this runner's fresh copy of the shipped disk (build/disk.img changed since?)"
      : session.bootfs !== bootfsHash ? "its boot file system is not this one (user/bin/bootfs.img changed since?)" : null;
    if (problem !== null) {
      process.stderr.write(`keel: --replay ${args.replay}: ${problem}: it would not replay\n`);
      return 2;
    }
  }
  if (args.record !== null) recorder = new Recorder(machine);
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
  // Input given to the machine: noted by --record at the machine's position first.
  const give = (bytes: Uint8Array) => {
    recorder?.input(bytes);
    machine.input(bytes);
  };
  // Lockstep (deterministic clock on a lockstep switch): the switch says how far to run (TICK); the
  // runner runs there, says DONE, and waits; frames arrive between quanta (docs/network.md).
  // Input is given only between quanta: keys from a terminal at the next TICK, piped input line by
  // line, each when the console waits at a prompt (so a piped session repeats exactly).
  let lockstep = net?.lockstep === true;
  let powered = false; // a TICK that comes before the machine is on waits for it
  let startLockstep = () => {};
  /** Lockstep: keys typed on a terminal, given at the next TICK. */
  const held: Uint8Array[] = [];
  /** Lockstep with piped input: what came in and is not typed yet. */
  let script = new Uint8Array(0);
  let waitingForLine: (() => void) | null = null;
  if (net !== null) {
    const link = net;
    let horizon: number | null = null;
    let granted: number | null = null;
    const beginQuantum = () => {
      if (granted === null || !lockstep || !powered) return;
      horizon = granted;
      granted = null;
      for (const bytes of held.splice(0)) give(bytes);
      recorder?.horizon(horizon);
      machine.setHorizon(horizon);
      setImmediate(runToHorizon);
    };
    const atPrompt = () => /(^|\n)(\$ |keel> )$/.test(outputTail);
    /** The next line of piped input (with its newline), or the rest when input has ended; null: none yet. */
    const takeLine = (): Uint8Array | null => {
      const nl = script.indexOf(0x0a);
      if (nl < 0 && (!inputEnded || script.length === 0)) return null;
      const line = script.slice(0, nl < 0 ? script.length : nl + 1);
      script = script.slice(line.length);
      return line;
    };
    /** At a horizon: type the next piped line if the console waits for it, then say DONE. */
    const atHorizon = (reached: number) => {
      const idle = machine.state === "idle";
      if (!tty && idle && atPrompt() && machine.uart.rxQueued() === 0 && held.length === 0) {
        const line = takeLine();
        if (line !== null) {
          outputTail = "";
          give(line);
          link.done(reached, reached);
          return;
        }
        if (!inputEnded) {
          // Hold the quantum until the next line (or the end of input) comes: when it comes is not
          // part of the session.
          waitingForLine = () => { waitingForLine = null; atHorizon(reached); };
          return;
        }
        // The piped session is over and the console waits at a prompt: the runner ends here (after
        // DONE, so the switch still delivers what it sent in this quantum).
        link.done(reached, machine.nextWakeAtNs);
        finish(0);
        return;
      }
      link.done(reached, idle ? machine.nextWakeAtNs : reached);
    };
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
      atHorizon(reached);
    };
    link.onTick = (h) => {
      granted = h;
      beginQuantum();
    };
    let lostLink = false;
    startLockstep = () => {
      powered = true;
      if (lostLink) goAlone();
      else beginQuantum();
    };
    link.onFrame = () => {
      if (!lockstep) loop.kick();
    };
    /** The switch went away: nobody paces the machine any more, and it runs on by itself. */
    const goAlone = () => {
      if (recorder !== null) {
        process.stderr.write(`keel: --record: the recording ends here, where the switch went away (${machine.virtualNowNs} ns)\n`);
        recording = recorder.takeSession();
        recorder = null;
      }
      lockstep = false;
      horizon = null;
      waitingForLine = null;
      machine.setHorizon(null);
      for (const bytes of held.splice(0)) give(bytes);
      if (script.length > 0) give(script);
      script = new Uint8Array(0);
      loop.start();
    };
    link.onClose = (reason) => {
      process.stderr.write(`${tty ? "\r\n" : ""}keel: network: ${reason}; the card's link is down\n`);
      if (lockstep && powered) goAlone();
      else if (lockstep) lostLink = true; // before power-on: once the machine is on
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

  /** --replay: plays the recording back, horizon by horizon when it was made in lockstep. */
  function replaySession(rec: SessionFile): void {
    const m = machine!;
    let horizon = 0;
    const player = new Replayer(rec.events, {
      frame: (_m, bytes) => replayEndpoint?.receive(bytes),
      horizon: (mm, h) => { horizon = h; mm.setHorizon(h); },
    });
    replayer = player;
    m.setInputSchedule(player);
    const report = (): void => {
      const p = player.progress;
      if (p.finished && p.diverged === null && sentChecked !== rec.sent.length) {
        player.divergedBecause(`the machine sent ${sentChecked} frames, the recording ${rec.sent.length}`);
      }
      const q = player.progress;
      process.stderr.write(q.diverged === null && q.finished
        ? `keel: --replay: done: ${q.delivered} events given, ${sentChecked} frames sent as recorded, the recorded end reached at ${m.virtualNowNs} ns\n`
        : `keel: --replay: diverged: ${q.diverged ?? "the recording's next event is never reached"}\n`);
      finish(q.diverged === null && q.finished ? 0 : 3);
    };
    const stopped = () => m.state === "halted" || m.state === "panicked" || m.state === "off";
    if (!rec.machine.lockstep) {
      // As the page replays: the schedule gives every event before its run() call.
      const replayLoop = new RunLoop(m, {
        onTick: (r) => {
          if (stopped()) { if (!player.pumpStopped(m)) return report(); replayLoop.kick(); return; }
          if (player.done) return report();
          if (r.state === "idle" && r.wakeInMs === null && player.stalled(m)) report();
        },
      });
      replayLoop.start();
      return;
    }
    // Lockstep: at each horizon the recording gives the frames, input and next horizon of that moment.
    const step = (): void => {
      if (stopped()) {
        player.pumpStopped(m);
        if (stopped()) return report();
      }
      player.beforeRun(m);
      if (player.done) return report();
      if (m.virtualNowNs >= horizon) return report(); // no new horizon here: the recording went another way
      m.runFor(8);
      setImmediate(step);
    };
    setImmediate(step);
  }

  const stdin = process.stdin;
  let pendingCtrlA = false;
  if (tty) {
    stdin.setRawMode(true);
    process.stderr.write("keel: Ctrl-A x quits\r\n");
  }
  stdin.on("data", (chunk: Buffer) => {
    if (session !== null) return; // a replay takes no input: the recording has it
    if (!tty) {
      if (lockstep) {
        const joined = new Uint8Array(script.length + chunk.length);
        joined.set(script);
        joined.set(chunk, script.length);
        script = joined;
        waitingForLine?.();
        return;
      }
      give(chunk);
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
      if (lockstep) held.push(Uint8Array.from(out));
      else give(Uint8Array.from(out));
      loop.kick();
    }
  });
  stdin.on("end", () => {
    inputEnded = true;
    waitingForLine?.();
    loop.kick();
  });

  process.once("SIGINT", () => finish(130));
  process.once("SIGTERM", () => finish(143));
  if (snapshot === null) machine.boot();
  traceKernel?.start();
  gdb?.armAttach();
  if (session !== null) replaySession(session);
  else if (!lockstep) loop.start();
  else startLockstep();
  const code = await done;
  loop.stop();
  lockstep = false;
  if (args.record !== null) {
    recording ??= recorder!.takeSession();
    const file: SessionFile = {
      kernel: buildId, disk: diskHash, bootfs: bootfsHash, events: recording, sent: sentLog,
      machine: { ramMiB: args.ramMiB, cpus: args.cpus, cmdline: bootCommandLine(args), mac: mac === null ? null : macToString(mac), lockstep: net?.lockstep === true },
    };
    writeFileSync(args.record, encodeSession(file));
    const frames = recording.filter((e) => e.kind === "frame").length;
    process.stderr.write(`${tty ? "\r\n" : ""}keel: --record: wrote ${args.record}: ${recording.length} events (${frames} frames received), ${sentLog.length} frames sent, to ${machine.virtualNowNs} ns\n`);
  }
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

function sha256(bytes: Uint8Array, blocks: number): string {
  return createHash("sha256").update(bytes).update(`/${blocks}`).digest("hex");
}
