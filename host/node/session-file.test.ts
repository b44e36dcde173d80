// The runner's recording file (host/node/session-file.ts): a round trip keeps
// every event and sent frame; a damaged file (random bytes changed, cut
// short, JSON fields of the wrong kind, events out of order) is refused
// with a SessionFileError that says what is wrong, never anything else.

import fc from "fast-check";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeSession, encodeSession, SessionFileError, type SessionFile } from "./session-file.js";

const frame = (n: number) => Uint8Array.from({ length: 60 }, (_, i) => (i * 7 + n) & 0xff);

function sample(): SessionFile {
  return {
    kernel: "ab".repeat(32), disk: "cd".repeat(32), bootfs: null,
    machine: { ramMiB: 64, cpus: 1, cmdline: "ip=10.0.0.1/24", mac: "02:4b:0a:00:00:01", lockstep: true },
    events: [
      { kind: "horizon", boot: 1, run: 0, timeNs: 5000, horizonNs: 100_000 },
      { kind: "input", boot: 1, run: 40, timeNs: 100_020, bytes: new TextEncoder().encode("ping -c 1 10.0.0.2\n") },
      { kind: "frame", boot: 1, run: 40, timeNs: 100_020, bytes: frame(1) },
      { kind: "horizon", boot: 1, run: 40, timeNs: 100_020, horizonNs: 200_000 },
      { kind: "end", boot: 1, run: 90, timeNs: 200_010 },
    ],
    sent: [{ boot: 1, run: 60, timeNs: 150_000, bytes: frame(2) }],
  };
}

const json = (file: Uint8Array) => JSON.parse(gunzipSync(file).toString("utf8")) as Record<string, unknown>;
const pack = (o: unknown) => gzipSync(Buffer.from(JSON.stringify(o)));

describe("session files", () => {
  it("round-trip", () => {
    expect(decodeSession(encodeSession(sample()))).toEqual(sample());
  });

  it.each<[string, (o: Record<string, unknown>) => void, RegExp]>([
    ["another format", (o) => (o.format = "keel-snapshot"), /not a Keel session recording \(format "keel-snapshot"\)/],
    ["another version", (o) => (o.version = 2), /version 2 of the format; this runner reads version 1/],
    ["a bad kernel id", (o) => (o.kernel = "xyz"), /kernel build id is not a SHA-256/],
    ["RAM out of range", (o) => ((o.machine as Record<string, unknown>).ramMiB = 4), /RAM size in MiB is not a whole number from 16 to 2048/],
    ["lockstep without a card", (o) => ((o.machine as Record<string, unknown>).mac = null), /ran in lockstep without a network card/],
    ["no end", (o) => (o.events as unknown[]).pop(), /the recording has no end/],
    ["an unknown kind", (o) => ((o.events as unknown[][])[1]![0] = "z"), /event 2 has 5 fields \(a "z" event has 5\)|event 2 is of unknown kind "z"/],
    ["events out of order", (o) => ((o.events as unknown[][])[2]![2] = 1), /event 3 comes before the event ahead of it/],
    ["a horizon behind", (o) => ((o.events as unknown[][])[3]![4] = 100_000), /event 4 is a horizon that is not ahead of its own time|not after the one before/],
    ["a short frame", (o) => ((o.events as unknown[][])[2]![4] = "AAAA"), /event 3 is a frame of impossible length/],
    ["bad base64", (o) => ((o.events as unknown[][])[1]![4] = "!!!!"), /event 2's input is not base64/],
    ["a negative time", (o) => ((o.events as unknown[][])[0]![3] = -1), /event 1's virtual time is not a whole number/],
    ["a sent frame of 3 fields", (o) => ((o.sent as unknown[][])[0]!.pop()), /sent frame 1 is not a list of 4 fields/],
    ["frames without lockstep", (o) => ((o.machine as Record<string, unknown>).lockstep = false), /holds frames or horizons but did not run in lockstep/],
  ])("refuses %s with the reason", (_what, damage, reason) => {
    const o = json(encodeSession(sample()));
    damage(o);
    expect(() => decodeSession(pack(o))).toThrow(SessionFileError);
    expect(() => decodeSession(pack(o))).toThrow(reason);
  });

  it("refuses what is not gzip, does not unpack or is not JSON", () => {
    expect(() => decodeSession(new TextEncoder().encode("{}"))).toThrow("not gzip data");
    expect(() => decodeSession(encodeSession(sample()).subarray(0, 30))).toThrow(/does not unpack .*cut short or damaged/);
    expect(() => decodeSession(gzipSync(Buffer.from("{oops")))).toThrow(/is not JSON inside/);
    expect(() => decodeSession(gzipSync(Buffer.from("7")))).toThrow(/holds no recording/);
  });

  it("a file with random damage is read or refused with a SessionFileError, nothing else", () => {
    const good = encodeSession(sample());
    const text = gunzipSync(good);
    fc.assert(fc.property(
      fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(),
      (inner, edits, cut) => {
        // Damage either the gzip stream or the JSON inside it.
        const bytes = Uint8Array.from(inner ? text : good);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        const damaged = bytes.subarray(0, cut % 3 === 0 ? bytes.length : 1 + (cut % bytes.length));
        try {
          const s = decodeSession(inner ? gzipSync(damaged) : damaged);
          expect(s.events.at(-1)!.kind).toBe("end");
        } catch (error) {
          expect(error).toBeInstanceOf(SessionFileError);
        }
      }), { numRuns: 500, seed: 14 });
  });
});
