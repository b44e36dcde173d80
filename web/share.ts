// Shareable links (docs/share-links.md): pure functions, no DOM, unit-tested
// in web/share.test.ts.
//
// Two kinds of link:
//   exact   `#replay=<payload>` — a deterministic session: the configuration
//           and every input chunk at its position (host/replay.ts), packed
//           in a small binary format, deflate-raw compressed and base64url
//           encoded. Opening it boots the same machine on a fresh copy of
//           the shipped disk and replays the input to the same screen.
//   plain   `?ram=…&cmdline=…&run=<lines>` — the configuration and the
//           command lines that were typed, typed again once the machine has
//           booted. Not exact (realtime mode), but readable and editable.
//
// The payload sits in the fragment: a browser never sends the fragment to
// the server (what was typed stays out of server logs and Referer headers),
// and static hosts that cap the request line (often at 8 KiB) never see it.

import { OutputLimitError, compress, decompress } from "../host/compress";
import type { ReplayEvent } from "../host/replay";
import { checkEvents } from "../host/replay";
import { CMDLINE_MAX_BYTES, DEFAULT_PARAMS, RAM_MIB_MAX, RAM_MIB_MIN, checkCmdline, type KeelParams } from "./params";

export { RUN_MAX_BYTES, checkRun } from "./params";

/** What an exact link fixes besides the input: clock is deterministic and the disk a fresh shipped copy. */
export interface ReplayConfig {
  ramMiB: number;
  cmdline: string;
  userland: boolean;
}

export interface SharedSession {
  config: ReplayConfig;
  /** Ends with the `end` event (host/replay.ts checkEvents). */
  events: ReplayEvent[];
}

/** The fragment key of an exact link: `#replay=…`. */
export const REPLAY_KEY = "replay";
export const FORMAT_VERSION = 1;
/** Longest payload accepted, in base64url characters (≈ 48 KiB compressed). */
export const MAX_PAYLOAD_CHARS = 65_536;
/** Largest decompressed payload accepted (a guard against deflate bombs). */
export const MAX_DECODED_BYTES = 1 << 20;

const EVENT_END = 0;
const EVENT_REBOOT = 1;
/** Header values from here on are inputs of (header - EVENT_INPUT_BASE) bytes. */
const EVENT_INPUT_BASE = 2;
const FLAG_USERLAND = 1;

export class ShareLinkError extends Error {}

// ---- the binary payload ----------------------------------------------------

class Writer {
  private bytes: number[] = [];

  byte(value: number): void {
    this.bytes.push(value & 0xff);
  }

