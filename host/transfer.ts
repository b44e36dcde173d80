// The console side of `download FILE` (user/prog/download.c): the program
// sends the file as OSC 7337 escape sequences, and whoever shows the
// console (the page, web/files-ui.ts; the headless runner, host/node/boot.ts)
// takes them out of the byte stream with a DownloadScanner and saves the
// file. Everything else passes through untouched, in order, also when a
// sequence is split across UART batches. The sequences are documented in
// docs/userland.md ("download"). Pure: no DOM, no Node module.

/** What the scanner found, in the order it was sent. */
export type DownloadEvent =
  | { kind: "begin"; name: string; size: number }
  | { kind: "progress"; name: string; size: number; received: number }
  | { kind: "file"; name: string; bytes: Uint8Array }
  | { kind: "error"; name: string; message: string };

const ESC = 0x1b;
const BEL = 0x07;
const PREFIX = new TextEncoder().encode("\x1b]7337;");
/** Longest sequence the program writes (a data chunk of 3072 bytes is 4096 base64 characters). */
const MAX_SEQUENCE = 8192;
/** Largest file accepted. */
export const DOWNLOAD_MAX_BYTES = 512 * 1024 * 1024;

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, zlib's crc32, what `cksum` prints). */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let b = 0; b < 256; b++) {
      let r = b;
      for (let bit = 0; bit < 8; bit++) r = r & 1 ? (r >>> 1) ^ 0xedb88320 : r >>> 1;
      crcTable[b] = r >>> 0;
    }
  }
  let reg = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) reg = (reg >>> 8) ^ crcTable[(reg ^ bytes[i]!) & 0xff]!;
  return (reg ^ 0xffffffff) >>> 0;
}

function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export class DownloadScanner {
  /** Bytes of a sequence (or of what may start one) held back so far. */
  private pending: number[] = [];
  private file: { name: string; size: number; parts: Uint8Array[]; received: number } | null = null;

  /** Feeds console bytes; returns what the console should show and what was found. */
  feed(bytes: Uint8Array): { output: Uint8Array; events: DownloadEvent[] } {
    const out: number[] = [];
    const events: DownloadEvent[] = [];
    for (const b of bytes) {
      const pending = this.pending;
      if (pending.length === 0) {
        if (b === ESC) pending.push(b);
        else out.push(b);
        continue;
      }
      if (pending.length < PREFIX.length) {
        if (b === PREFIX[pending.length]) {
          pending.push(b);
        } else {
          // Not ours: give back what was held, then look at this byte afresh.
          out.push(...pending);
          this.pending = [];
          if (b === ESC) this.pending.push(b);
          else out.push(b);
        }
        continue;
      }
      if (b === BEL) {
        this.sequence(String.fromCharCode(...pending.slice(PREFIX.length)), events);
        this.pending = [];
      } else if (pending.length >= MAX_SEQUENCE) {
        events.push(this.fail("a download sequence was too long"));
        this.pending = [];
      } else {
        pending.push(b);
      }
    }
    return { output: Uint8Array.from(out), events };
  }

  /** True while a file is arriving (between begin and end). */
  get busy(): boolean {
    return this.file !== null;
  }

  private fail(message: string): DownloadEvent {
    const name = this.file?.name ?? "";
    this.file = null;
    return { kind: "error", name, message };
  }

  private sequence(body: string, events: DownloadEvent[]): void {
    const [kind, ...fields] = body.split(";");
    switch (kind) {
      case "B": {
        const size = Number(fields[0]);
        const hex = fields[1] ?? "";
        if (this.file !== null) events.push(this.fail(`${this.file.name} was cut off by the next file`));
        if (!Number.isSafeInteger(size) || size < 0 || !/^([0-9a-f]{2})+$/.test(hex)) {
          events.push(this.fail("a download began with a damaged header"));
          return;
        }
        if (size > DOWNLOAD_MAX_BYTES) {
          events.push(this.fail(`a file of ${size} bytes is larger than the ${DOWNLOAD_MAX_BYTES} bytes a download may have`));
          return;
        }
        const nameBytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
        const name = new TextDecoder().decode(nameBytes);
        this.file = { name, size, parts: [], received: 0 };
        events.push({ kind: "begin", name, size });
        return;
      }
      case "D": {
        if (this.file === null) return; // data without a begin: dropped
        const data = decodeBase64(fields[0] ?? "");
        if (data === null) { events.push(this.fail(`${this.file.name}: damaged data`)); return; }
        this.file.received += data.length;
        if (this.file.received > this.file.size) { events.push(this.fail(`${this.file.name}: more data than its size`)); return; }
        this.file.parts.push(data);
        events.push({ kind: "progress", name: this.file.name, size: this.file.size, received: this.file.received });
        return;
      }
      case "E": {
        const file = this.file;
        if (file === null) return;
        const bytes = new Uint8Array(file.received);
        let at = 0;
        for (const part of file.parts) { bytes.set(part, at); at += part.length; }
        if (file.received !== file.size) { events.push(this.fail(`${file.name}: ${file.received} of ${file.size} bytes arrived`)); return; }
        const expected = parseInt(fields[0] ?? "", 16);
        if (crc32(bytes) !== expected) { events.push(this.fail(`${file.name}: the checksum does not match (damaged on the way)`)); return; }
        this.file = null;
        events.push({ kind: "file", name: file.name, bytes });
        return;
      }
      case "X":
        if (this.file !== null) events.push(this.fail(`${this.file.name}: the program could not read the file to the end`));
        return;
      default:
        return; // an unknown kind is dropped
    }
  }
}
