// Names for the boot memory map's region types, for the monitor and logs.

import {
  REGION_USABLE, REGION_RESERVED, REGION_BOOTINFO, REGION_KERNEL_DATA, REGION_VGA, REGION_ROM,
  REGION_KERNEL_IMAGE, REGION_MODULE,
} from "../arch/bootinfo";

export function regionTypeName(type: u32): string {
  switch (type) {
    case REGION_USABLE: return "usable";
    case REGION_RESERVED: return "reserved";
    case REGION_BOOTINFO: return "boot info and host mailbox";
    case REGION_KERNEL_DATA: return "kernel state and log";
    case REGION_VGA: return "VGA (text buffer at 0xb8000)";
    case REGION_ROM: return "ROM (reserved)";
    case REGION_KERNEL_IMAGE: return "kernel image";
    case REGION_MODULE: return "boot module";
    default: return "unknown";
  }
}
