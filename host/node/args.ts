// Command-line options of the headless runner, parsed without side effects
// so they can be tested.

import type { ClockModeName } from "../machine.js";
import type { FileSyncMode } from "./file-disk.js";

export interface BootArgs {
  ramMiB: number;
  clock: ClockModeName;
  cmdline: string;
  vga: boolean;
  debug: boolean;
  help: boolean;
  /** Boot file system image; null boots the kernel monitor alone. */
  bootfs: string | null;
  /** Disk image file used (and changed) in place; null: a fresh in-memory
   *  copy of the shipped disk; "none": no disk. */
  disk: string | null;
  /** Snapshot file to continue from instead of powering on. */
  restore: string | null;
  /** Snapshot file to write when the runner stops. */
  save: string | null;
  /** When the --disk file is synced: once per run slice (default) or at every kernel flush. */
  fsync: FileSyncMode;
  /** TCP port of the GDB server on 127.0.0.1; null: no server. */
  gdbPort: number | null;
  /** What the GDB server attaches to: a pid, or the next process that execs a name. */
  gdbAttach: { pid: number } | { name: string } | null;
  /** Print every GDB packet on stderr. */
  gdbLog: boolean;
  /** Reverse execution: snapshots kept, and run() calls between periodic ones (null: defaults). */
  gdbSnapshots: number | null;
  gdbSnapshotEvery: number | null;
}

export const DEFAULT_BOOTFS = "user/bin/bootfs.img";

export class BootArgsError extends Error {}

/** A TCP port from 0 (any free one) to 65535. */
export function parsePort(flag: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new BootArgsError(`${flag} needs a TCP port from 0 to 65535, 0 for any free one (got "${text}")`);
  return port;
}

/** What a debugger attaches to: a pid, or the next process that execs a program name. */
export function parseAttach(flag: string, text: string): { pid: number } | { name: string } {
  if (/^\d+$/.test(text)) {
    const pid = Number(text);
    if (pid < 1 || pid > 0x7fffffff) throw new BootArgsError(`${flag}: no process can have pid ${text}`);
    return { pid };
  }
  if (text.length === 0 || new TextEncoder().encode(text).length > 16 || text.includes("/")) {
    throw new BootArgsError(`${flag} needs a pid or a program name of 1 to 16 bytes without "/" (got "${text}")`);
  }
  return { name: text };
}

export interface BridgeArgs {
  gdbPort: number;
  wsPort: number;
  attach: { pid: number } | { name: string } | null;
  help: boolean;
}

export const BRIDGE_USAGE = `usage: keel gdb-bridge [--port PORT] [--ws PORT] [--attach PID|NAME]
  gdb on this computer against a Keel machine in a browser tab
  --port PORT      gdb connects here, on 127.0.0.1 (default 1234)
  --ws PORT        the page connects here, ws://127.0.0.1:PORT (default 8765);
                   open the page with ?gdb-bridge=ws://127.0.0.1:PORT
  --attach PID|NAME
                   the page attaches to process PID, or to the next process
                   that execs program NAME, stopped at its first instruction
  --help           this text
`;

export function parseBridgeArgs(argv: string[]): BridgeArgs {
  const args: BridgeArgs = { gdbPort: 1234, wsPort: 8765, attach: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BootArgsError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port":
        args.gdbPort = parsePort(flag, value());
        break;
      case "--ws":
        args.wsPort = parsePort(flag, value());
        break;
      case "--attach":
        args.attach = parseAttach(flag, value());
        break;
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new BootArgsError(`unknown option ${flag} (keel gdb-bridge --help lists them)`);
    }
  }
  return args;
}

