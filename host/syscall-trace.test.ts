// The host's reading of the kernel's trace ring (host/syscall-trace.ts, the
// page's System calls panel) against `trace` itself: the same records,
// decoded to the same lines, from a real machine running real programs.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { SYSCALL_RING_RECORDS, decodeRecord, readSyscallTrace } from "./syscall-trace.js";

function traceLines(out: string): string[] {
  return out.split(/\r?\n/).filter((l) => /^\[\d+\] [a-z_0-9]+\(/.test(l));
}

describe("the trace ring, read by the host", () => {
  it("gives the lines trace printed, in order, and only new ones from a cursor", () => {
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
    h.runUntil("\n$ ");
    const empty = readSyscallTrace(h.machine.ram, 0);
    expect(empty).toEqual({ records: [], next: 0, lost: 0 }); // nothing traced yet: the ring is untouched
    const printed = traceLines(h.shell("trace cat README"));
    const first = readSyscallTrace(h.machine.ram, 0);
    // trace's own calls are not traced; every record it printed is in the ring, decoded alike.
    expect(first.records.map((r) => r.line)).toEqual(printed);
    expect(printed.length).toBeGreaterThan(4);
    expect(first.records.map((r) => r.seq)).toEqual(printed.map((_, i) => i));
    expect(first.records.find((r) => r.name === "open")?.line).toMatch(/^\[\d+\] open\("README", 0x0\) = 3$/);
    const second = traceLines(h.shell("trace -e write,exit echo hi"));
    const more = readSyscallTrace(h.machine.ram, first.next);
    // -e filters what trace prints, not what the kernel records.
    expect(more.records.filter((r) => r.name === "write" || r.name === "exit").map((r) => r.line)).toEqual(second);
    expect(more.records[0]!.seq).toBe(first.next);
    // Through the inspect entry point the panels use.
    expect(h.machine.inspect({ what: "syscalls", from: first.next })).toEqual({ what: "syscalls", trace: more });
    expect(h.machine.inspect({ what: "syscalls", from: -1 })).toMatchObject({ what: "error" });
  });

  it("counts records the ring overwrote before they were read", () => {
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
    h.runUntil("\n$ ");
    h.shell("trace -e exit ls");
    const read = readSyscallTrace(h.machine.ram, 0);
    if (read.next > SYSCALL_RING_RECORDS) expect(read.lost).toBe(read.next - SYSCALL_RING_RECORDS);
    else expect(read.lost).toBe(0);
    expect(read.records.length).toBe(Math.min(read.next, SYSCALL_RING_RECORDS));
  });

  it("decodes a record as trace.c does: unknown calls, cut bytes, big results", () => {
    const rec = new Uint8Array(128);
    const v = new DataView(rec.buffer);
    v.setInt32(8, 9, true);
    v.setUint32(12, 999, true); // a number the table does not know: three hex arguments
    v.setBigUint64(16, 0x10n, true);
    v.setBigInt64(64, -2n, true);
    expect(decodeRecord(rec).line).toBe("[9] syscall_999(0x10, 0x0, 0x0) = 0xfffffffffffffffe");
    v.setUint32(12, 16, true); // write(fd, bytes, n), bytes cut
    v.setBigUint64(16, 1n, true);
    v.setBigUint64(32, 100n, true);
    v.setBigInt64(64, 100n, true);
    rec.set(new TextEncoder().encode("a\"b\\\n\u0001"), 80);
    v.setUint32(72, 6, true);
    v.setUint32(76, 2, true);
    expect(decodeRecord(rec).line).toBe('[9] write(1, "a\\"b\\\\\\n\\x01"..., 100) = 100');
    v.setUint32(12, 2, true); // exit: no result
    v.setBigInt64(64, 0x7fff_ffff_ffff_ffffn, true);
    expect(decodeRecord(rec).line).toBe("[9] exit(1)");
  });
});
