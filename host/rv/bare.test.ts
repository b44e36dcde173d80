// The bare hart runner (build/bare.wasm + host/rv/bare.ts): program image,
// stack and argv layout, write/exit, and the messages for everything else.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assembleProgram } from "./asm.js";
import { runBare } from "./bare.js";
import { ElfError } from "./elf.js";

const run = (source: string, args?: string[], bssBytes?: number) => runBare(assembleProgram(source, { bssBytes }).elf, { args, limit: 10_000_000n });
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const WRITE = (fd: string, buf: string, len: string): string => `
  li a0, ${fd}
  la a1, ${buf}
  li a2, ${len}
  li a7, 64
  ecall`;
const EXIT = (status: string): string => `
  li a0, ${status}
  li a7, 93
  ecall`;

describe("bare runner: write and exit", () => {
  it("writes to stdout and stderr and exits with the status", () => {
    const r = run(`_start: ${WRITE("1", "out", "4")} ${WRITE("2", "err", "3")} ${EXIT("42")}
.data
out: .ascii "out\\n"
err: .ascii "err"`);
    expect(text(r.stdout)).toBe("out\n");
    expect(text(r.stderr)).toBe("err");
    expect(r.exitStatus).toBe(42);
    expect(r.fault).toBeUndefined();
  });

  it("returns the byte count, -EBADF for other fds and -EFAULT for unreadable buffers", () => {
    const r = run(`_start:
  ${WRITE("1", "msg", "2")}
  mv s0, a0
  ${WRITE("7", "msg", "2")}
  mv s1, a0
  li a0, 1
  li a1, 0x4000
  li a2, 8
  li a7, 64
  ecall
  mv s2, a0
  la t0, res
  sd s0, 0(t0)
  sd s1, 8(t0)
  sd s2, 16(t0)
  ${WRITE("1", "res", "24")}
  ${EXIT("0")}
.data
msg: .ascii "ok"
.align 3
res: .zero 24`);
    const v = new DataView(r.stdout.buffer, r.stdout.byteOffset + 2);
    expect(v.getBigInt64(0, true)).toBe(2n);
    expect(v.getBigInt64(8, true)).toBe(-9n);
    expect(v.getBigInt64(16, true)).toBe(-14n);
  });

  it("hands large writes over in chunks without losing bytes", () => {
    const n = 200_000;
    const r = run(`_start:
  la t0, buf
  li t1, ${n}
  li t2, 0
1: sb t2, 0(t0)
  addi t2, t2, 7
  addi t0, t0, 1
  addi t1, t1, -1
  bnez t1, 1b
  ${WRITE("1", "buf", String(n))}
  mv s0, a0
  li a1, ${n}
  sub a0, s0, a1
  li a7, 93
  ecall
.data
buf: .byte 0`, undefined, n);
    expect(r.exitStatus).toBe(0);
    expect(r.stdout.length).toBe(n);
    for (let i = 0; i < n; i += 997) expect(r.stdout[i]).toBe((i * 7) & 0xff);
  });
});

describe("bare runner: process image", () => {
  it("passes argc in a0 and argv in a1 = sp, strings 16-byte aligned, NULL-terminated", () => {
    // Checks the layout in the program and writes argv[i] strings back.
    const r = run(`_start:
  mv s0, a0           # argc
  mv s1, a1           # argv
  bne a1, sp, bad
  andi t0, sp, 15
  bnez t0, bad
  slli t1, s0, 3
  add t1, s1, t1
  ld t1, 0(t1)
  bnez t1, bad        # argv[argc] == NULL
  li s2, 0
next:
  bge s2, s0, done
  slli t1, s2, 3
  add t1, s1, t1
  ld s3, 0(t1)        # argv[i]
  andi t0, s3, 15
  bnez t0, bad
  mv t2, s3
len: lbu t3, 0(t2)
  beqz t3, 1f
  addi t2, t2, 1
  j len
1: addi t2, t2, 1     # include the NUL
  li a0, 1
  mv a1, s3
  sub a2, t2, s3
  li a7, 64
  ecall
  addi s2, s2, 1
  j next
done: ${EXIT("0")}
bad: ${EXIT("99")}`, ["prog", "hello", "", "a longer argument string"]);
    expect(r.exitStatus).toBe(0);
    expect(text(r.stdout)).toBe("prog\0hello\0\0a longer argument string\0");
  });

  it("runs calls, tail calls and returns assembled from pseudo-instructions", () => {
    const r = run(`_start:
  li a0, 5
  call twice
  call twice
  tail finish
twice:
  add a0, a0, a0
  ret
finish:
  addi a0, a0, -20
  li a7, 93
  ecall`);
    expect(r.exitStatus).toBe(0);
  });

  it("zero-fills bss and keeps data writable", () => {
    const r = run(`_start:
  la t0, var
  ld a0, 0(t0)
  ld a1, 8(t0)
  add a0, a0, a1
  sd a0, 0(t0)
  ld a0, 0(t0)
  addi a0, a0, -5
  li a7, 93
  ecall
.data
var: .dword 5`, undefined, 4096);
    expect(r.exitStatus).toBe(0);
  });
});

