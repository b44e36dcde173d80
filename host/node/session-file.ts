// A runner's recording (`keel --record FILE`, played back alone with
// `keel --replay FILE`): the machine's configuration, the input it was given
// and, on a lockstep switch, every frame it received and every horizon the
// switch granted, each at its position (host/replay.ts: power-on, run() calls
// since, virtual time), plus the frames it sent, to check a replay against.
// docs/share-links.md "A runner's recording" is the reference.
//
// The file is gzip of one JSON object; events are arrays to keep it small:
//   { "format": "keel-session", "version": 1,
//     "kernel": "<build id>", "disk": "<sha-256 of the disk image at power-on>" | null,
//     "bootfs": "<sha-256>" | null,
//     "machine": { "ramMiB", "cpus", "cmdline", "mac": "02:..." | null, "lockstep": bool },
//     "events": [[KIND, boot, run, timeNs, PAYLOAD?], ...],   KIND: "i" input (base64),
//               "r" reboot, "f" frame received (base64), "h" horizon (ns), "e" end
//     "sent": [[boot, run, timeNs, base64], ...] }

import { gunzipSync, gzipSync } from "node:zlib";
import { checkEvents, type Position, type SessionEvent } from "../replay.js";

export const SESSION_FORMAT = "keel-session";
export const SESSION_VERSION = 1;
/** Reading stops here (compressed and unpacked). */
export const SESSION_MAX_BYTES = 64 * 1024 * 1024;

export interface SessionMachine {
  ramMiB: number;
  cpus: number;
  cmdline: string;
  /** The card's MAC, or null: no network card. */
  mac: string | null;
  /** Recorded on a lockstep switch: the replay runs horizon by horizon. */
  lockstep: boolean;
}

export interface SentFrame extends Position {
  bytes: Uint8Array;
}

export interface SessionFile {
  kernel: string;
  disk: string | null;
  bootfs: string | null;
  machine: SessionMachine;
  events: SessionEvent[];
  sent: SentFrame[];
}

export class SessionFileError extends Error {}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

export function encodeSession(s: SessionFile): Uint8Array {
  const events = s.events.map((e) => {
    const at = [e.boot, e.run, e.timeNs];
    switch (e.kind) {
      case "input": return ["i", ...at, b64(e.bytes)];
      case "reboot": return ["r", ...at];
      case "frame": return ["f", ...at, b64(e.bytes)];
      case "horizon": return ["h", ...at, e.horizonNs];
      case "end": return ["e", ...at];
    }
  });
  const json = JSON.stringify({
    format: SESSION_FORMAT, version: SESSION_VERSION, kernel: s.kernel, disk: s.disk, bootfs: s.bootfs, machine: s.machine,
    events, sent: s.sent.map((f) => [f.boot, f.run, f.timeNs, b64(f.bytes)]),
  });
  return gzipSync(Buffer.from(json, "utf8"), { level: 9 });
}

function fail(reason: string): never {
  throw new SessionFileError(reason);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function bytesOf(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || v.length % 4 !== 0 || !BASE64.test(v)) fail(`${what} is not base64`);
  return new Uint8Array(Buffer.from(v, "base64"));
}

function whole(v: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) fail(`${what} is not a whole number from ${min} to ${max}`);
  return v;
}

function hex64OrNull(v: unknown, what: string): string | null {
  if (v === null) return null;
  if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) fail(`${what} is not a SHA-256 in hex`);
  return v;
}

