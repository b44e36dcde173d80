// Command-line options of the headless runner, parsed without side effects
// so they can be tested.

import { MAX_CPUS, type ClockModeName } from "../machine.js";
import type { FileSyncMode } from "./file-disk.js";
import { parseMac } from "../net/backend.js";
import { JIT_DEFAULT_THRESHOLD, JIT_MAX_THRESHOLD, parseJitSwitch, parseJitThreshold, type JitSetting } from "../rv/jit-host.js";

export interface BootArgs {
  ramMiB: number;
  clock: ClockModeName;
  /** vCPUs, 1 to MAX_CPUS (docs/architecture.md "Several vCPUs"). */
  cpus: number;
  /** --parallel: vCPUs 1..N-1 on threads of their own (docs/architecture.md "Parallel vCPUs"). */
  parallel: boolean;
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
  /** --net switch:ADDRESS: the switch to plug the NIC into; --net gateway: a switch of the
   *  runner's own with a gateway on it (host/net/gateway.ts); null: no network card. */
  net: { kind: "switch"; address: string } | { kind: "gateway" } | null;
  /** --gateway-host NAME=HOST:PORT: outside names the gateway fetches somewhere else. */
  gatewayHosts: Record<string, string>;
  /** The NIC's MAC (null: derived from --ip, else random on the realtime clock). */
  mac: string | null;
  /** --ip A.B.C.D/N: netd's address (becomes ip= on the kernel command line). */
  ip: string | null;
  /** trace -k: print the kernel functions of every traced call (host/trace-kernel.ts). */
  traceKernel: boolean;
  /** --stats: the machine's figures (instructions, JIT units and share) on stderr at exit. */
  stats: boolean;
  /** The hart's JIT: false (off), else the runs that make a block hot (docs/hart.md "JIT"). */
  jit: JitSetting;
  /** --record FILE: write the session's recording there when the runner stops (host/node/session-file.ts). */
  record: string | null;
  /** --replay FILE: play a recording back alone; the machine's configuration comes from the file. */
  replay: string | null;
}

export const DEFAULT_BOOTFS = "user/bin/bootfs.img";

export class BootArgsError extends Error {}

/** --gateway-host NAME=HOST[:PORT]: the gateway fetches http://NAME/... from HOST:PORT instead. */
export function parseGatewayHost(flag: string, text: string, into: Record<string, string>): void {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)=([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?$/.exec(text);
  if (!m || (m[3] !== undefined && Number(m[3]) > 65535)) {
    throw new BootArgsError(`${flag} needs NAME=HOST[:PORT], a name with a dot the guest asks for and where to fetch it, like web.test=127.0.0.1:8080 (got "${text}")`);
  }
  into[m[1]!.toLowerCase()] = m[3] === undefined ? m[2]! : `${m[2]}:${m[3]}`;
}

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

/** The kernel command line the runner boots with (--ip added as ip=). */
export function bootCommandLine(args: BootArgs): string {
  return args.ip === null ? args.cmdline : [args.cmdline, `ip=${args.ip}`].filter((s) => s.length > 0).join(" ");
}

/** The network card's MAC: --mac, else 02:4b and the --ip address, else null (the runner picks a random one). */
export function bootMac(args: BootArgs): Uint8Array | null {
  if (args.mac !== null) return parseMac(args.mac);
  if (args.ip !== null) return Uint8Array.of(0x02, 0x4b, ...args.ip.split("/")[0]!.split(".").map(Number));
  return null;
}

/** Each argument as an option: its flag (without an inline "=value") and
 *  value(), which takes its value (the inline one, or the next argument). */
function* eachOption(argv: string[]): Generator<{ arg: string; flag: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    yield {
      arg, flag, value: () => {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new BootArgsError(`${flag} needs a value`);
        return v;
      },
    };
  }
}