describe("bare runner: faults name cause, pc and address", () => {
  it.each([
    ["a load from unmapped memory", "_start:\n li a0, 0x1234\n ld a1, 8(a0)\n", /load page fault at pc 0x10008, address 0x123c/],
    ["a store to text", "_start:\n la a0, _start\n sw zero, 0(a0)\n", /store\/AMO page fault at pc 0x10008, address 0x10000/],
    ["executing data", "_start:\n la a0, d\n jr a0\n.data\nd: .word 0x13\n", /instruction page fault at pc 0x11000, address 0x11000/],
    ["running into the guard page", "_start:\n1: addi sp, sp, -512\n sd zero, 0(sp)\n j 1b\n", /store\/AMO page fault .* \(the stack guard page: stack overflow\?\)/],
    ["an illegal instruction", "_start:\n .word 0xffffffff\n", /illegal instruction at pc 0x10000/],
    ["ebreak", "_start:\n nop\n ebreak\n", /breakpoint \(ebreak\) at pc 0x10004/],
    ["an unknown system call", "_start:\n li a7, 16\n ecall\n", /unsupported system call 16 \(a7\) at pc 0x10004/],
  ])("%s", (_, source, message) => {
    const r = run(source);
    expect(r.exitStatus).toBeUndefined();
    expect(r.fault?.message).toMatch(message);
  });

  it("stops at the instruction limit", () => {
    const r = runBare(assembleProgram("_start:\n j _start\n").elf, { limit: 100_000n });
    expect(r.limited).toBe(true);
    expect(r.instret).toBe(100_000n);
  });

  it("rejects a malformed ELF before running anything", () => {
    const { elf } = assembleProgram("_start: nop\n");
    elf[18] = 62; // e_machine = x86-64
    expect(() => runBare(elf)).toThrow(ElfError);
  });
});

describe("npm run hart", () => {
  const work = mkdtempSync(join(tmpdir(), "keel-hart-cli-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync("npx", ["tsx", "host/node/hart.ts", ...args], { encoding: "utf8" });

  it("prints the output, then the exit status, and exits with it; --stats and --trace report on stderr", () => {
    const prog = join(work, "p.elf");
    writeFileSync(prog, assembleProgram(`_start: ${WRITE("1", "m", "3")} ${EXIT("7")}\n.data\nm: .ascii "hi\\n"`).elf);
    const r = cli(["--stats", "--trace", prog]);
    expect(r.stdout).toBe("hi\n");
    expect(r.stderr).toMatch(/00010000 {2}00100513 {2}addi a0, zero, 1/);
    expect(r.stderr).toMatch(/instructions in .* s, .* MIPS/);
    expect(r.stderr).toMatch(/hart: exit status 7/);
    expect(r.status).toBe(7);
  });

  it("exits with 2 and the validator's message for a malformed ELF", () => {
    const prog = join(work, "bad.elf");
    const elf = assembleProgram("_start: nop\n").elf;
    elf[4] = 1; // ELFCLASS32
    writeFileSync(prog, elf);
    const r = cli([prog]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/malformed ELF \(bad-class\)/);
  });
});
