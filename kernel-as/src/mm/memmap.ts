// Names for the boot memory map's region types and the frame allocator's
// kinds, for the monitor and logs.

import {
  REGION_USABLE, REGION_RESERVED, REGION_BOOTINFO, REGION_KERNEL_DATA, REGION_VGA, REGION_ROM,
  REGION_KERNEL_IMAGE, REGION_MODULE,
} from "../arch/bootinfo";
import {
  KIND_FREE, KIND_RESERVED, KIND_KERNEL, KIND_PAGETABLE, KIND_USER, KIND_FILECACHE, KIND_FRAMETABLE, KIND_SLAB,
  KIND_PROCTABLE, KIND_PIPE, KIND_HART, KIND_FSTABLE, KIND_EXEC, KIND_KMALLOC, KIND_DEVICE,
} from "./frames";

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

/** What frames of a kind (mm/frames.ts KIND_*) hold; the inspect export's
 *  readers (host/inspect.ts) use the same words. */
export function frameKindName(kind: u32): string {
  switch (kind) {
    case KIND_FREE: return "free";
    case KIND_RESERVED: return "reserved";
    case KIND_KERNEL: return "kernel (other)";
    case KIND_PAGETABLE: return "page tables";
    case KIND_USER: return "user memory";
    case KIND_FILECACHE: return "block cache";
    case KIND_FRAMETABLE: return "frame table";
    case KIND_SLAB: return "slab caches";
    case KIND_PROCTABLE: return "process table";
    case KIND_PIPE: return "pipe buffers";
    case KIND_HART: return "hart TLB and code cache";
    case KIND_FSTABLE: return "file-system tables";
    case KIND_EXEC: return "exec file buffers";
    case KIND_KMALLOC: return "kmalloc large";
    case KIND_DEVICE: return "device rings";
    default: return "unknown";
  }
}