export const BOOT_USAGE = `usage: keel [options]
  --ram MiB        RAM size in MiB, 16 to 2048 (default 128)
  --clock MODE     realtime (default) or deterministic
  --cpus N         vCPUs, 1 (default) to 8, interleaved on one host thread
  --parallel       run vCPUs 1..N-1 truly in parallel, each on a thread of
                   its own (realtime clock only; needs the shared-memory
                   kernel build, build/kernel.shared.wasm)
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
  --net switch:ADDRESS
                   a network card on the \`keel switch\` at ADDRESS (HOST:PORT,
                   PORT on 127.0.0.1, or a Unix socket path); with --clock
                   deterministic the switch must be a lockstep one (see
                   docs/network.md)
  --net gateway    a network card on a switch of the runner's own with a
                   gateway (10.0.2.2: DHCP, DNS, outbound HTTP through Node's
                   fetch), so \`wget http://example.com/\` works; realtime
                   clock only
  --gateway-host NAME=HOST:PORT
                   with --net gateway: fetch http://NAME/... from HOST:PORT
                   (say, a server on 127.0.0.1); repeatable
  --ip A.B.C.D/N   netd's address on that network (ip= on the kernel command
                   line)
  --mac MAC        the card's MAC (default 02:4b and the --ip address's four
                   bytes; without --ip a random one, realtime clock only)
  --jit on|off     compile hot user code to WebAssembly (default on; off:
                   the interpreter only; see docs/hart.md "JIT"); not
                   machine state: --save and --restore work under either
  --jit-threshold N
                   runs that make a block hot (default ${JIT_DEFAULT_THRESHOLD}; 1 compiles
                   every block); not with --jit off
  --stats          at exit, print on stderr the instructions the hart
                   retired, the JIT's units and the share retired in them
  --record FILE    deterministic clock: write the session's recording to FILE
                   when the runner stops: the input, and on a lockstep switch
                   every frame received and every quantum, each at its
                   position (docs/share-links.md "A runner's recording")
  --replay FILE    play the recording in FILE back alone (no switch, no other
                   machine): the same console, exactly; the machine's
                   configuration comes from the file; exit status 3 if the
                   replay diverged from it
  --trace-kernel   trace -k: under each system call that \`trace\` prints,
                   print on stderr the kernel functions it went through
                   (the machine runs an instrumented kernel: slower)
  --help           this text
On a terminal, Ctrl-A x quits and Ctrl-] switches between the shell and the
kernel monitor; Ctrl-C, Ctrl-\\ and Ctrl-Z go to the machine's foreground
job, not to the runner. With piped input, the runner exits when input
ends and the machine is idle.
`;

