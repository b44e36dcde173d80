// The kernel's ELF validator (proc/elf.ts, what exec trusts) against the
// host's (host/rv/elf.ts, what the bare runner and the tests trust): on real
// clang/lld executables of every layout the build makes and on random
// mutations of their headers, both accept exactly the same files and load
// exactly the same segments (docs/processes.md "ELF files accepted and
// refused"). Mutations stay inside the range where the two share their
// limits (the host also caps phnum at 64 and a segment at 256 MiB, and
// allows addresses up to 2^47, where the kernel stops at 2^46).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadKernelTest } from "../../host/testing/kernel-test.js";
import { ElfError, EHDR_SIZE, PHDR_SIZE, PF_R, PF_W, PF_X, parseElf, writeElf } from "../../host/rv/elf.js";

interface ElfExports {
  elfBuffer(): number;
  elfBufferBytes(): number;
  elfCheckBuffer(size: number): number;
  elfLoadedMask(size: number): number;
}

const t = loadKernelTest<ElfExports>("elf");
const k = t.exports;

const bin = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../user/bin/${name}`, import.meta.url)));
const text = new Uint8Array(64).fill(0x13);
const bases: [string, Uint8Array][] = [
  ["fptest (lld's default layout, lp64d)", bin("fptest")],
  ["segs (-Ttext=0x10000)", bin("segs")],
  ["echo (user.ld)", bin("echo")],
  ["a page shared by text and data", writeElf({
    entry: 0x10000n,
    segments: [
      { vaddr: 0x10000n, data: text, flags: PF_R | PF_X },
      { vaddr: 0x10040n, data: new Uint8Array(8), memsz: 0x2000n, flags: PF_R | PF_W },
    ],
  })],
];

const P_TYPE = 0, P_FLAGS = 4, P_OFFSET = 8, P_VADDR = 16, P_FILESZ = 32, P_MEMSZ = 40;
const ph = (i: number, field: number): number => EHDR_SIZE + i * PHDR_SIZE + field;

/** What exec loads per the kernel: "vaddr memsz offset filesz flags" per segment, sorted; null if refused. */
function kernelView(file: Uint8Array): string[] | null {
  expect(file.length).toBeLessThanOrEqual(k.elfBufferBytes());
  new Uint8Array(t.memory.buffer, k.elfBuffer(), file.length).set(file);
  if (k.elfCheckBuffer(file.length) !== 0) return null;
  const mask = k.elfLoadedMask(file.length) >>> 0;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: string[] = [];
  for (let i = 0; i < v.getUint16(56, true); i++) {
    if ((mask & (1 << i)) === 0) continue;
    const f = (field: number): bigint => v.getBigUint64(ph(i, field), true);
    out.push(`${f(P_VADDR)} ${f(P_MEMSZ)} ${f(P_OFFSET)} ${f(P_FILESZ)} ${v.getUint32(ph(i, P_FLAGS), true) & 7}`);
  }
  return out.sort();
}

function hostView(file: Uint8Array): string[] | null {
  try {
    return parseElf(file).segments.map((s) => `${s.vaddr} ${s.memsz} ${s.offset} ${s.filesz} ${s.flags}`).sort();
  } catch (e) {
    if (e instanceof ElfError) return null;
    throw e;
  }
}

describe("the kernel's and the host's ELF validators", () => {
  it.each(bases)("accept %s and load the same segments", (_, file) => {
    const view = kernelView(file);
    expect(view).not.toBeNull();
    expect(view).toEqual(hostView(file));
  });

  it("leave out the headers segment lld puts under -Ttext= text", () => {
    const segs = bin("segs");
    const v = new DataView(segs.buffer, segs.byteOffset, segs.byteLength);
    let loads = 0;
    for (let i = 0; i < v.getUint16(56, true); i++) if (v.getUint32(ph(i, P_TYPE), true) === 1) loads++;
    expect(kernelView(segs)!.length).toBe(loads - 1);
  });

  it("agree on random mutations of real executables' headers", () => {
    const delta = fc.constantFrom(-0x1000n, -0x100n, -8n, -1n, 1n, 8n, 0x100n, 0x1000n, 0x10000n);
    const edit = fc.oneof(
      fc.tuple(fc.nat(7), fc.constantFrom(P_VADDR, P_OFFSET, P_FILESZ, P_MEMSZ), delta).map(([i, field, d]) => ({ kind: "add" as const, i, field, d })),
      fc.tuple(fc.nat(7), fc.constantFrom(P_VADDR, P_OFFSET),
        fc.constantFrom(0n, 0x40n, 0x1000n, 0x10000n, 0x11000n, 0xffff_ffc0_0000_0040n, (1n << 39n) - 0x1000n, 1n << 20n))
        .map(([i, field, value]) => ({ kind: "set" as const, i, field, value })),
      fc.tuple(fc.nat(7), fc.constantFrom(P_FILESZ, P_MEMSZ), fc.constantFrom(0n, 0x40n, 0x190n, 0x1000n, 0x10000n, 1n << 20n))
        .map(([i, field, value]) => ({ kind: "set" as const, i, field, value })),
      fc.tuple(fc.nat(7), fc.nat(7)).map(([i, j]) => ({ kind: "copy-vaddr" as const, i, j })),
      fc.tuple(fc.nat(7), fc.nat(7)).map(([i, value]) => ({ kind: "flags" as const, i, value })),
      fc.tuple(fc.nat(7), fc.constantFrom(0, 1, 4, 6, 0x6474e551)).map(([i, value]) => ({ kind: "type" as const, i, value })),
      fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x15, 0x20, 0x105).map((value) => ({ kind: "eflags" as const, value })),
      fc.tuple(fc.nat(7), fc.constantFrom(0n, 2n, 0x100n)).map(([i, d]) => ({ kind: "entry" as const, i, d })),
    );
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
        const file = bases[which]![1].slice();
        const v = new DataView(file.buffer);
        const phnum = v.getUint16(56, true);
        const u64 = (at: number, value: bigint): void => v.setBigUint64(at, BigInt.asUintN(64, value), true);
        for (const e of edits) {
          if (e.kind === "eflags") { v.setUint32(48, e.value, true); continue; }
          const i = e.i % phnum;
          if (e.kind === "add") u64(ph(i, e.field), v.getBigUint64(ph(i, e.field), true) + e.d);
          else if (e.kind === "set") u64(ph(i, e.field), e.value);
          else if (e.kind === "copy-vaddr") u64(ph(i, P_VADDR), v.getBigUint64(ph(e.j % phnum, P_VADDR), true));
          else if (e.kind === "flags") v.setUint32(ph(i, P_FLAGS), e.value, true);
          else if (e.kind === "type") v.setUint32(ph(i, P_TYPE), e.value, true);
          else u64(24, v.getBigUint64(ph(i, P_VADDR), true) + e.d);
        }
        expect(kernelView(file)).toEqual(hostView(file));
      }),
      { numRuns: Number(process.env.ELF_RUNS ?? 3000) },
    );
  });
});
