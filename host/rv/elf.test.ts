// The ELF validator: each malformation gets its own error code, and random
// mutations of valid files either fail with ElfError or yield an image that
// still satisfies every loader invariant.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  EHDR_SIZE, ELF_MAX_LOAD_SEGMENTS, ELF_PAGE_SIZE, ElfError, type ElfErrorCode, type ElfImage, PF_R, PF_W, PF_X, PHDR_SIZE,
  parseElf, writeElf,
} from "./elf.js";
import { assembleProgram } from "./asm.js";

const text = new Uint8Array([0x93, 0x08, 0xd0, 0x05, 0x13, 0x05, 0x00, 0x00, 0x73, 0x00, 0x00, 0x00]);

function sample(): Uint8Array {
  return writeElf({
    entry: 0x10000n,
    segments: [
      { vaddr: 0x10000n, data: text, flags: PF_R | PF_X },
      { vaddr: 0x11000n, data: new Uint8Array([1, 2, 3]), memsz: 0x2000n, flags: PF_R | PF_W },
    ],
  });
}

/** Field offsets in the first program header. */
const PH = (i: number, field: number): number => EHDR_SIZE + i * PHDR_SIZE + field;
const P_FLAGS = 4, P_OFFSET = 8, P_VADDR = 16, P_FILESZ = 32, P_MEMSZ = 40;

function mutate(f: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const b = sample();
  f(new DataView(b.buffer), b);
  return b;
}

function codeOf(bytes: Uint8Array): ElfErrorCode | "ok" {
  try {
    parseElf(bytes);
    return "ok";
  } catch (e) {
    if (e instanceof ElfError) return e.code;
    throw e;
  }
}

/** Invariants any accepted image must satisfy, checked independently. */
function checkInvariants(img: ElfImage, bytes: Uint8Array): void {
  expect(img.segments.length).toBeGreaterThan(0);
  expect(img.segments.length).toBeLessThanOrEqual(ELF_MAX_LOAD_SEGMENTS);
  let prevEnd = 0n;
  for (const s of img.segments) {
    expect((s.vaddr - s.offset) % BigInt(ELF_PAGE_SIZE)).toBe(0n);
    expect(s.memsz > 0n).toBe(true);
    expect(s.filesz <= s.memsz).toBe(true);
    expect(s.offset + s.filesz <= BigInt(bytes.length)).toBe(true);
    expect(s.data.length).toBe(Number(s.filesz));
    expect(s.vaddr >= prevEnd).toBe(true);
    prevEnd = s.vaddr + s.memsz; // pages may be shared, bytes never
    expect(s.vaddr + s.memsz <= 1n << 47n).toBe(true);
  }
  const home = img.segments.find((s) => img.entry >= s.vaddr && img.entry < s.vaddr + s.memsz);
  expect(home && (home.flags & PF_X) !== 0).toBe(true);
}

describe("parseElf accepts", () => {
  it("what writeElf produces", () => {
    const b = sample();
    const img = parseElf(b);
    checkInvariants(img, b);
    expect(img.entry).toBe(0x10000n);
    expect(img.segments[0]!.data).toEqual(text);
    expect(img.segments[1]!.memsz).toBe(0x2000n);
  });
  it("every float ABI the hart runs, with or without RVC and TSO", () => {
    for (const flags of [0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x15]) expect(codeOf(mutate((v) => v.setUint32(48, flags, true)))).toBe("ok");
  });
  it("a segment that starts mid-page on the page the previous one ends on", () => {
    const b = writeElf({
      entry: 0x10000n,
      segments: [
        { vaddr: 0x10000n, data: text, flags: PF_R | PF_X },
        { vaddr: 0x10000n + BigInt(text.length), data: new Uint8Array([7]), memsz: 0x1800n, flags: PF_R | PF_W },
      ],
    });
    const img = parseElf(b);
    checkInvariants(img, b);
    expect(img.segments.map((s) => s.vaddr)).toEqual([0x10000n, 0x1000cn]);
  });
  it("a headers segment under the text (ld -Ttext=), which is left out", () => {
    const b = writeElf({ entry: 0x10000n, segments: [{ vaddr: 0x10000n, data: text, flags: PF_R | PF_X }] });
    const headers = EHDR_SIZE + 2 * PHDR_SIZE;
    const withHeaders = writeElf({
      entry: 0x10000n,
      segments: [
        { vaddr: 0x10000n, data: new Uint8Array(headers), flags: PF_R },
        { vaddr: 0x10000n, data: text, flags: PF_R | PF_X },
      ],
    });
    // Make the first segment the file's own headers: offset 0, headers' size.
    const v = new DataView(withHeaders.buffer);
    v.setBigUint64(PH(0, P_OFFSET), 0n, true);
    const img = parseElf(withHeaders);
    checkInvariants(img, withHeaders);
    expect(img.segments).toHaveLength(1);
    expect(img.segments[0]!.data).toEqual(parseElf(b).segments[0]!.data);
    // The same segment with write or execute permission is a real overlap.
    v.setUint32(PH(0, P_FLAGS), PF_R | PF_W, true);
    expect(codeOf(withHeaders)).toBe("segments-overlap");
  });
  it("text linked at virtual address 0", () => {
    const b = writeElf({ entry: 0n, segments: [{ vaddr: 0n, data: text, flags: PF_R | PF_X }] });
    expect(parseElf(b).segments[0]!.vaddr).toBe(0n);
  });
});