export function parseBootArgs(argv: string[]): BootArgs {
  const args: BootArgs = {
    ramMiB: 128, clock: "realtime", cpus: 1, parallel: false, cmdline: "", vga: false, debug: false, help: false, bootfs: DEFAULT_BOOTFS,
    disk: null, restore: null, save: null, fsync: "settle", gdbPort: null, gdbAttach: null, gdbLog: false, gdbSnapshots: null, gdbSnapshotEvery: null,
    net: null, gatewayHosts: {}, mac: null, ip: null,
    traceKernel: false,
    stats: false,
    jit: JIT_DEFAULT_THRESHOLD,
    record: null, replay: null,
  };
  /** Options that configure the machine: a replay takes them from its file. */
  const machineFlags: string[] = [];
  let jitThreshold: number | null = null;
  let jitGiven = false;
  for (const { arg, flag, value } of eachOption(argv)) {
    if (["--ram", "--cpus", "--cmdline", "--net", "--ip", "--mac", "--restore", "--disk", "--no-disk", "--monitor", "--bootfs", "--clock"].includes(flag)) machineFlags.push(flag);
    switch (flag) {
      case "--record":
        args.record = value();
        break;
      case "--replay":
        args.replay = value();
        break;
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
      case "--cpus": {
        const text = value();
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < 1 || n > MAX_CPUS) throw new BootArgsError(`--cpus must be a whole number of vCPUs from 1 to ${MAX_CPUS} (got "${text}")`);
        args.cpus = n;
        break;
      }
      case "--parallel":
        args.parallel = true;
        break;
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
      case "--trace-kernel":
        args.traceKernel = true;
        break;
      case "--stats":
        args.stats = true;
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
      case "--net": {
        const text = value();
        if (text === "gateway") {
          args.net = { kind: "gateway" };
          break;
        }
        if (!text.startsWith("switch:") || text.length === "switch:".length) {
          throw new BootArgsError(`--net needs switch:ADDRESS, the address of a \`keel switch\` (HOST:PORT, PORT or a socket path), or gateway (got "${text}")`);
        }
        args.net = { kind: "switch", address: text.slice("switch:".length) };
        break;
      }
      case "--gateway-host":
        parseGatewayHost(flag, value(), args.gatewayHosts);
        break;
      case "--mac": {
        const text = value();
        let mac: Uint8Array;
        try {
          mac = parseMac(text);
        } catch {
          throw new BootArgsError(`--mac needs six hex bytes like 02:00:00:00:00:01 (got "${text}")`);
        }
        if ((mac[0]! & 1) !== 0) throw new BootArgsError(`--mac ${text} is a group (multicast) address; a card's MAC has bit 0 of its first byte clear`);
        args.mac = text;
        break;
      }
      case "--ip": {
        const text = value();
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
        if (!m || m.slice(1, 5).some((b) => Number(b) > 255) || Number(m[5]) < 1 || Number(m[5]) > 30) {
          throw new BootArgsError(`--ip needs an IPv4 address and prefix like 10.0.0.2/24 (got "${text}")`);
        }
        args.ip = text;
        break;
      }
      case "--jit": {
        const text = value();
        const on = parseJitSwitch(text);
        if (on === null) throw new BootArgsError(`--jit must be on or off (got "${text}")`);
        args.jit = on ? jitThreshold ?? JIT_DEFAULT_THRESHOLD : false;
        jitGiven = true;
        break;
      }
      case "--jit-threshold": {
        const text = value();
        jitThreshold = parseJitThreshold(text);
        if (jitThreshold === null) throw new BootArgsError(`--jit-threshold needs a whole number of runs from 1 to ${JIT_MAX_THRESHOLD} (got "${text}")`);
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
  if (jitThreshold !== null) {
    if (args.jit === false) throw new BootArgsError("--jit-threshold is for the JIT: not with --jit off");
    args.jit = jitThreshold;
  }
  if ((args.gdbAttach !== null || args.gdbLog || args.gdbSnapshots !== null || args.gdbSnapshotEvery !== null) && args.gdbPort === null) {
    throw new BootArgsError("--gdb-attach, --gdb-log and --gdb-snapshots need --gdb PORT");
  }
  if (args.traceKernel && args.gdbPort !== null) {
    throw new BootArgsError("--trace-kernel and --gdb both run the instrumented kernel their own way: use one at a time");
  }
  if ((args.gdbSnapshots !== null || args.gdbSnapshotEvery !== null) && args.clock !== "deterministic") {
    throw new BootArgsError("--gdb-snapshots and --gdb-snapshot-every are for reverse execution, which needs --clock deterministic");
  }
  if ((args.ip !== null || args.mac !== null) && args.net === null) throw new BootArgsError("--ip and --mac are for the network card: they need --net switch:ADDRESS or --net gateway");
  if (Object.keys(args.gatewayHosts).length > 0 && args.net?.kind !== "gateway") {
    throw new BootArgsError("--gateway-host is for the runner's own gateway: it needs --net gateway (a `keel switch --gateway` takes its own --gateway-host)");
  }
  if (args.net?.kind === "gateway" && args.clock === "deterministic") {
    throw new BootArgsError("--net gateway needs the realtime clock: the gateway's fetches answer at wall-clock moments, which no replay could repeat");
  }
  if (args.net !== null && args.clock === "deterministic" && args.mac === null && args.ip === null) {
    throw new BootArgsError("--net with --clock deterministic needs --mac or --ip: the MAC is part of the machine's input, so it cannot be random");
  }
  if (args.net !== null && args.clock === "deterministic" && args.gdbPort !== null) {
    throw new BootArgsError("--gdb with --net on the deterministic clock is not supported: a lockstep switch paces the machine");
  }
  if (args.replay !== null) {
    if (machineFlags.length > 0) throw new BootArgsError(`--replay takes the machine's configuration from its file: leave out ${[...new Set(machineFlags)].join(", ")}`);
    if (args.record !== null || args.gdbPort !== null || args.traceKernel) throw new BootArgsError("--replay plays a recording alone: not with --record, --gdb or --trace-kernel");
    args.clock = "deterministic";
  }
  if (args.record !== null) {
    if (args.clock !== "deterministic") throw new BootArgsError("--record needs --clock deterministic: only a deterministic session replays");
    if (args.restore !== null || (args.disk !== null && args.disk !== "none")) {
      throw new BootArgsError("--record starts from power-on on a fresh copy of the shipped disk (or --no-disk): not with --restore or --disk FILE");
    }
    if (args.gdbPort !== null || args.traceKernel) throw new BootArgsError("--record is not for a debugged machine: not with --gdb or --trace-kernel");
  }
  if (args.ip !== null && /(^|\s)ip=/.test(args.cmdline)) throw new BootArgsError("--ip and an ip= in --cmdline: give the address once");
  if (args.parallel) {
    if (args.clock !== "realtime") throw new BootArgsError("--parallel needs the realtime clock: a deterministic run interleaves its vCPUs on one thread");
    if (args.cpus < 2) throw new BootArgsError("--parallel needs --cpus 2 or more");
    // The JIT's unit tables are static data every instance shares: one vCPU at a time only.
    if ((jitGiven || jitThreshold !== null) && args.jit !== false) throw new BootArgsError("--parallel runs without the JIT: not with --jit on or --jit-threshold");
    args.jit = false;
    if (args.restore !== null || args.save !== null || args.gdbPort !== null || args.traceKernel || args.debug || args.record !== null || args.replay !== null) {
      throw new BootArgsError("--parallel does not combine with --restore, --save, --gdb, --trace-kernel, --debug, --record or --replay yet");
    }
  }
  return args;
}

export interface SwitchArgs {
  listen: string | null;
  lockstep: boolean;
  /** Lockstep: ports to wait for before the first quantum. */
  ports: number;
  quantumNs: number | null;
  impair: { seed: number; loss: number; duplicate: number; reorder: number } | null;
  queueBytes: number | null;
  /** --done-timeout MS: lockstep ports that hold a quantum longer are dropped (null: never). */
  doneTimeoutMs: number | null;
  /** --gateway: a gateway (host/net/gateway.ts) on the switch; --gateway-host for it. */
  gateway: boolean;
  gatewayHosts: Record<string, string>;
  quiet: boolean;
  help: boolean;
}

export const SWITCH_USAGE = `usage: keel switch --listen ADDRESS [options]
  --listen ADDRESS  HOST:PORT, PORT (on 127.0.0.1; 0 picks a free one) or a
                    Unix socket path; runners join with --net switch:ADDRESS
  --lockstep        pace runners on the deterministic clock (keel --clock
                    deterministic): every one runs to the same virtual time,
                    then the frames they sent are delivered (docs/network.md)
  --ports N         with --lockstep: wait until N runners have joined before
                    the clock starts (default 1)
  --quantum NS      with --lockstep: virtual time between deliveries (default
                    100000, 100 us)
  --impair SEED,LOSS,DUP,REORDER
                    a bad wire: each frame is lost, duplicated or held back
                    with these probabilities (0..1), from the seeded
                    generator of the in-process switch
  --done-timeout MS with --lockstep: drop a runner that has not said it reached
                    the horizon MS milliseconds after it was told (default:
                    wait; a runner holds a quantum while it waits for its next
                    line of piped input)
  --queue-bytes N   bytes waiting for one port before its frames are dropped
                    (default 262144)
  --gateway         a gateway on the switch (10.0.2.2: DHCP for runners
                    without --ip, DNS, outbound HTTP through Node's fetch);
                    not with --lockstep
  --gateway-host NAME=HOST:PORT
                    with --gateway: fetch http://NAME/... from HOST:PORT
                    (say, a server on 127.0.0.1); repeatable
  --quiet           no log of ports joining and leaving
  --help            this text
It runs until SIGINT or SIGTERM and then prints each port's counters.
`;

export function parseSwitchArgs(argv: string[]): SwitchArgs {
  const args: SwitchArgs = { listen: null, lockstep: false, ports: 1, quantumNs: null, impair: null, queueBytes: null, doneTimeoutMs: null, gateway: false, gatewayHosts: {}, quiet: false, help: false };
  let ports = false;
  let quantum = false;
  for (const { arg, flag, value } of eachOption(argv)) {
    const whole = (text: string, min: number, max: number): number => {
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < min || n > max) throw new BootArgsError(`${flag} needs a whole number from ${min} to ${max} (got "${text}")`);
      return n;
    };
    switch (flag) {
      case "--listen":
        args.listen = value();
        if (args.listen.length === 0) throw new BootArgsError("--listen needs an address");
        break;
      case "--lockstep":
        args.lockstep = true;
        break;
      case "--ports":
        args.ports = whole(value(), 1, 1000);
        ports = true;
        break;
      case "--quantum":
        args.quantumNs = whole(value(), 1000, 0xffff_ffff);
        quantum = true;
        break;
      case "--impair": {
        const text = value();
        const parts = text.split(",");
        const nums = parts.map(Number);
        if (parts.length !== 4 || !/^\d+$/.test(parts[0]!) || nums[0]! > 0xffff_ffff || parts.slice(1).some((p) => !/^(0(\.\d+)?|1(\.0*)?|\.\d+)$/.test(p))) {
          throw new BootArgsError(`--impair needs SEED,LOSS,DUP,REORDER: a whole seed and three probabilities from 0 to 1, like 7,0.05,0.02,0.1 (got "${text}")`);
        }
        args.impair = { seed: nums[0]!, loss: nums[1]!, duplicate: nums[2]!, reorder: nums[3]! };
        break;
      }
      case "--queue-bytes":
        args.queueBytes = whole(value(), 4096, 1 << 30);
        break;
      case "--done-timeout":
        args.doneTimeoutMs = whole(value(), 1, 3_600_000);
        break;
      case "--gateway":
        args.gateway = true;
        break;
      case "--gateway-host":
        parseGatewayHost(flag, value(), args.gatewayHosts);
        break;
      case "--quiet":
        args.quiet = true;
        break;
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new BootArgsError(`unknown option "${arg}"`);
    }
  }
  if (!args.help && args.listen === null) throw new BootArgsError("keel switch needs --listen ADDRESS");
  if (Object.keys(args.gatewayHosts).length > 0 && !args.gateway) throw new BootArgsError("--gateway-host is for the switch's gateway: add --gateway");
  if (args.gateway && args.lockstep) {
    throw new BootArgsError("--gateway and --lockstep: the gateway's fetches answer at wall-clock moments, so it cannot join a lockstep switch");
  }
  if ((ports || quantum || args.doneTimeoutMs !== null) && !args.lockstep) throw new BootArgsError("--ports, --quantum and --done-timeout are for a lockstep switch: add --lockstep");
  return args;
}
