// Damaged snapshots (issue 19.5): whatever is wrong with a snapshot file, it
// is refused with a SnapshotError before anything is written, or — when the
// damage was re-sealed with a fresh checksum, as a forger would — restored
// into a machine that neither panics nor hangs. Randomized with fast-check
// over every header field, every section, truncation and random bytes. The
// headless runner's disk file is checked byte for byte after its refusals in
// node/boot.test.ts. KEEL_SNAPSHOT_DAMAGE_RUNS raises the number of runs,
// KEEL_SNAPSHOT_DAMAGE_ALL=1 adds every header number off by one.

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compress } from "./compress.js";
import { SnapshotError, decodeSnapshot, restoreDetached, saveSnapshot, snapshotBuildId, type Snapshot } from "./snapshot.js";
import { MemoryBackend } from "./disk/memory.js";
import { IRQ_UART } from "./hw.js";
import { kernelBytesSync, kernelModuleSync, MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";

const MiB = 1024 * 1024;
const RUNS = Number(process.env.KEEL_SNAPSHOT_DAMAGE_RUNS ?? 60);
/** Also every number in the header off by one (about 25 s; most are restored and run). */
const ALL = process.env.KEEL_SNAPSHOT_DAMAGE_ALL === "1";
/** Slices a restored machine is run for, and the wall time any one may take. */
const SLICES = 40;
const SLICE_WALL_MS = 2000;
const CHECKSUM_BYTES = 32;

let buildId = "";
let good: Uint8Array = new Uint8Array(0);

beforeAll(async () => {
  buildId = await snapshotBuildId(kernelBytesSync());
  const h = new MachineHarness({ ramBytes: 32 * MiB, modules: userlandModules(), disk: shippedDisk() }).boot();
  h.runUntil("\n$ ");
  good = await saveSnapshot(h.machine, buildId);
});

// ---- the file's parts -------------------------------------------------------

interface Parts {
  header: Record<string, unknown>;
  sections: Uint8Array[];
}

function split(file: Uint8Array): Parts {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + length))) as Record<string, unknown>;
  const sections: Uint8Array[] = [];
  let at = 16 + length;
  for (const s of header.sections as { length: number }[]) {
    sections.push(file.slice(at, at + s.length));
    at += s.length;
  }
  return { header, sections };
}

/** A file from its parts, with a checksum that matches (a forgery, or damage
 *  done before the file was sealed). */
async function seal(parts: Parts, headerText = JSON.stringify(parts.header)): Promise<Uint8Array> {
  const head = new TextEncoder().encode(headerText);
  const bodyLength = parts.sections.reduce((n, s) => n + s.length, 0);
  const file = new Uint8Array(16 + head.length + bodyLength + CHECKSUM_BYTES);
  file.set(new TextEncoder().encode("KEELSNAP"), 0);
  new DataView(file.buffer).setUint32(8, 2, true);
  new DataView(file.buffer).setUint32(12, head.length, true);
  file.set(head, 16);
  let at = 16 + head.length;
  for (const s of parts.sections) {
    file.set(s, at);
    at += s.length;
  }
  file.set(new Uint8Array(await crypto.subtle.digest("SHA-256", file.subarray(0, at))), at);
  return file;
}

/** Every leaf of the header as a path of keys and indices. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [path];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  const out = [path]; // the object itself may be replaced too
  for (const [k, v] of entries) out.push(...leaves(v, [...path, k]));
  return out;
}

function setPath(root: Record<string, unknown>, path: (string | number)[], value: unknown, remove: boolean): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
}

// ---- outcomes ---------------------------------------------------------------

type Outcome = { refused: string } | { ran: Snapshot };

async function decode(bytes: Uint8Array): Promise<Outcome> {
  try {
    return { ran: await decodeSnapshot(bytes, buildId) };
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw new Error(`not a clear refusal: ${String(error)}`);
    expect(error.message).toMatch(/snapshot|Keel/);
    return { refused: error.message };
  }
}

/** A decoded snapshot restored the way the runner and the page do it, then
 *  run: refused clearly, or a machine that neither panics nor hangs. */
