// Damage found in what the disk holds: the one place that reports it and
// contains it. Layer: fs, above log.ts (it makes the file system read-only
// through the log), below inode.ts, dir.ts and check.ts, which find it.
// State: FS_STATE_DAMAGE (a count of reports).
//
// Rule: the kernel never turns metadata damage into more damage. Code that
// meets a structure breaking the format (a block number outside the data
// area, a block in use that the bitmap marks free, an unknown inode type, a
// directory entry naming nothing) calls damageBegin, prints what it found,
// then damageEnd. That logs one error line, abandons the open transaction
// (nothing built on the bad structure is committed) and makes the file
// system read-only: every later transaction is refused (FS_ERR_READONLY),
// reads go on. The operation that met the damage fails with FS_ERR_CORRUPT.

import { logAbort, logSetReadOnly, logReadOnly } from "./log";
import { logBegin as klogBegin, logEnd as klogEnd, LOG_ERROR } from "../lib/log";
import { printStr } from "../lib/print";
import { FS_STATE_DAMAGE } from "./fsstate";

@unmanaged class DamageState {
  /** Damage reports since mount. */
  reports: u32;
}
// @ts-ignore: decorator
@inline function state(): DamageState { return changetype<DamageState>(FS_STATE_DAMAGE); }

/** Forgets earlier reports (at mount). */
export function damageReset(): void { state().reports = 0; }

/** Starts the log line of a damage report: the caller prints what it found. */
export function damageBegin(): void {
  klogBegin(LOG_ERROR);
  printStr("fs: damage: ");
}

/** Ends the report, abandons the open transaction and makes the file system read-only. */
export function damageEnd(): void {
  if (!logReadOnly()) printStr("; the file system is read-only from now on (fsck --repair can mend the disk)");
  klogEnd();
  state().reports++;
  logAbort();
  logSetReadOnly(true);
}

/** Damage reports since mount (0: none found). */
export function damageReports(): u32 { return state().reports; }
