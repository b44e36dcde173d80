// The kernel (AssemblyScript) and the host (TypeScript) each declare the
// machine's fixed numbers. This test reads the kernel's declarations and
// checks that every number both sides name is the same on both sides.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as hw from "./hw.js";
import * as boot from "./bootinfo.js";
import * as cpus from "./cpus.js";
import * as locks from "./locks.js";
import { MAX_CPUS } from "./machine.js";

function kernelConstants(path: string): Map<string, bigint> {
  const text = readFileSync(new URL(`../kernel-as/src/${path}`, import.meta.url), "utf8");
  const found = new Map<string, bigint>();
  for (const m of text.matchAll(/export const (\w+): \w+ = (-?)(0x[0-9A-Fa-f_]+|\d[\d_]*);/g)) {
    const value = BigInt(m[3]!.replaceAll("_", ""));
    found.set(m[1]!, m[2] === "-" ? -value : value);
  }
  return found;
}

function hostValue(value: unknown): bigint | undefined {
  if (typeof value === "number") return BigInt(value);
  if (typeof value === "bigint") return value;
  return undefined;
}

describe("kernel and host agree on the machine's numbers", () => {
  const kernel = new Map([...kernelConstants("arch/hw.ts"), ...kernelConstants("lib/layout.ts")]);

  it("names the same ports, interrupt lines, hypercalls and layout addresses", () => {
    let compared = 0;
    for (const [name, value] of Object.entries(hw)) {
      const host = hostValue(value);
      if (host === undefined) continue;
      expect(kernel.has(name), `${name} is declared by the host but not by the kernel`).toBe(true);
      expect(kernel.get(name), name).toBe(host);
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
  });

  it("lays out the per-vCPU records the same way (lib/cpu.ts CpuRecord, host/cpus.ts)", () => {
    const text = readFileSync(new URL("../kernel-as/src/lib/cpu.ts", import.meta.url), "utf8");
    const body = /@unmanaged export class CpuRecord \{([^}]*)\}/.exec(text)![1]!;
    const offsets = new Map<string, number>();
    let at = 0;
    for (const m of body.matchAll(/^\s*(\w+): (u32|i32|u64);/gm)) {
      const size = m[2] === "u64" ? 8 : 4;
      at = Math.ceil(at / size) * size;
      offsets.set(m[1]!, at);
      at += size;
    }
    const fields: Record<string, number> = {
      state: cpus.CPU_STATE, current: cpus.CPU_CURRENT, lastPid: cpus.CPU_LAST_PID, runPid: cpus.CPU_RUN_PID,
      sysNum: cpus.CPU_SYS_NUM, runs: cpus.CPU_RUNS, instret: cpus.CPU_INSTRET, idleNs: cpus.CPU_IDLE_NS, work: cpus.CPU_WORK,
    };
    for (const [field, offset] of Object.entries(fields)) expect(offsets.get(field), field).toBe(offset);
    expect(at).toBeLessThanOrEqual(cpus.CPU_RECORD_SIZE);
    const k = kernelConstants("lib/cpu.ts");
    expect(k.get("CPU_RECORD_SIZE")).toBe(BigInt(cpus.CPU_RECORD_SIZE));
    expect(k.get("MAX_CPUS")).toBe(BigInt(MAX_CPUS));
  });

  it("lays out the lock records the same way (lib/lock.ts LockRecord, host/locks.ts)", () => {
    const text = readFileSync(new URL("../kernel-as/src/lib/lock.ts", import.meta.url), "utf8");
    const body = /@unmanaged export class LockRecord \{([^}]*)\}/.exec(text)![1]!;
    const offsets = new Map<string, number>();
    let at = 0;
    for (const m of body.matchAll(/^\s*(\w+): (u32|u64);/gm)) {
      const size = m[2] === "u64" ? 8 : 4;
      at = Math.ceil(at / size) * size;
      offsets.set(m[1]!, at);
      at += size;
    }
    const fields: Record<string, number> = {
      word: locks.LOCK_WORD, kind: locks.LOCK_KIND, rank: locks.LOCK_RANK, holder: locks.LOCK_HOLDER,
      acquisitions: locks.LOCK_ACQUISITIONS, contended: locks.LOCK_CONTENDED, spins: locks.LOCK_SPINS,
      maxSpins: locks.LOCK_MAX_SPINS, waiters: locks.LOCK_WAITERS,
    };
    for (const [field, offset] of Object.entries(fields)) expect(offsets.get(field), field).toBe(offset);
    expect(at).toBeLessThanOrEqual(locks.LOCK_NAME);
    const k = kernelConstants("lib/lock.ts");
    expect(k.get("LOCK_RECORD_SIZE")).toBe(BigInt(locks.LOCK_RECORD_SIZE));
    expect(k.get("MAX_LOCKS")).toBe(BigInt(locks.MAX_LOCKS));
    expect(k.get("LOCK_NAME_MAX")).toBe(BigInt(locks.LOCK_NAME_MAX));
    expect(/const LOCK_NAME_OFFSET: usize = (\d+);/.exec(text)?.[1]).toBe(String(locks.LOCK_NAME));
    expect(/const REG_RECORDS: usize = (0x[0-9A-F]+);/.exec(text)?.[1]).toBe(`0x${locks.LOCK_RECORDS.toString(16).toUpperCase()}`);
  });

  it("lays out the per-vCPU cache records the same way (mm/pcpu.ts, host/locks.ts readCaches)", () => {
    const text = readFileSync(new URL("../kernel-as/src/mm/pcpu.ts", import.meta.url), "utf8");
    const local = (name: string) => new RegExp(`const ${name}: usize = (\\d+);`).exec(text)?.[1];
    expect(local("PCPU_RECORD_SIZE")).toBe(String(locks.PCPU_RECORD_SIZE));
    expect(local("PCPU_FRAME_COUNT")).toBe(String(locks.PCPU_FRAME_COUNT));
    expect(local("PCPU_MAGAZINES")).toBe(String(locks.PCPU_MAGAZINES));
    expect(local("MAGAZINE_SIZE")).toBe(String(locks.MAGAZINE_SIZE));
    expect(kernelConstants("mm/pcpu.ts").get("MAGAZINES")).toBe(BigInt(locks.MAGAZINES));
    expect(kernelConstants("lib/cpu.ts").get("MAX_CPUS")).toBe(BigInt(locks.PCPU_RECORDS));
    expect(BigInt(hw.KSTATE_PCPU)).toBe(kernel.get("KSTATE_PCPU"));
  });

  it("lays out BootInfo the same way", () => {
    const k = kernelConstants("arch/bootinfo.ts");
    expect(k.get("BOOT_MAGIC")).toBe(BigInt(boot.BOOT_MAGIC));
    expect(k.get("BOOT_VERSION")).toBe(BigInt(boot.BOOT_VERSION));
    expect(k.get("BI_HEADER_SIZE")).toBe(BigInt(boot.BI_HEADER_SIZE));
    expect(k.get("MMAP_ENTRY_SIZE")).toBe(BigInt(boot.MMAP_ENTRY_SIZE));
    expect(k.get("MODULE_ENTRY_SIZE")).toBe(BigInt(boot.MODULE_ENTRY_SIZE));
    expect(k.get("BOOT_FLAG_DETERMINISTIC")).toBe(BigInt(boot.BOOT_FLAG_DETERMINISTIC));
    const regions: Record<string, boot.RegionType> = {
      REGION_USABLE: boot.RegionType.Usable,
      REGION_RESERVED: boot.RegionType.Reserved,
      REGION_BOOTINFO: boot.RegionType.BootInfo,
      REGION_KERNEL_DATA: boot.RegionType.KernelData,
      REGION_VGA: boot.RegionType.Vga,
      REGION_ROM: boot.RegionType.Rom,
      REGION_KERNEL_IMAGE: boot.RegionType.KernelImage,
      REGION_MODULE: boot.RegionType.Module,
    };
    for (const [name, value] of Object.entries(regions)) expect(k.get(name), name).toBe(BigInt(value));
  });
});

