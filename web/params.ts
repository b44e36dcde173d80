// The page's URL parameters: what machine to build. Pure functions, no DOM,
// so the rules are unit-tested (web/params.test.ts) and shared by the page
// and anything else that wants to build a link to a configured Keel.
//
// A bad value never stops the boot: it is reported (name, value, reason) and
// the default is used instead, so a typo in a link still gives a machine.

import { bridgeUrlProblem } from "../host/gdb/bridge-protocol";
import { parseJitSwitch } from "../host/rv/jit-host";

export type ClockMode = "realtime" | "deterministic";
/** Where the disk lives: `auto` stores it in the browser (OPFS, else
 *  IndexedDB), `idb` forces the IndexedDB fallback, `memory` runs on a fresh
 *  copy of the shipped image and stores nothing (web/disk/store.ts). */
export type DiskMode = "auto" | "idb" | "memory";

export const DISK_MODES: readonly DiskMode[] = ["auto", "idb", "memory"];

export const CLOCK_MODES: readonly ClockMode[] = ["realtime", "deterministic"];

export const RAM_MIB_MIN = 16;
export const RAM_MIB_MAX = 2048;
export const RAM_MIB_DEFAULT = 128;
export const CLOCK_DEFAULT: ClockMode = "realtime";
export const CMDLINE_DEFAULT = "";
export const DISK_DEFAULT: DiskMode = "auto";
/** BootInfo has room for much more, but a command line longer than this is
 *  surely a mistake (a pasted file, a doubled link), not a configuration. */
export const CMDLINE_MAX_BYTES = 1024;
/** Longest `run` text, in UTF-8 bytes. */
export const RUN_MAX_BYTES = 4096;
/** Longest `snapshot` URL, in characters. */
export const SNAPSHOT_URL_MAX_CHARS = 2048;
/** Machines one page runs on its switch (`machines`): 1, or a cluster of 2 to 4. */
export const MACHINES_MIN = 1;
export const MACHINES_MAX = 4;
/** vCPUs of the machine (`cpus`): 1 (default) to CPUS_MAX, interleaved in
 *  the machine's worker (docs/architecture.md "Several vCPUs"). */
export const CPUS_MIN = 1;
export const CPUS_MAX = 8;
/** A `switch` name: what tabs of one origin meet on (web/cluster/channel.ts). */
export const SWITCH_NAME_MAX_CHARS = 32;

const MIB = 1024 * 1024;

export interface KeelParams {
  ramMiB: number;
  clock: ClockMode;
  cmdline: string;
  /** Boot the user programs (init and the shell); false boots the kernel monitor alone. */
  userland: boolean;
  disk: DiskMode;
  /** Typed into the console once the machine has booted, line by line (web/share.ts). */
  run: string;
  /** A published `.keelsnap` to boot straight into (its URL as given; "" for none). */
  snapshot: string;
  /** A `keel gdb-bridge` to connect to (ws:// on this computer; "" for none). */
  gdbBridge: string;
  /** Machines in the page, joined by a virtual switch (docs/network.md "The cluster view"). */
  machines: number;
  /** Joins this page's switch to other tabs' of the same name (BroadcastChannel); "" for none. */
  switch: string;
  /** vCPUs of the machine. */
  cpus: number;
  /** `jit=on|off` (or 1|0): the hart's JIT (docs/hart.md "JIT"); on unless `jit=off`. */
  jit: boolean;
  /** `parallel=1|0` (or on|off): vCPUs 1..N-1 truly in parallel, each a Web
   *  Worker over shared RAM (docs/architecture.md "Parallel vCPUs"); whether
   *  the page can is parallelProblem's to say. */
  parallel: boolean;
}

export const DEFAULT_PARAMS: Readonly<KeelParams> = {
  ramMiB: RAM_MIB_DEFAULT,
  clock: CLOCK_DEFAULT,
  cmdline: CMDLINE_DEFAULT,
  userland: true,
  disk: DISK_DEFAULT,
  run: "",
  snapshot: "",
  gdbBridge: "",
  machines: MACHINES_MIN,
  switch: "",
  cpus: CPUS_MIN,
  jit: true,
  parallel: false,
};

/** `replay` is the exact-replay link's fragment (web/share.ts), checked apart. */
export type ParamName = "ram" | "clock" | "cmdline" | "userland" | "disk" | "run" | "replay" | "patch" | "machines" | "switch" | "cpus" | "jit" | "parallel";

/** One rejected parameter: `value` is exactly what the URL held. */
export interface ParamError {
  /** `snapshot`: a published snapshot to boot into (checkSnapshotUrl). */
  name: ParamName | "snapshot" | "gdb-bridge";
  value: string;
  reason: string;
}

export interface ParsedParams {
  params: KeelParams;
  errors: ParamError[];
}

/** Parses `location.search` (or any query string / URLSearchParams). Unknown
 *  parameters are ignored; a repeated parameter uses its first value. */
