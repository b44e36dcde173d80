// The monitor's `pt` demonstration: builds a small Sv48 address space with
// every page size, shows its regions, walks one virtual address level by
// level, and tears everything down again (checking nothing leaked).
// Relies on: mm/pagetable, mm/frames, lib/print.

import {
  ptCreate, ptMap, ptWalk, ptDestroy, ptTranslate, ptCountTables, PT_WALK_RECORD, PT_WALK_OUT_SIZE, PT_OK,
  PT_ERR_NONCANONICAL, PT_NO_MAPPING,
} from "./pagetable";
import { frameAlloc, frameFree, framesFreeTotal, KIND_USER } from "./frames";
import {
  PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D, PAGE_4K, PAGE_2M, PAGE_1G, pteIsLeaf, pteToPa,
} from "../machine/sv48";
import { KSTATE_SCRATCH } from "../lib/layout";
import { emit, printStr, printLine, printDec, printHex0x, printSize } from "../lib/print";

const DEMO_REGIONS: i32 = 5;
const WALK_OUT: usize = KSTATE_SCRATCH + 0x1000;
const ORDER_2M: u32 = 9;

const TEXT_VA: u64 = 0x40_0000;
const DATA_VA: u64 = 0x40_1000;
const HEAP_VA: u64 = 0x4000_0000;      // one 2 MiB superpage
const WINDOW_VA: u64 = 0x40_0000_0000; // one 1 GiB page over physical 0 (supervisor only)
const STACK_VA: u64 = 0x7FFF_FFFF_F000;

const USER_RX: u64 = PTE_R | PTE_X | PTE_U | PTE_A;
const USER_RW: u64 = PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
const KERNEL_R: u64 = PTE_R | PTE_G | PTE_A;

function regionVa(i: i32): u64 {
  return i == 0 ? TEXT_VA : i == 1 ? DATA_VA : i == 2 ? HEAP_VA : i == 3 ? WINDOW_VA : STACK_VA;
}
function regionSize(i: i32): u64 { return i == 2 ? PAGE_2M : i == 3 ? PAGE_1G : PAGE_4K; }
function regionFlags(i: i32): u64 { return i == 0 ? USER_RX : i == 3 ? KERNEL_R : USER_RW; }
function regionName(i: i32): string {
  return i == 0 ? "text" : i == 1 ? "data" : i == 2 ? "heap (2 MiB superpage)" : i == 3 ? "kernel window onto physical 0 (1 GiB page)" : "stack";
}
/** Frames to back a region: the 1 GiB window maps existing RAM, the rest own frames. */
function regionOrder(i: i32): i32 { return i == 2 ? <i32>ORDER_2M : i == 3 ? -1 : 0; }

export function printPteFlags(pte: u64): void {
  printStr((pte & PTE_V) != 0 ? "V" : "-");
  printStr((pte & PTE_R) != 0 ? "R" : "-");
  printStr((pte & PTE_W) != 0 ? "W" : "-");
  printStr((pte & PTE_X) != 0 ? "X" : "-");
  printStr((pte & PTE_U) != 0 ? "U" : "-");
  printStr((pte & PTE_G) != 0 ? "G" : "-");
  printStr((pte & PTE_A) != 0 ? "A" : "-");
  printStr((pte & PTE_D) != 0 ? "D" : "-");
}

/** Builds the demo space, shows it and the walk of `va`, and frees it all. */
export function showDemoWalk(va: u64): void {
  const freeBefore = framesFreeTotal();
  const root = ptCreate();
  if (root == 0) { printLine("pt: out of memory for the root table"); return; }
  const frames = KSTATE_SCRATCH; // u32 pa per region, 0 = none
  let ok = true;
  for (let i = 0; i < DEMO_REGIONS; i++) {
    const order = regionOrder(i);
    let pa: usize = 0;
    if (order >= 0) {
      pa = frameAlloc(<u32>order, KIND_USER);
      if (pa == 0) { ok = false; store<u32>(frames + <usize>i * 4, 0); continue; }
    }
    store<u32>(frames + <usize>i * 4, <u32>pa);
    const r = ptMap(root, regionVa(i), pa, regionSize(i), regionFlags(i));
    if (r != PT_OK) ok = false;
  }
  if (!ok) printLine("pt: some demo regions could not be built (out of memory)");

  printStr("Demo address space, root table at ");
  printHex0x(<u64>root, 8);
  printStr(", ");
  printDec(<u64>ptCountTables(root));
  printLine(" table pages:");
  for (let i = 0; i < DEMO_REGIONS; i++) {
    printStr("  ");
    printHex0x(regionVa(i), 12);
    printStr("  ");
    printSize(regionSize(i));
    printStr("  ");
    printPteFlags(regionFlags(i) | PTE_V);
    printStr("  ");
    printLine(regionName(i));
  }

  printStr("Walk of ");
  printHex0x(va, 12);
  printLine(" (Sv48: 4 levels of 512 entries, 9 bits of VPN each):");
  const leaf = ptWalk(root, va, WALK_OUT);
  if (leaf == PT_ERR_NONCANONICAL) {
    printLine("  not canonical: bits 63..47 must all equal bit 47, so any access faults");
  } else {
    for (let i: usize = 0; i < PT_WALK_OUT_SIZE / PT_WALK_RECORD; i++) {
      const rec = WALK_OUT + i * PT_WALK_RECORD;
      const table = load<u32>(rec);
      if (table == 0) break;
      const level = 3 - <i32>i;
      const pte = load<u64>(rec, 8);
      printStr("  level ");
      printDec(<u64>level);
      printStr("  table ");
      printHex0x(<u64>table, 8);
      printStr(" [");
      printDec(<u64>load<u32>(rec, 4), 3);
      printStr("]  pte ");
      printHex0x(pte, 16);
      printStr("  ");
      printPteFlags(pte);
      if ((pte & PTE_V) == 0) printLine("  invalid: the walk stops (page fault)");
      else if (pteIsLeaf(pte)) {
        printStr("  leaf: ");
        printSize(level == 2 ? PAGE_1G : level == 1 ? PAGE_2M : PAGE_4K);
        printStr(" page at ");
        printHex0x(pteToPa(pte), 8);
        emit(0x0A);
      } else {
        printStr("  -> next table ");
        printHex0x(pteToPa(pte), 8);
        emit(0x0A);
      }
    }
    const pa = ptTranslate(root, va);
    if (pa == PT_NO_MAPPING) printLine("  => not mapped");
    else {
      printStr("  => physical ");
      printHex0x(pa, 8);
      emit(0x0A);
    }
  }

  ptDestroy(root);
  for (let i = 0; i < DEMO_REGIONS; i++) {
    const pa = load<u32>(frames + <usize>i * 4);
    if (pa != 0) frameFree(pa, <u32>regionOrder(i));
  }
  const freeAfter = framesFreeTotal();
  printStr("Torn down: ");
  if (freeAfter == freeBefore) printLine("every table and frame returned.");
  else {
    printStr("LEAK: ");
    printDec(<u64>(freeBefore - freeAfter));
    printLine(" frames not returned");
  }
}