describe("the boot memory map", () => {
  const input: boot.BootInfoInput = {
    ramBytes: 32 * 1024 * 1024,
    kernelEnd: 0x123456,
    cmdline: "console=uart",
    modules: [{ name: "disk", kind: 1, data: new Uint8Array(5000).fill(7) }],
    deterministic: true,
    nsPerWork: 10,
    vcpus: 1,
    wallclockMs: 0,
  };

  it("covers RAM exactly once, in order, with page-aligned regions", () => {
    const { regions } = boot.planMemory(input);
    let next = 0;
    for (const r of regions) {
      expect(r.base).toBe(next);
      expect(r.base % hw.PAGE_SIZE).toBe(0);
      expect(r.length % hw.PAGE_SIZE).toBe(0);
      next = r.base + r.length;
    }
    expect(next).toBe(input.ramBytes);
  });

  it("places modules after the kernel image and writes their bytes there", () => {
    const ram = new ArrayBuffer(input.ramBytes);
    const layout = boot.writeBootInfo(ram, input);
    const placed = layout.modules[0]!;
    expect(placed.base).toBe(0x124000);
    expect(new Uint8Array(ram, placed.base, 5000).every((b) => b === 7)).toBe(true);
    const view = new DataView(ram);
    expect(view.getUint32(hw.BOOTINFO_BASE, true)).toBe(boot.BOOT_MAGIC);
    expect(view.getUint32(hw.BOOTINFO_BASE + 0x3c, true)).toBe(0x124000);
  });

  it("refuses RAM too small for the kernel and its modules", () => {
    expect(() => boot.planMemory({ ...input, ramBytes: 4 * 1024 * 1024 })).toThrow(boot.BootInfoError);
  });
});
