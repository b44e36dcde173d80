// Files the host hands the running system (the page's "Import file"): the
// host queues them and raises CB_IMPORTS; the kernel pulls each one through
// the HV_IMPORT_* hypercalls into its root directory, one transaction per
// chunk like any write, and logs it.
// Relies on: arch/imports (hypercalls), fs/fsops, lib/log.

import { hypercall } from "../arch/imports";
import { HV_IMPORT_INFO, HV_IMPORT_READ, HV_IMPORT_DONE, IMPORT_NAME_MAX } from "../arch/hw";
import { CONTROL_BLOCK, CB_IMPORTS, SCRATCH_IO, SCRATCH_IO_SIZE, SCRATCH_PATH } from "../lib/layout";
import { fsMounted, fsCreate, fsTruncate, fsWrite } from "../fs/fsops";
import { iput, ROOT_INUM, FS_T_FILE } from "../fs/inode";
import { logBegin, logEnd, LOG_INFO, LOG_WARN } from "../lib/log";
import { printStr, printDec, printBytes } from "../lib/print";
import { chargeWork } from "../lib/kstate";

const INFO: usize = SCRATCH_PATH + 0x200; // IMPORT_INFO record
const IMPORT_OK: u32 = 0;
const IMPORT_FAILED: u32 = 0xFFFF_FFFF; // -1
/** Work charged per imported byte chunk (deterministic time moves). */
const IMPORT_WORK_PER_CHUNK: u32 = 1000;

export function importsPending(): bool { return load<u32>(CONTROL_BLOCK + CB_IMPORTS) != 0; }

/** Takes every queued file. */
export function importFiles(): void {
  while (hypercall(HV_IMPORT_INFO, <u32>INFO, 0, 0) == 1) {
    const size = load<u32>(INFO);
    const nameLen = min<u32>(load<u32>(INFO + 4), IMPORT_NAME_MAX);
    const path = SCRATCH_PATH;
    store<u8>(path, 0x2F);
    memory.copy(path + 1, INFO + 8, nameLen);
    store<u8>(path + 1 + nameLen, 0);
    const ok = fsMounted() && importOne(path, size);
    hypercall(HV_IMPORT_DONE, ok ? IMPORT_OK : IMPORT_FAILED, 0, 0);
    logBegin(ok ? LOG_INFO : LOG_WARN);
    printStr("import: ");
    printBytes(path, <usize>nameLen + 1);
    printStr(" (");
    printDec(<u64>size);
    printStr(ok ? " bytes)" : " bytes) failed: no writable disk, or it is full");
    logEnd();
  }
}

function importOne(path: usize, size: u32): bool {
  const ip = fsCreate(path, ROOT_INUM, FS_T_FILE, 0, 0);
  if (ip < 0) return false;
  let ok = fsTruncate(ip) >= 0;
  let off: u32 = 0;
  while (ok && off < size) {
    const n = hypercall(HV_IMPORT_READ, <u32>SCRATCH_IO, off, <u32>SCRATCH_IO_SIZE);
    if (n <= 0) { ok = false; break; }
    chargeWork(IMPORT_WORK_PER_CHUNK);
    ok = fsWrite(ip, SCRATCH_IO, off, <u32>n) == n;
    off += <u32>n;
  }
  iput(ip);
  return ok;
}