describe("parseElf rejects, with a specific code,", () => {
  it.each<[string, () => Uint8Array, ElfErrorCode]>([
    ["an empty file", () => new Uint8Array(0), "truncated-header"],
    ["a file cut inside the header", () => sample().subarray(0, 40), "truncated-header"],
    ["bad magic", () => mutate((_, b) => (b[1] = 0x46)), "bad-magic"],
    ["a 32-bit class", () => mutate((_, b) => (b[4] = 1)), "bad-class"],
    ["big-endian data", () => mutate((_, b) => (b[5] = 2)), "bad-data-encoding"],
    ["a bad ident version", () => mutate((_, b) => (b[6] = 0)), "bad-version"],
    ["another machine", () => mutate((v) => v.setUint16(18, 62, true)), "bad-machine"],
    ["a relocatable object", () => mutate((v) => v.setUint16(16, 1, true)), "bad-type"],
    ["a shared object", () => mutate((v) => v.setUint16(16, 3, true)), "bad-type"],
    ["a bad program header size", () => mutate((v) => v.setUint16(54, 32, true)), "bad-phentsize"],
    ["too many program headers", () => mutate((v) => v.setUint16(56, 1000, true)), "too-many-segments"],
    ["program headers beyond the file", () => mutate((v) => v.setBigUint64(32, 1n << 40n, true)), "phdrs-beyond-file"],
    ["p_filesz > p_memsz", () => mutate((v) => v.setBigUint64(PH(1, P_MEMSZ), 1n, true)), "filesz-exceeds-memsz"],
    ["file bytes beyond the file", () => mutate((v) => v.setBigUint64(PH(0, P_OFFSET), 0xfffffn, true)), "segment-beyond-file"],
    ["a huge p_filesz", () => mutate((v) => { v.setBigUint64(PH(0, P_FILESZ), 1n << 62n, true); v.setBigUint64(PH(0, P_MEMSZ), 1n << 62n, true); }), "segment-beyond-file"],
    ["an unaligned p_vaddr", () => mutate((v) => v.setBigUint64(PH(1, P_VADDR), 0x11004n, true)), "segment-unaligned"],
    ["a p_offset off the page of p_vaddr", () => mutate((v) => v.setBigUint64(PH(1, P_OFFSET), v.getBigUint64(PH(1, P_OFFSET), true) - 8n, true)), "segment-unaligned"],
    ["RVE code", () => mutate((v) => v.setUint32(48, 0x9, true)), "rve-unsupported"],
    ["the quad-float ABI", () => mutate((v) => v.setUint32(48, 0x7, true)), "quad-float-abi"],
    ["unknown e_flags bits", () => mutate((v) => v.setUint32(48, 0x105, true)), "unknown-flags"],
    ["a segment in the kernel half", () => mutate((v) => v.setBigUint64(PH(1, P_VADDR), 0xffff_ffc0_0000_0000n, true)), "segment-beyond-user-space"],
    ["a segment too large to load", () => mutate((v) => v.setBigUint64(PH(1, P_MEMSZ), 1n << 40n, true)), "segment-too-large"],
    ["a segment past user space", () => mutate((v) => v.setBigUint64(PH(1, P_VADDR), (1n << 47n) - 0x1000n, true)), "segment-beyond-user-space"],
    ["overlapping segments", () => mutate((v) => v.setBigUint64(PH(1, P_VADDR), 0x10000n, true)), "segments-overlap"],
    ["segments sharing a byte", () => mutate((v) => v.setBigUint64(PH(0, P_MEMSZ), 0x1001n, true)), "segments-overlap"],
    ["a writable segment at offset 0 under the text", () => mutate((v) => {
      v.setBigUint64(PH(1, P_OFFSET), 0n, true); v.setBigUint64(PH(1, P_VADDR), 0x10000n, true); v.setBigUint64(PH(1, P_MEMSZ), 3n, true);
    }), "segments-overlap"],
    ["no PT_LOAD", () => mutate((v) => { v.setUint32(PH(0, 0), 4, true); v.setUint32(PH(1, 0), 4, true); }), "no-load-segments"],
    ["no program headers", () => mutate((v) => v.setUint16(56, 0, true)), "no-load-segments"],
    ["an entry outside every segment", () => mutate((v) => v.setBigUint64(24, 0x50000n, true)), "entry-not-executable"],
    ["an entry in a data segment", () => mutate((v) => v.setBigUint64(24, 0x11000n, true)), "entry-not-executable"],
    ["an entry in a non-executable text", () => mutate((v) => v.setUint32(PH(0, P_FLAGS), PF_R, true)), "entry-not-executable"],
  ])("%s", (_, make, code) => {
    expect(codeOf(make())).toBe(code);
  });

  it("more PT_LOAD segments than the limit", () => {
    const segments = Array.from({ length: ELF_MAX_LOAD_SEGMENTS + 1 }, (_, i) => ({
      vaddr: 0x10000n + BigInt(i) * 0x1000n, data: text, flags: PF_R | PF_X,
    }));
    expect(codeOf(writeElf({ entry: 0x10000n, segments }))).toBe("too-many-segments");
  });

  it("gives messages that say what is wrong", () => {
    expect(() => parseElf(mutate((v) => v.setBigUint64(PH(1, P_MEMSZ), 1n, true)))).toThrow(/p_filesz 0x3 > p_memsz 0x1/);
    expect(() => parseElf(mutate((v) => v.setBigUint64(24, 0x50000n, true)))).toThrow(/entry 0x50000/);
  });
});