export function parseParams(query: string | URLSearchParams): ParsedParams {
  const search = typeof query === "string" ? new URLSearchParams(query) : query;
  const params: KeelParams = { ...DEFAULT_PARAMS };
  const errors: ParamError[] = [];

  const ram = search.get("ram");
  if (ram !== null) {
    const parsed = parseRamMiB(ram);
    if (typeof parsed === "number") params.ramMiB = parsed;
    else errors.push({ name: "ram", value: ram, reason: parsed.reason });
  }

  const clock = search.get("clock");
  if (clock !== null) {
    if (isClockMode(clock)) params.clock = clock;
    else errors.push({ name: "clock", value: clock, reason: `must be one of ${CLOCK_MODES.join(", ")}` });
  }

  const cmdline = search.get("cmdline");
  if (cmdline !== null) {
    const reason = checkCmdline(cmdline);
    if (reason === null) params.cmdline = cmdline;
    else errors.push({ name: "cmdline", value: cmdline, reason });
  }

  const userland = search.get("userland");
  if (userland !== null) {
    if (userland === "1" || userland === "0") params.userland = userland === "1";
    else errors.push({ name: "userland", value: userland, reason: "must be 1 (boot the shell) or 0 (the kernel monitor alone)" });
  }

  const disk = search.get("disk");
  if (disk !== null) {
    if (isDiskMode(disk)) params.disk = disk;
    else errors.push({ name: "disk", value: disk, reason: `must be one of ${DISK_MODES.join(", ")}` });
  }

  const run = search.get("run");
  if (run !== null) {
    const reason = checkRun(run);
    if (reason === null) params.run = run;
    else errors.push({ name: "run", value: run, reason });
  }

  const snapshot = search.get("snapshot");
  if (snapshot !== null) {
    const reason = checkSnapshotUrl(snapshot);
    if (reason === null) params.snapshot = snapshot;
    else errors.push({ name: "snapshot", value: snapshot, reason });
  }

  const bridge = search.get("gdb-bridge");
  if (bridge !== null) {
    const reason = bridgeUrlProblem(bridge);
    if (reason === null) params.gdbBridge = bridge;
    else errors.push({ name: "gdb-bridge", value: bridge, reason });
  }

  const counted = (name: "machines" | "cpus", parse: (text: string) => number | { reason: string }, set: (n: number) => void) => {
    const text = search.get(name);
    if (text === null) return;
    const parsed = parse(text);
    if (typeof parsed === "number") set(parsed);
    else errors.push({ name, value: text, reason: parsed.reason });
  };
  counted("machines", parseMachines, (n) => (params.machines = n));

  const switchName = search.get("switch");
  if (switchName !== null) {
    const reason = checkSwitchName(switchName);
    if (reason === null) params.switch = switchName;
    else errors.push({ name: "switch", value: switchName, reason });
  }

  counted("cpus", parseCpus, (n) => (params.cpus = n));

  const jit = search.get("jit");
  if (jit !== null) {
    const on = parseJitSwitch(jit);
    if (on !== null) params.jit = on;
    else errors.push({ name: "jit", value: jit, reason: "must be on (compile hot code to WebAssembly) or off (interpret it), or 1 or 0" });
  }

  const parallel = search.get("parallel");
  if (parallel !== null) {
    const on = parseJitSwitch(parallel);
    if (on !== null) params.parallel = on;
    else errors.push({ name: "parallel", value: parallel, reason: "must be 1 (vCPUs in parallel, one Web Worker each) or 0 (interleaved in one worker), or on or off" });
  }

  return { params, errors };
}

/**
 * Why `parallel=1` cannot be had in this page, or null if it can: parallel
 * vCPUs need several vCPUs, the realtime clock (a deterministic run
 * interleaves them) and shared memory between workers, which only a
 * cross-origin isolated page has (web/coi.ts). The page then boots
 * interleaved vCPUs and says so.
 */
export function parallelProblem(params: Pick<KeelParams, "cpus" | "clock">, isolated: boolean): string | null {
  if (params.cpus < 2) return "needs cpus=2 or more (one vCPU has nothing to run in parallel with)";
  if (params.clock !== "realtime") return "needs clock=realtime (a deterministic run interleaves its vCPUs)";
  if (!isolated) return "needs a cross-origin isolated page (shared memory between workers; see the isolation indicator)";
  return null;
}

/** A whole number of `what` from min to max, decimal digits only. */
function wholeNumber(text: string, min: number, max: number, what: string): number | { reason: string } {
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) < min || Number(text) > max) return { reason: `must be a whole number ${what}from ${min} to ${max}` };
  return Number(text);
}

/** How many vCPUs the machine has: a whole number from CPUS_MIN to CPUS_MAX. */
export function parseCpus(text: string): number | { reason: string } {
  return wholeNumber(text, CPUS_MIN, CPUS_MAX, "of vCPUs ");
}

