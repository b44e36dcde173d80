// Capability constants: rights bits, kernel object types, limits and every
// result code of the capability layer (cap/). Layer: cap, leaf module — it
// imports nothing, so system calls, the IPC layer and tests can name these
// values without pulling in the operations. docs/capabilities.md explains
// the model these constants belong to.

// ---- Rights (a 6-bit mask) ---------------------------------------------------

export const RIGHT_READ: u32 = 1 << 0;
export const RIGHT_WRITE: u32 = 1 << 1;
export const RIGHT_EXECUTE: u32 = 1 << 2;
/** Destructive operations on the object (unlink a name, kill a process).
 *  Deleting the capability itself needs no right. */
export const RIGHT_DELETE: u32 = 1 << 3;
/** The capability (or a child of it) may be placed in another cspace. */
export const RIGHT_GRANT: u32 = 1 << 4;
/** Children may be derived from the capability (capDerive, capCopy). */
export const RIGHT_DELEGATE: u32 = 1 << 5;
export const RIGHTS_ALL: u32 = 0x3F;

// ---- Kernel object types (ObjHeader.type) ----------------------------------------

export const KOBJ_NONE: u32 = 0;
export const KOBJ_FILE: u32 = 1;
export const KOBJ_DIRECTORY: u32 = 2;
export const KOBJ_PIPE_READ: u32 = 3;
export const KOBJ_PIPE_WRITE: u32 = 4;
export const KOBJ_CONSOLE: u32 = 5;
export const KOBJ_ENDPOINT: u32 = 6;
export const KOBJ_NOTIFICATION: u32 = 7;
export const KOBJ_MEMORY: u32 = 8;
export const KOBJ_PROCESS: u32 = 9;
export const KOBJ_CSPACE: u32 = 10;
/** A device (the NIC, dev/nic.ts): its driver's native calls need one. */
export const KOBJ_DEVICE: u32 = 11;
/** Types are 1 .. KOBJ_TYPE_COUNT - 1. */
export const KOBJ_TYPE_COUNT: u32 = 12;

// ---- Limits ------------------------------------------------------------------------

/** Slots per cspace. Slots 0 .. CAP_UNIX_SLOTS-1 are the Unix descriptors. */
export const CSPACE_SLOTS: u32 = 64;
export const CAP_UNIX_SLOTS: u32 = 16;
/** Longest chain from a root capability to a derived one (the root has depth
 *  0). Bounds every walk up the tree. */
export const CAP_MAX_DEPTH: u32 = 64;
/** Longest chain of parent and origin links (a capability reached through
 *  another, such as a file opened through a directory capability, counts
 *  one step to it). Bounds every walk along such chains. */
export const CAP_MAX_REACH: u32 = 256;
/** Destination slot meaning "the lowest free slot". */
export const CAP_SLOT_ANY: u32 = 0xFFFF_FFFF;
/** Expiry value meaning "never expires". */
export const CAP_NO_EXPIRY: u64 = 0;
/** capNextSlot() when no occupied slot is left. */
export const CAP_NO_SLOT: i32 = -1;

// ---- Result codes --------------------------------------------------------------------

export const CAP_OK: i32 = 0;
/** capDelete / cspaceDestroy: the deleted capability was the last one naming
 *  its object; the caller must now destroy the object. */
export const CAP_UNREFERENCED: i32 = 1;

/** capInit has not run. */
export const CAP_ERR_NOT_READY: i32 = -1;
/** Not a cspace (wrong magic, destroyed, or 0). */
export const CAP_ERR_BAD_CSPACE: i32 = -2;
/** Slot index outside 0 .. CSPACE_SLOTS-1. */
export const CAP_ERR_BAD_SLOT: i32 = -3;
/** The source slot holds no capability. */
export const CAP_ERR_EMPTY: i32 = -4;
/** The destination slot already holds a capability. */
export const CAP_ERR_OCCUPIED: i32 = -5;
/** CAP_SLOT_ANY was asked for and every slot is in use. */
export const CAP_ERR_CSPACE_FULL: i32 = -6;
/** The capability's expiry time has passed. */
export const CAP_ERR_EXPIRED: i32 = -7;
/** capLookup: the capability lacks a right the operation needs. */
export const CAP_ERR_NO_RIGHTS: i32 = -8;
/** Derive/copy from a capability without RIGHT_DELEGATE. */
export const CAP_ERR_NO_DELEGATE: i32 = -9;
/** Derive/copy/move into another cspace from a capability without RIGHT_GRANT. */
export const CAP_ERR_NO_GRANT: i32 = -10;
/** Derive asked for a right the source does not hold. */
export const CAP_ERR_RIGHTS_GROW: i32 = -11;
/** A rights mask with bits outside RIGHTS_ALL. */
export const CAP_ERR_BAD_RIGHTS: i32 = -12;
/** Derive asked for a badge on an already badged capability. */
export const CAP_ERR_REBADGE: i32 = -13;
/** Derive asked for an expiry that has already passed. */
export const CAP_ERR_BAD_EXPIRY: i32 = -14;
/** Derive would make the tree deeper than CAP_MAX_DEPTH. */
export const CAP_ERR_TOO_DEEP: i32 = -15;
/** The object has no valid header (objInit not run, or destroyed). */
export const CAP_ERR_BAD_OBJECT: i32 = -16;
/** The type is out of range or differs from the object header's. */
export const CAP_ERR_BAD_TYPE: i32 = -17;
/** No memory for a capability node or a cspace. */
export const CAP_ERR_NO_MEMORY: i32 = -18;
/** objRetire / objInit: the object still has capabilities naming it. */
export const CAP_ERR_BUSY: i32 = -19;

// ---- capCheck() results: the first invariant found broken ----------------------------------

export const CAP_CHECK_STATE: i32 = -101;   // state record damaged
export const CAP_CHECK_CSPACE: i32 = -102;  // cspace list broken, or a cspace's used count wrong
export const CAP_CHECK_SLOT: i32 = -103;    // a node's (cspace, slot) does not point back at it
export const CAP_CHECK_COUNT: i32 = -104;   // nodes in slots != nodes allocated
export const CAP_CHECK_LINK: i32 = -105;    // parent / child / sibling links disagree
export const CAP_CHECK_CYCLE: i32 = -106;   // a parent chain or child list does not end
export const CAP_CHECK_RIGHTS: i32 = -107;  // a child holds a right its parent lacks
export const CAP_CHECK_OBJECT: i32 = -108;  // bad object header, or a child names another object / type
export const CAP_CHECK_REFS: i32 = -109;    // object reference count != capabilities naming it
export const CAP_CHECK_EXPIRY: i32 = -110;  // a child outlives its parent
export const CAP_CHECK_BADGE: i32 = -111;   // a badged parent has a child with another badge
export const CAP_CHECK_DEPTH: i32 = -112;   // a node deeper than CAP_MAX_DEPTH
export const CAP_CHECK_ORIGIN: i32 = -113;  // an origin link to no placed node or from a non-root, or a wrong dependents count