describe("parseElf under random mutation", () => {
  const program = assembleProgram("_start:\n la a0, x\n li a7, 93\n ecall\n.data\nx: .dword 5\n", { bssBytes: 64 }).elf;

  it("throws nothing but ElfError, and whatever it accepts is loadable", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(program.length + 64), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(program.length), { nil: undefined }),
        (edits, cut) => {
          const b = program.slice(0, cut ?? program.length);
          for (const [at, value] of edits) if (at < b.length) b[at] = value;
          try {
            checkInvariants(parseElf(b), b);
          } catch (e) {
            if (!(e instanceof ElfError)) throw e;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("with header fields set to extreme values", () => {
    const fields = [24, 32, PH(0, P_OFFSET), PH(0, P_VADDR), PH(0, P_FILESZ), PH(0, P_MEMSZ), PH(1, P_OFFSET), PH(1, P_VADDR), PH(1, P_FILESZ), PH(1, P_MEMSZ)];
    const values = fc.oneof(fc.constantFrom(0n, 1n, 0xfffn, 0x1000n, (1n << 47n) - 1n, 1n << 63n, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...fields), values), { minLength: 1, maxLength: 4 }), (edits) => {
        const b = program.slice();
        const v = new DataView(b.buffer);
        for (const [at, value] of edits) v.setBigUint64(at, value, true);
        try {
          checkInvariants(parseElf(b), b);
        } catch (e) {
          if (!(e instanceof ElfError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("never accepts random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        expect(() => parseElf(b)).toThrow(ElfError);
      }),
      { numRuns: 2000 },
    );
  });
});
