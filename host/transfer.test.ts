// `download FILE`: the scanner that takes the program's escape sequences out
// of the console stream (fast-check: any split of any stream), and the real
// program in a booted machine, through the scanner.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DownloadScanner, crc32, type DownloadEvent } from "./transfer.js";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";

const enc = new TextEncoder();

/** What download.c sends for one file. */
function sequences(name: string, data: Uint8Array): Uint8Array {
  const hex = Array.from(enc.encode(name), (b) => b.toString(16).padStart(2, "0")).join("");
  let text = `\x1b]7337;B;${data.length};${hex}\x07`;
  for (let at = 0; at < data.length; at += 3072) {
    text += `\x1b]7337;D;${Buffer.from(data.subarray(at, at + 3072)).toString("base64")}\x07`;
  }
  text += `\x1b]7337;E;${crc32(data).toString(16).padStart(8, "0")}\x07`;
  return enc.encode(text);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

describe("the download scanner", () => {
  it("knows the CRC-32 of cksum", () => {
    expect(crc32(enc.encode("123456789"))).toBe(0xcbf43926);
  });

  it("takes files out of any console stream, split anywhere, and passes the rest through in order", () => {
    // Console text with escape sequences of its own (ESC [ ..., a lone ESC).
    const text = fc.array(fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.constant(enc.encode("\x1b[2J")), fc.constant(enc.encode("\x1b]0;t\x07"))), { maxLength: 4 })
      .map((parts) => concat(parts));
    fc.assert(fc.property(
      fc.array(fc.tuple(text, fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 14 }), fc.uint8Array({ maxLength: 7000 })), { nil: null })), { maxLength: 5 }),
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }),
      (pieces, cuts) => {
        const stream = concat(pieces.flatMap(([t, file]) => (file === null ? [t] : [t, sequences(file[0], file[1])])));
        const expectedText = concat(pieces.map(([t]) => t));
        const scanner = new DownloadScanner();
        const out: Uint8Array[] = [];
        const events: DownloadEvent[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          const got = scanner.feed(stream.subarray(at, at + n));
          out.push(got.output);
          events.push(...got.events);
          at += n;
        }
        // A trailing ESC (or the start of a sequence) waits for what follows it.
        const shown = concat(out);
        expect(Buffer.from(expectedText.subarray(0, shown.length)).equals(Buffer.from(shown))).toBe(true);
        expect(expectedText.length - shown.length).toBeLessThanOrEqual(8);
        const files = events.filter((e) => e.kind === "file");
        const sent = pieces.flatMap(([, file]) => (file === null ? [] : [file]));
        expect(files.map((f) => f.kind === "file" && [f.name, Array.from(f.bytes)])).toEqual(sent.map(([n, d]) => [n, Array.from(d)]));
        expect(events.some((e) => e.kind === "error")).toBe(false);
      },
    ), { numRuns: 150 });
  });

  it("refuses a damaged file with a reason and keeps going", () => {
    const scanner = new DownloadScanner();
    const good = sequences("a.txt", enc.encode("hello"));
    const bad = enc.encode(new TextDecoder().decode(sequences("b.txt", enc.encode("world"))).replace(/E;[0-9a-f]{8}/, "E;00000000"));
    const { output, events } = scanner.feed(concat([enc.encode("x"), bad, enc.encode("y"), good]));
    expect(new TextDecoder().decode(output)).toBe("xy");
    expect(events.filter((e) => e.kind === "error").map((e) => e.kind === "error" && e.message)).toEqual(["b.txt: the checksum does not match (damaged on the way)"]);
    expect(events.filter((e) => e.kind === "file").map((e) => e.kind === "file" && e.name)).toEqual(["a.txt"]);
    const cut = scanner.feed(enc.encode("\x1b]7337;B;10;61\x07\x1b]7337;D;aGk=\x07\x1b]7337;E;00000000\x07"));
    expect(cut.events.at(-1)).toMatchObject({ kind: "error", message: "a: 2 of 10 bytes arrived" });
  });
});

describe("download in the shell", () => {
  it("sends a file over the console that the scanner saves byte for byte, and says so", () => {
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk: shippedDisk() }).boot();
    h.runUntil("\n$ ");
    h.shell("echo the quick brown fox > fox.txt");
    const mark = h.output.length;
    const reply = h.shell("download fox.txt");
    const scanner = new DownloadScanner();
    const { output, events } = scanner.feed(enc.encode(reply));
    const file = events.find((e) => e.kind === "file");
    expect(file).toBeDefined();
    expect(file!.kind === "file" && new TextDecoder().decode(file!.bytes)).toBe("the quick brown fox\n");
    expect(new TextDecoder().decode(output)).toContain("download: sent fox.txt (20 bytes)");
    expect(h.since(mark)).toContain("\x1b]7337;B;20;");
    // The VGA screen is displayd's (docs/services.md): the transfer never reaches it.
    expect(h.machine.vgaText().join("\n")).not.toContain("7337");
    expect(h.shell("download nothere")).toMatch(/download: nothere: /);
    expect(h.shell("download fox.txt > copy")).toContain("download: standard output is not the console");
  });
});
