// Writes the BootInfo record (docs/boot.md) into guest RAM before the
// kernel's entry is called. Mirrors kernel-as/src/arch/bootinfo.ts.

import {
  BOOTINFO_BASE, BOOTINFO_LIMIT, CONTROL_BLOCK, KERNEL_IMAGE, KSTATE_BASE, PAGE_SIZE, ROM_BASE, VGA_WINDOW,
} from "./hw.js";

export const BOOT_MAGIC = 0x4c45454b; // "KEEL"
export const BOOT_VERSION = 1;
export const BI_HEADER_SIZE = 0x50;
export const MMAP_ENTRY_SIZE = 24;
export const MODULE_ENTRY_SIZE = 32;
export const BOOT_FLAG_DETERMINISTIC = 1;

export enum RegionType {
  Usable = 1,
  Reserved = 2,
  BootInfo = 3,
  KernelData = 4,
  Vga = 5,
  Rom = 6,
  KernelImage = 7,
  Module = 8,
}

export interface Region {
  base: number;
  length: number;
  type: RegionType;
}

/** Boot module kinds (kernel-as/src/arch/bootinfo.ts MODULE_KIND_*). */
export const BOOT_MODULE_BOOTFS = 1;

export interface BootModule {
  name: string;
  kind: number;
  data: Uint8Array;
}

export interface BootInfoInput {
  ramBytes: number;
  /** First byte past the kernel's static data (asc's __heap_base). */
  kernelEnd: number;
  cmdline: string;
  modules: BootModule[];
  deterministic: boolean;
  nsPerWork: number;
  vcpus: number;
  wallclockMs: number;
  screenCols?: number;
  screenRows?: number;
}

export interface BootLayout {
  regions: Region[];
  /** Where each module was placed in RAM. */
  modules: { name: string; base: number; length: number }[];
  kernelImageEnd: number;
}

export class BootInfoError extends Error {}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Plans the physical memory map: fixed low regions, the kernel image, the
 *  boot modules right after it, and everything above as usable RAM. */
export function planMemory(input: BootInfoInput): BootLayout {
  const kernelImageEnd = alignUp(Math.max(input.kernelEnd, KERNEL_IMAGE), PAGE_SIZE);
  const regions: Region[] = [
    { base: 0, length: CONTROL_BLOCK, type: RegionType.Reserved },
    { base: CONTROL_BLOCK, length: BOOTINFO_LIMIT - CONTROL_BLOCK, type: RegionType.BootInfo },
    { base: KSTATE_BASE, length: VGA_WINDOW - KSTATE_BASE, type: RegionType.KernelData },
    { base: VGA_WINDOW, length: ROM_BASE - VGA_WINDOW, type: RegionType.Vga },
    { base: ROM_BASE, length: KERNEL_IMAGE - ROM_BASE, type: RegionType.Rom },
    { base: KERNEL_IMAGE, length: kernelImageEnd - KERNEL_IMAGE, type: RegionType.KernelImage },
  ];
  let cursor = kernelImageEnd;
  const modules: BootLayout["modules"] = [];
  for (const m of input.modules) {
    const length = alignUp(Math.max(m.data.length, 1), PAGE_SIZE);
    modules.push({ name: m.name, base: cursor, length: m.data.length });
    regions.push({ base: cursor, length, type: RegionType.Module });
    cursor += length;
  }
  if (cursor + 4 * 1024 * 1024 > input.ramBytes) {
    throw new BootInfoError(
      `RAM of ${input.ramBytes} bytes is too small: the kernel and boot modules end at ${cursor} and at least 4 MiB must remain`,
    );
  }
  regions.push({ base: cursor, length: input.ramBytes - cursor, type: RegionType.Usable });
  return { regions, modules, kernelImageEnd };
}

/** Writes BootInfo and the boot modules into `ram`; returns the layout used. */
export function writeBootInfo(ram: ArrayBuffer, input: BootInfoInput): BootLayout {
  const layout = planMemory(input);
  const bytes = new Uint8Array(ram);
  const view = new DataView(ram);
  bytes.fill(0, BOOTINFO_BASE, BOOTINFO_LIMIT);

  const enc = new TextEncoder();
  let off = BI_HEADER_SIZE; // offsets are relative to BOOTINFO_BASE
  const put = (n: number): number => {
    const at = off;
    off += n;
    if (BOOTINFO_BASE + off > BOOTINFO_LIMIT) throw new BootInfoError("BootInfo does not fit below 0x10000");
    return at;
  };

  const mmapOff = put(layout.regions.length * MMAP_ENTRY_SIZE);
  layout.regions.forEach((r, i) => {
    const e = BOOTINFO_BASE + mmapOff + i * MMAP_ENTRY_SIZE;
    view.setBigUint64(e, BigInt(r.base), true);
    view.setBigUint64(e + 8, BigInt(r.length), true);
    view.setUint32(e + 16, r.type, true);
  });

  const cmd = enc.encode(input.cmdline);
  const cmdOff = put(cmd.length + 1);
  bytes.set(cmd, BOOTINFO_BASE + cmdOff);

  const modOff = put(input.modules.length * MODULE_ENTRY_SIZE);
  input.modules.forEach((m, i) => {
    const placed = layout.modules[i]!;
    const name = enc.encode(m.name);
    const nameOff = put(name.length + 1);
    bytes.set(name, BOOTINFO_BASE + nameOff);
    const e = BOOTINFO_BASE + modOff + i * MODULE_ENTRY_SIZE;
    view.setBigUint64(e, BigInt(placed.base), true);
    view.setBigUint64(e + 8, BigInt(placed.length), true);
    view.setUint32(e + 16, nameOff, true);
    view.setUint32(e + 20, name.length, true);
    view.setUint32(e + 24, m.kind, true);
    bytes.set(m.data, placed.base);
  });

  const h = BOOTINFO_BASE;
  view.setUint32(h + 0x00, BOOT_MAGIC, true);
  view.setUint32(h + 0x04, BOOT_VERSION, true);
  view.setUint32(h + 0x08, off, true);
  view.setUint32(h + 0x0c, input.deterministic ? BOOT_FLAG_DETERMINISTIC : 0, true);
  view.setBigUint64(h + 0x10, BigInt(input.ramBytes), true);
  view.setUint32(h + 0x18, mmapOff, true);
  view.setUint32(h + 0x1c, layout.regions.length, true);
  view.setUint32(h + 0x20, cmdOff, true);
  view.setUint32(h + 0x24, cmd.length, true);
  view.setUint32(h + 0x28, modOff, true);
  view.setUint32(h + 0x2c, input.modules.length, true);
  view.setUint16(h + 0x30, input.screenCols ?? 80, true);
  view.setUint16(h + 0x32, input.screenRows ?? 25, true);
  view.setUint32(h + 0x34, input.vcpus, true);
  view.setUint32(h + 0x38, KERNEL_IMAGE, true);
  view.setUint32(h + 0x3c, layout.kernelImageEnd, true);
  view.setBigUint64(h + 0x40, BigInt(Math.floor(input.wallclockMs)), true);
  view.setUint32(h + 0x48, input.nsPerWork, true);
  return layout;
}