function restoreAndRun(snapshot: Snapshot): "refused" | "ran" {
  let h: MachineHarness;
  let attach: ((disk: MemoryBackend) => void) | null = null;
  try {
    h = new MachineHarness({}, (callbacks) => {
      const restored = restoreDetached(kernelModuleSync(), snapshot, callbacks, userlandModules());
      attach = restored.attachDisk;
      return restored.machine;
    });
  } catch (error) {
    if (!(error instanceof SnapshotError)) throw new Error(`not a clear refusal: ${String(error)}`);
    return "refused";
  }
  if (snapshot.disk !== null) attach!(new MemoryBackend(snapshot.disk.image, snapshot.disk.blocks));
  expect(h.machine.state).not.toBe("panicked");
  h.machine.input("echo hi\n");
  for (let i = 0; i < SLICES; i++) {
    const t0 = performance.now();
    const report = h.machine.runFor(20);
    expect(performance.now() - t0).toBeLessThan(SLICE_WALL_MS);
    expect(report.state, h.machine.panicText).not.toBe("panicked");
    if (report.state === "halted") break;
  }
  return "ran";
}

// ---- the suite --------------------------------------------------------------

describe("damaged snapshots", () => {
  it("the undamaged file restores and runs (the suite's baseline)", async () => {
    const outcome = await decode(good);
    expect("ran" in outcome).toBe(true);
    expect(restoreAndRun((outcome as { ran: Snapshot }).ran)).toBe("ran");
  });

  it("any changed, missing or extra bytes are refused by the checksum or the framing", async () => {
    const damage = fc.oneof(
      // one byte anywhere changed
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      // a run of random bytes written anywhere
      fc.record({ kind: fc.constant("overwrite" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      // cut short anywhere
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      // bytes appended
      fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      // a byte of the header (where one edit used to pass unnoticed)
      fc.record({ kind: fc.constant("header" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    );
    await fc.assert(fc.asyncProperty(damage, async (d) => {
      let bad: Uint8Array;
      const headerLength = new DataView(good.buffer, good.byteOffset).getUint32(12, true);
      switch (d.kind) {
        case "flip": bad = good.slice(); bad[d.at % bad.length]! ^= d.xor; break;
        case "header": bad = good.slice(); bad[16 + (d.at % headerLength)]! ^= d.xor; break;
        case "overwrite": {
          bad = good.slice();
          const at = d.at % bad.length;
          const bytes = d.bytes.subarray(0, bad.length - at);
          if (bytes.every((b, i) => b === bad[at + i])) return; // nothing changed
          bad.set(bytes, at);
          break;
        }
        case "truncate": bad = good.subarray(0, d.at % good.length); break;
        case "append": bad = new Uint8Array([...good, ...d.bytes]); break;
      }
      const outcome = await decode(bad);
      expect("refused" in outcome).toBe(true);
    }), { numRuns: RUNS * 4 });
  });

  it("every header field, forged with a fresh checksum, is refused or restores a machine that runs", async () => {
    const parts = split(good);
    const paths = leaves(parts.header).filter((p) => p.length > 0);
    const forged = fc.oneof(
      fc.constantFrom(null, true, false, "", "x", -1, 0, 1, 2, 255, 256, 4096, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 0.5, 1e300, [], {}),
      fc.integer(),
      fc.string(),
      fc.array(fc.integer({ min: -1, max: 300 }), { maxLength: 40 }),
    );
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), forged, fc.boolean(), async (path, value, remove) => {
      const header = structuredClone(parts.header);
      setPath(header, path, value, remove && typeof path[path.length - 1] === "string");
      const outcome = await decode(await seal({ header, sections: parts.sections }));
      if ("ran" in outcome) restoreAndRun(outcome.ran);
    }), { numRuns: RUNS });
  }, 120_000);

  it(`every field once with a value of the wrong kind${ALL ? ", and each number off by one," : ""} is refused or runs`, async () => {
    const parts = split(good);
    for (const path of leaves(parts.header).filter((p) => p.length > 0)) {
      let old: unknown = parts.header;
      for (const key of path) old = (old as Record<string | number, unknown>)[key];
      const values: unknown[] = [typeof old === "string" ? 7 : "7"];
      if (ALL && typeof old === "number") values.push(old + 1, old - 1);
      for (const value of values) {
        const header = structuredClone(parts.header);
        setPath(header, path, value, false);
        const outcome = await decode(await seal({ header, sections: parts.sections }));
        if ("ran" in outcome) restoreAndRun(outcome.ran);
      }
    }
  }, 300_000);

  it("a forged section (its bytes, its decompressed contents, its page map, the disk's superblock) is refused or harmless", async () => {
    const parts = split(good);
    const names = (parts.header.sections as { name: string }[]).map((s) => s.name);
    const raw = await Promise.all(parts.sections.map(async (s) => new Uint8Array(await new Response(
      new Blob([s as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer())));
    const withSection = async (index: number, data: Uint8Array, recompress: boolean): Promise<Uint8Array> => {
      const header = structuredClone(parts.header);
      const sections = parts.sections.slice();
      sections[index] = recompress ? await compress(data, "gzip") : data;
      const entry = (header.sections as { length: number; rawLength: number }[])[index]!;
      entry.length = sections[index]!.length;
      if (recompress) entry.rawLength = data.length;
      return seal({ header, sections });
    };
    await fc.assert(fc.asyncProperty(
      fc.nat({ max: names.length - 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(),
      async (index, at, xor, compressed) => {
        const name = names[index]!;
        // RAM's contents are the kernel's, not checkable here (the checksum guards them).
        if (name === "ram" && !compressed) return;
        if (name === "imports" && raw[index]!.length === 0 && !compressed) return;
        const data = (compressed ? parts.sections[index]! : raw[index]!).slice();
        if (name === "disk" && !compressed) at = 4096 + (at % 32); // the superblock's fields
        data[at % data.length]! ^= xor;
        const outcome = await decode(await withSection(index, data, !compressed));
        // gzip's CRC catches changed data (a changed gzip header field, such
        // as its timestamp, changes nothing); a page map that disagrees with
        // its pages is refused; a changed superblock field either changes the
        // disk's size (refused) or is one the mounted kernel no longer reads.
        if (!compressed && name.endsWith("-map")) expect("refused" in outcome, name).toBe(true);
        if ("ran" in outcome) restoreAndRun(outcome.ran);
      },
    ), { numRuns: RUNS });
  }, 120_000);

  it("device states that disagree with the kernel's drivers are refused when the kernel resumes", async () => {
    const parts = split(good);
    const devices = (parts.header.machine as { devices: Record<string, Record<string, unknown>> }).devices;
    const forgeries: [string, string, unknown][] = [
      ["uart16550", "ier", 2], // the transmitter's interrupt, which the driver never clears (this hung the runner)
      ["uart16550", "lcr", 0x83],
      ["block", "ringBase", (devices.block!.ringBase as number) + 4096],
      ["block", "ringSlots", 8],
      ["block", "completed", (devices.block!.completed as number) + 1],
      ["intc", "mask", 1 << IRQ_UART], // console input would never arrive
    ];
    for (const [device, field, value] of forgeries) {
      const header = structuredClone(parts.header);
      (header.machine as { devices: Record<string, Record<string, unknown>> }).devices[device]![field] = value;
      const outcome = await decode(await seal({ header, sections: parts.sections }));
      expect("ran" in outcome, `${device}.${field}`).toBe(true);
      expect(restoreAndRun((outcome as { ran: Snapshot }).ran), `${device}.${field}`).toBe("refused");
    }
  });
});
