// Where the file system keeps its global state: the 4 KiB record at
// KSTATE_FS (lib/layout.ts), split into one fixed sub-record per layer so
// each module owns its own part and touches no other. Larger tables (buffer
// headers, the inode cache, the log's scratch pages) live in frames that the
// owning layer allocates at mount; their addresses are kept here.
//
//   +0x000  dev/blk.ts     block driver: ring, producer index, capacity
//   +0x100  fs/bcache.ts   block cache: header table, LRU list, counters
//   +0x200  fs/log.ts      write-ahead log: geometry, open transaction
//   +0x300  fs/inode.ts    inode cache and the superblock's geometry
//   +0x400  fs/fsops.ts    mount state
//   +0x500  fs/damage.ts   damage reports
//   +0x600  fs/check.ts    the mount-time check's scratch
//   +0x700 .. 0x7FF        free
//   +0x800  fs/crc32c.ts   the CRC32C table (256 u32, 1 KiB)
//   +0xC00 .. 0xFFF        free

import { KSTATE_FS } from "../lib/layout";

export { KSTATE_FS };

export const FS_STATE_BLK: usize = KSTATE_FS + 0x000;
export const FS_STATE_BCACHE: usize = KSTATE_FS + 0x100;
export const FS_STATE_LOG: usize = KSTATE_FS + 0x200;
export const FS_STATE_INODE: usize = KSTATE_FS + 0x300;
export const FS_STATE_OPS: usize = KSTATE_FS + 0x400;
export const FS_STATE_DAMAGE: usize = KSTATE_FS + 0x500;
export const FS_STATE_CHECK: usize = KSTATE_FS + 0x600;
export const FS_STATE_CRC: usize = KSTATE_FS + 0x800;
/** Each sub-record is at most this many bytes. */
export const FS_STATE_SLOT: usize = 0x100;

// ---- Result codes shared by every file-system layer ---------------------------
// Negative; a count or an inode handle is >= 0 / > 0. The block driver's own
// codes (BLK_ERR_*, dev/blk.ts) map onto FS_ERR_IO / FS_ERR_NODISK.

export const FS_OK: i32 = 0;
/** No block device attached (magic missing). */
export const FS_ERR_NODISK: i32 = -1;
/** The device reported an error, or its power was cut. */
export const FS_ERR_IO: i32 = -2;
/** The superblock is missing, of another version, or its geometry is impossible. */
export const FS_ERR_CORRUPT: i32 = -3;
/** Every cache buffer is pinned. */
export const FS_ERR_NOBUF: i32 = -4;
/** The transaction would not fit in the log (refused; nothing was written). */
export const FS_ERR_TXN_TOO_BIG: i32 = -5;
/** No free data block on the disk. */
export const FS_ERR_NOSPACE: i32 = -6;
/** No free inode on the disk. */
export const FS_ERR_NOINODES: i32 = -7;
/** Every in-memory inode record is referenced. */
export const FS_ERR_ICACHE_FULL: i32 = -8;
/** A path component does not exist. */
export const FS_ERR_NOTFOUND: i32 = -9;
/** A non-final path component, or the target, is not a directory. */
export const FS_ERR_NOTDIR: i32 = -10;
/** The name already exists. */
export const FS_ERR_EXISTS: i32 = -11;
/** The operation does not apply to a directory (link, write, open as file). */
export const FS_ERR_ISDIR: i32 = -12;
/** The directory is not empty (unlink). */
export const FS_ERR_NOTEMPTY: i32 = -13;
/** Bad argument: "." or ".." as the last component, an empty path, "/" as a name. */
export const FS_ERR_INVALID: i32 = -14;
/** The directory has reached the largest size a file can have. */
export const FS_ERR_DIRFULL: i32 = -15;
/** The write would take the file past its largest size (4 GiB - 1). */
export const FS_ERR_FILE_TOO_BIG: i32 = -16;
/** The inode's link count is at its maximum (u16). */
export const FS_ERR_TOO_MANY_LINKS: i32 = -17;
/** The file system is not mounted. */
export const FS_ERR_NOT_MOUNTED: i32 = -18;
/** fsMount was called twice. */
export const FS_ERR_MOUNTED: i32 = -19;
/** Not enough frames for the cache tables at mount. */
export const FS_ERR_NOMEM: i32 = -20;
/** An inode handle that names no referenced record. */
export const FS_ERR_BAD_HANDLE: i32 = -21;
/** A path is longer than FS_PATH_MAX bytes without a NUL. */
export const FS_ERR_NAMETOOLONG: i32 = -22;
/** The transaction was abandoned (logAbort); nothing was written. */
export const FS_ERR_ABORTED: i32 = -23;
/** The file system is mounted read-only (damage was found, or the command
 *  line asked for it): nothing may change the disk. */
export const FS_ERR_READONLY: i32 = -24;