/** How many machines the page runs: a whole number from MACHINES_MIN to MACHINES_MAX. */
export function parseMachines(text: string): number | { reason: string } {
  return wholeNumber(text, MACHINES_MIN, MACHINES_MAX, "");
}

/** Why a `switch` name is refused, or null: letters, digits, `-` and `_`. */
export function checkSwitchName(text: string): string | null {
  if (text.length === 0 || text.length > SWITCH_NAME_MAX_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) {
    return `must be 1 to ${SWITCH_NAME_MAX_CHARS} letters, digits, '-' or '_'`;
  }
  return null;
}

/** RAM size in whole MiB, decimal digits only (no units, signs or spaces). */
export function parseRamMiB(text: string): number | { reason: string } {
  const range = `a whole number of MiB from ${RAM_MIB_MIN} to ${RAM_MIB_MAX}`;
  if (!/^[0-9]{1,6}$/.test(text)) return { reason: `must be ${range}` };
  const mib = Number(text);
  if (mib < RAM_MIB_MIN || mib > RAM_MIB_MAX) return { reason: `must be ${range}` };
  return mib;
}

export function isClockMode(text: string): text is ClockMode {
  return (CLOCK_MODES as readonly string[]).includes(text);
}

export function isDiskMode(text: string): text is DiskMode {
  return (DISK_MODES as readonly string[]).includes(text);
}

/** Returns why the command line is rejected, or null if it is acceptable. */
export function checkCmdline(text: string): string | null {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > CMDLINE_MAX_BYTES) return `is ${bytes} bytes long; at most ${CMDLINE_MAX_BYTES} are allowed`;
  // BootInfo stores it NUL-terminated, and control characters would end up
  // in the kernel log verbatim.
  if (/[\u0000-\u001f\u007f]/.test(text)) return "must not contain control characters";
  return null;
}

/** Why a `run` value is refused, or null. Lines are separated by newlines;
 *  other control characters are keys typed as they are (Ctrl-] switches to
 *  the kernel monitor, Ctrl-C interrupts, arrows edit), except NUL, which no
 *  key sends. */
export function checkRun(text: string): string | null {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > RUN_MAX_BYTES) return `is ${bytes} bytes long; at most ${RUN_MAX_BYTES} are allowed`;
  if (text.includes("\u0000")) return "must not contain NUL characters";
  return null;
}

/** Why a `snapshot` URL is refused, or null: an http(s) address, absolute
 *  or relative to the page, of at most SNAPSHOT_URL_MAX_CHARS characters.
 *  (Whether it answers, and with a snapshot, is found out by fetching it.) */
export function checkSnapshotUrl(text: string): string | null {
  if (text.trim() === "") return "must be the address of a .keelsnap file";
  if (text.length > SNAPSHOT_URL_MAX_CHARS) return `is ${text.length} characters long; at most ${SNAPSHOT_URL_MAX_CHARS} are allowed`;
  if (/[\u0000-\u001f\u007f\s]/.test(text)) return "must not contain spaces or control characters";
  let url: URL;
  try {
    url = new URL(text, "https://page.invalid/keel/");
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `must be an http or https address, not ${url.protocol}`;
  if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
  return null;
}

export function ramBytesOf(params: KeelParams): number {
  return params.ramMiB * MIB;
}

/** Human text for the error banner, e.g. `ram="banana" must be ...`. */
export function describeParamError(error: ParamError, defaults: KeelParams = DEFAULT_PARAMS): string {
  const fallback = defaultText(error.name, defaults);
  return `${error.name}=${JSON.stringify(error.value)} ${error.reason}; using the default, ${fallback}.`;
}

function defaultText(name: ParamError["name"], defaults: KeelParams): string {
  switch (name) {
    case "snapshot":
      return "a normal boot, without the snapshot";
    case "gdb-bridge":
      return "no gdb bridge";
    case "ram":
      return `${defaults.ramMiB} MiB`;
    case "clock":
      return defaults.clock;
    case "cmdline":
      return defaults.cmdline === "" ? "an empty command line" : JSON.stringify(defaults.cmdline);
    case "userland":
      return defaults.userland ? "1 (boot the shell)" : "0 (the kernel monitor alone)";
    case "disk":
      return defaults.disk === "auto" ? "auto (the disk stored in this browser)" : defaults.disk;
    case "run":
      return "nothing typed after boot";
    case "replay":
      return "a normal boot, without the replay";
    case "patch":
      return "the shipped kernel";
    case "machines":
      return defaults.machines === 1 ? "1 (one machine)" : `${defaults.machines} machines`;
    case "switch":
      return "no switch shared with other tabs";
    case "cpus":
      return defaults.cpus === 1 ? "1 vCPU" : `${defaults.cpus} vCPUs`;
    case "jit":
      return defaults.jit ? "on (hot code compiled to WebAssembly)" : "off (the interpreter)";
    case "parallel":
      return defaults.parallel ? "1 (vCPUs in parallel)" : "0 (vCPUs interleaved in one worker)";
  }
}