  /** Unsigned LEB128 of a safe non-negative integer. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new ShareLinkError(`cannot encode ${value}`);
    let rest = value;
    while (rest >= 0x80) {
      this.bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.bytes.push(rest);
  }

  raw(data: Uint8Array): void {
    for (const b of data) this.bytes.push(b);
  }

  result(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  private at = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  byte(): number {
    const value = this.bytes[this.at++];
    if (value === undefined) throw new ShareLinkError("the recording is cut short");
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (!Number.isSafeInteger(value)) throw new ShareLinkError("the recording holds a number too large");
      if ((b & 0x80) === 0) return value;
      scale *= 0x80;
    }
  }

  raw(length: number): Uint8Array {
    if (this.at + length > this.bytes.length) throw new ShareLinkError("the recording is cut short");
    const out = this.bytes.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

/** The session as bytes: version, configuration, then each event as
 *  header, power-on delta, run and time (both relative to the event before
 *  in the same power-on, absolute in a new one), and an input's bytes. */
export function packSession(session: SharedSession): Uint8Array {
  const problem = checkEvents(session.events);
  if (problem !== null) throw new ShareLinkError(problem);
  const w = new Writer();
  w.byte(FORMAT_VERSION);
  w.varint(session.config.ramMiB);
  w.byte(session.config.userland ? FLAG_USERLAND : 0);
  const cmdline = new TextEncoder().encode(session.config.cmdline);
  w.varint(cmdline.length);
  w.raw(cmdline);
  let boot = 1;
  let run = 0;
  let timeNs = 0;
  for (const event of session.events) {
    w.varint(event.kind === "end" ? EVENT_END : event.kind === "reboot" ? EVENT_REBOOT : EVENT_INPUT_BASE + event.bytes.length);
    const samePowerOn = event.boot === boot;
    w.varint(event.boot - boot);
    w.varint(samePowerOn ? event.run - run : event.run);
    w.varint(samePowerOn ? event.timeNs - timeNs : event.timeNs);
    if (event.kind === "input") w.raw(event.bytes);
    ({ boot, run, timeNs } = event);
  }
  return w.result();
}

export function unpackSession(bytes: Uint8Array): SharedSession {
  const r = new Reader(bytes);
  const version = r.byte();
  if (version !== FORMAT_VERSION) throw new ShareLinkError(`the recording has format ${version}; this page reads format ${FORMAT_VERSION}`);
  const ramMiB = r.varint();
  if (ramMiB < RAM_MIB_MIN || ramMiB > RAM_MIB_MAX) throw new ShareLinkError(`the recording asks for ${ramMiB} MiB of RAM`);
  const flags = r.byte();
  const cmdlineLength = r.varint();
  if (cmdlineLength > CMDLINE_MAX_BYTES) throw new ShareLinkError("the recording's command line is too long");
  const cmdline = new TextDecoder("utf-8", { fatal: true }).decode(r.raw(cmdlineLength));
  const cmdlineProblem = checkCmdline(cmdline);
  if (cmdlineProblem !== null) throw new ShareLinkError(`the recording's command line ${cmdlineProblem}`);
  const events: ReplayEvent[] = [];
  let boot = 1;
  let run = 0;
  let timeNs = 0;
  for (;;) {
    const header = r.varint();
    const bootDelta = r.varint();
    const samePowerOn = bootDelta === 0;
    boot += bootDelta;
    run = samePowerOn ? run + r.varint() : r.varint();
    timeNs = samePowerOn ? timeNs + r.varint() : r.varint();
    if (header === EVENT_END) {
      events.push({ kind: "end", boot, run, timeNs });
      break;
    }
    if (header === EVENT_REBOOT) events.push({ kind: "reboot", boot, run, timeNs });
    else events.push({ kind: "input", boot, run, timeNs, bytes: r.raw(header - EVENT_INPUT_BASE) });
  }
  if (!r.done) throw new ShareLinkError("the recording has bytes after its end");
  const problem = checkEvents(events);
  if (problem !== null) throw new ShareLinkError(problem);
  return { config: { ramMiB, cmdline, userland: (flags & FLAG_USERLAND) !== 0 }, events };
}

// ---- base64url ----------------------------------------------------------------

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new ShareLinkError("it is not base64url text");
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The `#replay=` payload of a session. */
export async function encodeSession(session: SharedSession): Promise<string> {
  return toBase64Url(await compress(packSession(session), "deflate-raw"));
}

/** Reads a `#replay=` payload; throws ShareLinkError saying what is wrong with it. */
export async function decodeSession(payload: string): Promise<SharedSession> {
  if (payload.length > MAX_PAYLOAD_CHARS) throw new ShareLinkError(`it is ${payload.length} characters long; at most ${MAX_PAYLOAD_CHARS} are read`);
  const compressed = fromBase64Url(payload);
  let packed: Uint8Array;
  try {
    packed = await decompress(compressed, "deflate-raw", MAX_DECODED_BYTES);
  } catch (error) {
    if (error instanceof OutputLimitError) throw new ShareLinkError(`the recording unpacks to more than ${MAX_DECODED_BYTES} bytes`);
    throw new ShareLinkError("it does not decompress (the link may be cut short)");
  }
  return unpackSession(packed);
}

// ---- a kernel patch -----------------------------------------------------------
//
// A link made while a kernel changed in the page runs carries the change:
// `patch=PAYLOAD` in the fragment (beside `replay=`, or alone after a plain
// link's query), PAYLOAD being base64url of deflate-raw of the JSON
// { "v": 1, "diff": unified diff against the shipped sources
// (web/code/patch.ts), "build": SHA-256 hex of the kernel the session ran
// (host/snapshot.ts snapshotBuildId) }. Opening it applies the diff, builds
// the kernel in the page and boots it; the build id says whether the page
// built the very kernel the session ran, which an exact replay needs.

/** The fragment key of a link's kernel patch: `#patch=…`. */
export const PATCH_KEY = "patch";
export const PATCH_FORMAT_VERSION = 1;
/** Largest patch a link carries once unpacked. */
export const MAX_PATCH_BYTES = 1 << 20;

export interface SharedPatch {
  /** The unified diff against the shipped kernel sources. */
  diff: string;
  /** The build id of the kernel the session ran (64 hex digits). */
  build: string;
}

export async function encodePatch(patch: SharedPatch): Promise<string> {
  if (patch.diff === "") throw new ShareLinkError("the patch is empty");
  const json = JSON.stringify({ v: PATCH_FORMAT_VERSION, diff: patch.diff, build: patch.build });
  const payload = toBase64Url(await compress(new TextEncoder().encode(json), "deflate-raw"));
  if (payload.length > MAX_PAYLOAD_CHARS) throw new ShareLinkError(`the kernel's patch packs to ${payload.length} characters; a link carries at most ${MAX_PAYLOAD_CHARS}`);
  return payload;
}

/** Reads a `#patch=` payload; throws ShareLinkError saying what is wrong with it. */
export async function decodePatch(payload: string): Promise<SharedPatch> {
  if (payload.length > MAX_PAYLOAD_CHARS) throw new ShareLinkError(`it is ${payload.length} characters long; at most ${MAX_PAYLOAD_CHARS} are read`);
  let bytes: Uint8Array;
  try {
    bytes = await decompress(fromBase64Url(payload), "deflate-raw", MAX_PATCH_BYTES);
  } catch (error) {
    if (error instanceof ShareLinkError) throw error;
    if (error instanceof OutputLimitError) throw new ShareLinkError(`the patch unpacks to more than ${MAX_PATCH_BYTES} bytes`);
    throw new ShareLinkError("it does not decompress (the link may be cut short)");
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ShareLinkError("it is not a patch record (not JSON text)");
  }
  const { v, diff, build } = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (v !== PATCH_FORMAT_VERSION) throw new ShareLinkError(`the patch has format ${JSON.stringify(v)}; this page reads format ${PATCH_FORMAT_VERSION}`);
  if (typeof diff !== "string" || diff === "") throw new ShareLinkError("the patch record has no diff");
  if (typeof build !== "string" || !/^[0-9a-f]{64}$/.test(build)) throw new ShareLinkError("the patch record has no kernel build id");
  return { diff, build };
}

/** The `patch` payload in a URL fragment, or null. */
export function patchPayloadOf(hash: string): string | null {
  const fragment = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  return fragment.get(PATCH_KEY);
}

/** `link` with the patch's payload added to its fragment. */
export function withPatch(link: string, payload: string): string {
  return `${link}${link.includes("#") ? "&" : "#"}${PATCH_KEY}=${payload}`;
}

// ---- links -------------------------------------------------------------------

/** The `replay` payload in a URL fragment (`#replay=…`), or null. */
export function replayPayloadOf(hash: string): string | null {
  const fragment = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  return fragment.get(REPLAY_KEY);
}

/** The page's address without query or fragment: where links point. */
export function pageBase(href: string): string {
  const url = new URL(href);
  return `${url.origin}${url.pathname}`;
}

export async function exactLink(base: string, session: SharedSession): Promise<string> {
  return `${base}#${REPLAY_KEY}=${await encodeSession(session)}`;
}

/** A plain link: the configuration's non-default values, and the lines as `run`. */
export function plainLink(base: string, params: Pick<KeelParams, "ramMiB" | "clock" | "cmdline" | "userland">, lines: readonly string[]): string {
  const query = new URLSearchParams();
  if (params.ramMiB !== DEFAULT_PARAMS.ramMiB) query.set("ram", String(params.ramMiB));
  if (params.clock !== DEFAULT_PARAMS.clock) query.set("clock", params.clock);
  if (params.cmdline !== DEFAULT_PARAMS.cmdline) query.set("cmdline", params.cmdline);
  if (params.userland !== DEFAULT_PARAMS.userland) query.set("userland", params.userland ? "1" : "0");
  if (lines.length > 0) query.set("run", lines.join("\n"));
  const text = query.toString().replaceAll("+", "%20");
  return text === "" ? base : `${base}?${text}`;
}

// ---- `run` --------------------------------------------------------------------

/** Ctrl-], which switches between the shell and the kernel monitor: kept in lines. */
const MONITOR_KEY = "\x1d";

/** What the console is given for `run`: each line, then Enter (a carriage
 *  return, as a terminal sends it). Empty lines are kept: they press Enter. */
export function runInput(text: string): string {
  const lines = text.replaceAll("\r\n", "\n").replaceAll("\r", "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => `${line}\r`).join("");
}

/** The command lines keyboard input amounts to, as a line editor sees it:
 *  printable text, Backspace/Delete removes a character, Ctrl-C and Ctrl-U
 *  drop the line, Enter ends it (empty lines are left out); escape
 *  sequences (arrow keys) are skipped.
 *  A line not yet ended by Enter is left out: it was never run. */
export function typedLines(chunks: Iterable<Uint8Array | string>): string[] {
  let text = "";
  const decoder = new TextDecoder();
  for (const chunk of chunks) text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  const lines: string[] = [];
  let line: string[] = [];
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "\r" || ch === "\n") {
      if (ch === "\r" && chars[i + 1] === "\n") i++;
      if (line.length > 0) lines.push(line.join("")); // an empty Enter adds nothing to a link
      line = [];
    } else if (ch === "\x7f" || ch === "\b") {
      line.pop();
    } else if (ch === "\x03" || ch === "\x15") {
      line = [];
    } else if (ch === "\x1b") {
      // CSI (ESC [ params final) or SS3 (ESC O x); a lone ESC is dropped.
      if (chars[i + 1] === "[") {
        i += 2;
        while (i < chars.length && !/[\u0040-\u007e]/.test(chars[i]!)) i++;
      } else if (chars[i + 1] === "O") {
        i += 2;
      }
    } else if (ch === MONITOR_KEY || ch === "\t" || ch >= " ") {
      line.push(ch);
    }
  }
  return lines;
}

/** The input chunks of a recording, in order (for a plain link). */
export function inputsOf(events: readonly ReplayEvent[]): Uint8Array[] {
  return events.flatMap((e) => (e.kind === "input" ? [e.bytes] : []));
}