export const BOOT_USAGE = `usage: keel [options]
  --ram MiB        RAM size in MiB, 16 to 2048 (default 128)
  --clock MODE     realtime (default) or deterministic
  --cmdline TEXT   kernel command line
  --vga            print the VGA screen as text when the machine stops
  --debug          boot the debug build of the kernel
  --disk PATH      disk image file, used and changed in place (made from the
                   shipped image if it does not exist); without it the disk is
                   a fresh in-memory copy of build/disk.img; a .kdisk file
                   (the page's compressed download) runs in memory and is
                   written back compressed when the runner stops
  --fsync WHEN     when the --disk file is synced to the host's disk: settle
                   (default: once per run slice, for all the kernel's flushes
                   in it) or flush (at every kernel flush; slower, and the
                   journal's ordering then holds across a host crash too)
  --no-disk        no disk: the read-only boot file system is the root
  --bootfs PATH    boot file system image (default user/bin/bootfs.img)
  --monitor        no user programs or disk: the kernel monitor has the console
  --restore FILE   continue the machine saved in snapshot FILE instead of
                   booting (its RAM, clock and command line apply; its disk
                   replaces the --disk file's contents, or lives in memory)
  --save FILE      write a snapshot of the machine to FILE when the runner
                   stops (end of input, Ctrl-A x, a halt, SIGINT)
  --gdb PORT       GDB server on 127.0.0.1:PORT (0: any free port; see
                   docs/debugging.md)
  --gdb-attach PID|NAME
                   attach it to process PID, or to the next process that
                   execs program NAME (stopped at its first instruction)
  --gdb-log        print every GDB packet on stderr
  --gdb-snapshots N
                   reverse execution (deterministic clock only): keep N
                   snapshots of the machine (default 16)
  --gdb-snapshot-every RUNS
                   a snapshot every RUNS kernel slices (up to 2M
                   instructions each) while the debugged process runs
                   (default 32)
  --help           this text
On a terminal, Ctrl-A x quits and Ctrl-] switches between the shell and the
kernel monitor; Ctrl-C, Ctrl-\\ and Ctrl-Z go to the machine's foreground
job, not to the runner. With piped input, the runner exits when input
ends and the machine is idle.
`;

export function parseBootArgs(argv: string[]): BootArgs {
  const args: BootArgs = {
    ramMiB: 128, clock: "realtime", cmdline: "", vga: false, debug: false, help: false, bootfs: DEFAULT_BOOTFS,
    disk: null, restore: null, save: null, fsync: "settle", gdbPort: null, gdbAttach: null, gdbLog: false, gdbSnapshots: null, gdbSnapshotEvery: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new BootArgsError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--ram": {
        const text = value();
        const mib = Number(text);
        if (!/^\d+$/.test(text) || mib < 16 || mib > 2048) throw new BootArgsError(`--ram must be a whole number of MiB from 16 to 2048 (got "${text}")`);
        args.ramMiB = mib;
        break;
      }
      case "--clock": {
        const mode = value();
        if (mode !== "realtime" && mode !== "deterministic") throw new BootArgsError(`--clock must be realtime or deterministic (got "${mode}")`);
        args.clock = mode;
        break;
      }
      case "--cmdline":
        args.cmdline = value();
        break;
      case "--vga":
        args.vga = true;
        break;
      case "--debug":
        args.debug = true;
        break;
      case "--bootfs":
        args.bootfs = value();
        break;
      case "--monitor":
        args.bootfs = null;
        args.disk = "none";
        break;
      case "--disk":
        args.disk = value();
        break;
      case "--restore":
        args.restore = value();
        break;
      case "--fsync": {
        const when = value();
        if (when !== "settle" && when !== "flush") throw new BootArgsError(`--fsync must be settle or flush (got "${when}")`);
        args.fsync = when;
        break;
      }
      case "--save":
        args.save = value();
        break;
      case "--no-disk":
        args.disk = "none";
        break;
      case "--gdb":
        args.gdbPort = parsePort("--gdb", value());
        break;
      case "--gdb-attach":
        args.gdbAttach = parseAttach("--gdb-attach", value());
        break;
      case "--gdb-log":
        args.gdbLog = true;
        break;
      case "--gdb-snapshots":
      case "--gdb-snapshot-every": {
        const text = value();
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < 1 || n > 100000) throw new BootArgsError(`${flag} needs a whole number from 1 to 100000 (got "${text}")`);
        if (flag === "--gdb-snapshots") args.gdbSnapshots = n; else args.gdbSnapshotEvery = n;
        break;
      }
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new BootArgsError(`unknown option "${arg}"`);
    }
  }
  if ((args.gdbAttach !== null || args.gdbLog || args.gdbSnapshots !== null || args.gdbSnapshotEvery !== null) && args.gdbPort === null) {
    throw new BootArgsError("--gdb-attach, --gdb-log and --gdb-snapshots need --gdb PORT");
  }
  if ((args.gdbSnapshots !== null || args.gdbSnapshotEvery !== null) && args.clock !== "deterministic") {
    throw new BootArgsError("--gdb-snapshots and --gdb-snapshot-every are for reverse execution, which needs --clock deterministic");
  }
  return args;
}