/** Reads a recording; a SessionFileError says what is wrong with it. */
export function decodeSession(file: Uint8Array): SessionFile {
  if (file.length < 2 || file[0] !== 0x1f || file[1] !== 0x8b) fail("it is not a Keel session recording (not gzip data)");
  let text: string;
  try {
    text = gunzipSync(file, { maxOutputLength: SESSION_MAX_BYTES }).toString("utf8");
  } catch (error) {
    fail(`it does not unpack (${error instanceof Error ? error.message : String(error)}): cut short or damaged`);
  }
  let top: unknown;
  try {
    top = JSON.parse(text);
  } catch (error) {
    fail(`it is not JSON inside (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof top !== "object" || top === null) fail("it holds no recording");
  const o = top as Record<string, unknown>;
  if (o.format !== SESSION_FORMAT) fail(`it is not a Keel session recording (format ${JSON.stringify(o.format)})`);
  if (o.version !== SESSION_VERSION) fail(`it is version ${JSON.stringify(o.version)} of the format; this runner reads version ${SESSION_VERSION}`);
  if (typeof o.kernel !== "string" || !/^[0-9a-f]{64}$/.test(o.kernel)) fail("its kernel build id is not a SHA-256 in hex");
  const disk = hex64OrNull(o.disk, "its disk hash");
  const bootfs = hex64OrNull(o.bootfs, "its boot file system hash");
  const m = o.machine as Record<string, unknown> | null;
  if (typeof m !== "object" || m === null) fail("it has no machine configuration");
  if (typeof m.cmdline !== "string" || m.cmdline.length > 1024) fail("its command line is not text of at most 1024 characters");
  if (m.mac !== null && (typeof m.mac !== "string" || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m.mac))) fail("its MAC is not six hex bytes");
  if (typeof m.lockstep !== "boolean") fail("it does not say whether it ran in lockstep");
  const machine: SessionMachine = {
    ramMiB: whole(m.ramMiB, "its RAM size in MiB", 16, 2048), cpus: whole(m.cpus, "its vCPU count", 1, 8),
    cmdline: m.cmdline, mac: m.mac as string | null, lockstep: m.lockstep,
  };
  if (machine.lockstep && machine.mac === null) fail("it ran in lockstep without a network card");
  if (!Array.isArray(o.events)) fail("it has no list of events");
  const events: SessionEvent[] = o.events.map((raw: unknown, i: number): SessionEvent => {
    const what = `event ${i + 1}`;
    if (!Array.isArray(raw)) fail(`${what} is not a list`);
    const [kind, boot, run, timeNs, payload] = raw as unknown[];
    const at = { boot: whole(boot, `${what}'s power-on`, 1), run: whole(run, `${what}'s run count`), timeNs: whole(timeNs, `${what}'s virtual time`) };
    const length = kind === "r" || kind === "e" ? 4 : 5;
    if (raw.length !== length) fail(`${what} has ${raw.length} fields (a ${JSON.stringify(kind)} event has ${length})`);
    switch (kind) {
      case "i": {
        const bytes = bytesOf(payload, `${what}'s input`);
        if (bytes.length === 0) fail(`${what} is an input of no bytes`);
        return { kind: "input", ...at, bytes };
      }
      case "r": return { kind: "reboot", ...at };
      case "f": return { kind: "frame", ...at, bytes: bytesOf(payload, `${what}'s frame`) };
      case "h": return { kind: "horizon", ...at, horizonNs: whole(payload, `${what}'s horizon`) };
      case "e": return { kind: "end", ...at };
      default: fail(`${what} is of unknown kind ${JSON.stringify(kind)}`);
    }
  });
  const problem = checkEvents(events);
  if (problem !== null) fail(problem);
  if (!machine.lockstep && events.some((e) => e.kind === "frame" || e.kind === "horizon")) fail("it holds frames or horizons but did not run in lockstep");
  if (!Array.isArray(o.sent)) fail("it has no list of frames sent");
  const sent = o.sent.map((raw: unknown, i: number): SentFrame => {
    const what = `sent frame ${i + 1}`;
    if (!Array.isArray(raw) || raw.length !== 4) fail(`${what} is not a list of 4 fields`);
    const bytes = bytesOf(raw[3], what);
    if (bytes.length < 14 || bytes.length > 1514) fail(`${what} is ${bytes.length} bytes (a frame is 14..1514)`);
    return { boot: whole(raw[0], `${what}'s power-on`, 1), run: whole(raw[1], `${what}'s run count`), timeNs: whole(raw[2], `${what}'s virtual time`), bytes };
  });
  return { kernel: o.kernel, disk, bootfs, machine, events, sent };
}
