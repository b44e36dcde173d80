// The paravirtual block device (docs/fs-format.md, "Block device"): a disk
// of 4096-byte blocks behind seven 32-bit registers at BLOCK_BASE and a ring
// of 32-byte requests in guest RAM.
//
// The kernel fills ring slots and writes its producer index to DOORBELL. The
// device completes every ready request before that write returns, in order:
// each slot gets its status, COMPLETED advances, STATUS.interrupt is set and
// the interrupt line is pulsed (an edge the kernel acknowledges at the
// interrupt controller, and clears here by writing 1 to STATUS bit 1).
//
// Where it differs from a DMA disk: there is no latency and no reordering;
// the data moves straight between the backend and guest RAM. A request the
// device cannot honour gets an error status and never throws: bad input is
// the guest's mistake, answered in the slot. A doorbell the device cannot act
// on at all (no usable ring, or an index that claims more requests than the
// ring holds) is ignored: COMPLETED stays where it was, which the driver sees.
//
// The disk is a BlockBackend (host/disk/): memory, a file (Node), or a
// power-cut wrapper for crash tests. When a backend reports that the power
// is cut, the request in progress gets no status, nothing later is
// processed, and STATUS bit 2 reads 1.
//
// RAM is reached through a getter, never kept: the machine replaces it on
// reboot and growing it detaches the old buffer.

import { DeviceStateError, type Device, type IrqLine, type Width } from "../device.js";
import { BLOCK_BASE } from "../hw.js";

export { MemoryBackend } from "../disk/memory.js";
export { PowerCutBackend, type PowerCutOptions } from "../disk/power-cut.js";

// ---- registers (byte offsets from BLOCK_BASE) ----
export const BLK_MAGIC = 0x00;
export const BLK_CAPACITY = 0x04;
export const BLK_RING_BASE = 0x08;
export const BLK_RING_SLOTS = 0x0c;
export const BLK_DOORBELL = 0x10;
export const BLK_STATUS = 0x14;
export const BLK_COMPLETED = 0x18;
/** Bytes of port space the device claims (MAGIC..COMPLETED). */
export const BLOCK_PORT_COUNT = BLK_COMPLETED + 4;

export const BLK_MAGIC_VALUE = 0x4b4c424b; // "KBLK" read as a little-endian u32
export const BLK_STATUS_READY = 1 << 0;
export const BLK_STATUS_INTERRUPT = 1 << 1;
export const BLK_STATUS_POWERED_OFF = 1 << 2;

export const BLOCK_SIZE = 4096;
export const BLK_RING_ALIGN = 4096;
export const BLK_MAX_SLOTS = 256;
/** Data buffers must be aligned to this many bytes (a u64). */
export const BLK_BUFFER_ALIGN = 8;

// ---- a request slot ----
export const REQ_SIZE = 32;
export const REQ_OP = 0;
export const REQ_STATUS = 4;
export const REQ_BLOCK = 8;
export const REQ_BUFFER = 16;
export const REQ_COUNT = 24;
export const REQ_RESERVED = 28;

export const OP_READ = 1;
export const OP_WRITE = 2;
export const OP_FLUSH = 3;

export const REQ_PENDING = 0;
export const REQ_DONE = 1;
export const REQ_IO_ERROR = 2;
export const REQ_OUT_OF_RANGE = 3;
export const REQ_BAD = 4;

const TWO_32 = 0x1_0000_0000;

/** Where the disk's blocks live. All calls are synchronous. */
export interface BlockBackend {
  /** Disk size in 4096-byte blocks. */
  readonly blocks: number;
  /** Fills `dst` (a whole number of blocks) from `block` onward. Missing data reads as zeros. */
  read(block: number, dst: Uint8Array): void;
  /** Writes `src` (a whole number of blocks) from `block` onward; durable when it returns. */
  write(block: number, src: Uint8Array): void;
  /** Makes every completed write durable, or (a backend that batches its
   *  syncs) notes that they must be made durable at the next settle(). */
  flush(): void;
  /** Called by the machine after each runFor() (and by the runner before it
   *  exits): performs the syncs flush() deferred. Optional. */
  settle?(): void;
  /** True once the power has been cut (crash tests): the device processes nothing more. */
  readonly poweredOff?: boolean;
}

export interface BlockDeviceOptions {
  /** Current guest RAM; a getter because RAM is replaced on grow and reboot. */
  memory: () => ArrayBufferLike;
  irq: IrqLine;
  /** The disk; null or absent means no disk attached (MAGIC reads 0). */
  backend?: BlockBackend | null;
}

export interface BlockDeviceState {
  ringBase: number;
  ringSlots: number;
  /** The last producer index the kernel rang. */
  doorbell: number;
  completed: number;
  interrupt: boolean;
  poweredOff: boolean;
}

export class BlockDevice implements Device {
  readonly name = "block";
  readonly ports = { base: BLOCK_BASE, count: BLOCK_PORT_COUNT };

  private backend: BlockBackend | null;
  private ringBase = 0;
  private ringSlots = 0;
  private doorbell = 0;
  private completed = 0;
  private interrupt = false;
  /** Set when a backend reported a power cut (or powerOff() was called); only a reset clears it. */
  private poweredOff = false;
  /** Doorbells ignored because the ring was unusable or the index impossible (for tests and debugging). */
  ignoredDoorbells = 0;

  constructor(private readonly opts: BlockDeviceOptions) {
    this.backend = opts.backend ?? null;
  }

  // ---- host side ----

  /** Plugs in another disk (or none). Register state is kept. */
  attach(backend: BlockBackend | null): void {
    this.backend = backend;
  }

  get disk(): BlockBackend | null {
    return this.backend;
  }

  /** Cuts the power from the host side: nothing more is processed until reset. */
  powerOff(): void {
    this.poweredOff = true;
  }

  isPoweredOff(): boolean {
    return this.poweredOff || this.backend?.poweredOff === true;
  }

  // ---- guest side ----

  read(port: number, _width: Width): number {
    switch (port - BLOCK_BASE) {
      case BLK_MAGIC: return this.backend ? BLK_MAGIC_VALUE : 0;
      case BLK_CAPACITY: return this.backend ? this.backend.blocks >>> 0 : 0;
      case BLK_RING_BASE: return this.ringBase;
      case BLK_RING_SLOTS: return this.ringSlots;
      case BLK_DOORBELL: return 0; // write-only
      case BLK_STATUS: return this.status();
      case BLK_COMPLETED: return this.completed;
      default: return 0;
    }
  }

  write(port: number, _width: Width, value: number): void {
    const v = value >>> 0;
    switch (port - BLOCK_BASE) {
      case BLK_RING_BASE:
        this.ringBase = v - (v % BLK_RING_ALIGN); // the low bits are not stored, as in an address register
        break;
      case BLK_RING_SLOTS:
        if (isValidSlotCount(v)) this.ringSlots = v; // an impossible size is ignored
        break;
      case BLK_DOORBELL:
        this.ring(v);
        break;
      case BLK_STATUS:
        if (v & BLK_STATUS_INTERRUPT) this.interrupt = false;
        break;
      default:
        break; // read-only registers ignore writes
    }
  }

  reset(): void {
    this.ringBase = 0;
    this.ringSlots = 0;
    this.doorbell = 0;
    this.completed = 0;
    this.interrupt = false;
    this.poweredOff = false;
    this.ignoredDoorbells = 0;
  }

  save(): BlockDeviceState {
    return {
      ringBase: this.ringBase,
      ringSlots: this.ringSlots,
      doorbell: this.doorbell,
      completed: this.completed,
      interrupt: this.interrupt,
      poweredOff: this.poweredOff,
    };
  }

  restore(state: unknown): void {
    const s = state as Partial<BlockDeviceState> | null;
    if (typeof s !== "object" || s === null) throw new DeviceStateError("block: state is not an object");
    for (const key of ["ringBase", "ringSlots", "doorbell", "completed"] as const) {
      const v = s[key];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= TWO_32) {
        throw new DeviceStateError(`block: ${key} must be a u32`);
      }
    }
    if (typeof s.interrupt !== "boolean" || typeof s.poweredOff !== "boolean") {
      throw new DeviceStateError("block: interrupt/poweredOff must be booleans");
    }
    if ((s.ringBase as number) % BLK_RING_ALIGN !== 0) throw new DeviceStateError("block: ringBase must be 4096-aligned");
    if (s.ringSlots !== 0 && !isValidSlotCount(s.ringSlots as number)) {
      throw new DeviceStateError("block: ringSlots must be 0 or a power of two up to 256");
    }
    this.ringBase = s.ringBase as number;
    this.ringSlots = s.ringSlots as number;
    this.doorbell = s.doorbell as number;
    this.completed = s.completed as number;
    this.interrupt = s.interrupt;
    this.poweredOff = s.poweredOff;
  }

  // ---- request processing ----

  private status(): number {
    let status = 0;
    if (this.backend && !this.isPoweredOff()) status |= BLK_STATUS_READY;
    if (this.interrupt) status |= BLK_STATUS_INTERRUPT;
    if (this.isPoweredOff()) status |= BLK_STATUS_POWERED_OFF;
    return status;
  }

  /** The doorbell: completes requests completed..producer-1, then interrupts once. */
  private ring(producer: number): void {
    if (this.isPoweredOff()) return;
    const ready = (producer - this.completed) >>> 0;
    const ram = this.opts.memory();
    const ringBytes = this.ringSlots * REQ_SIZE;
    if (this.ringSlots === 0 || ready > this.ringSlots || this.ringBase + ringBytes > ram.byteLength) {
      this.ignoredDoorbells++;
      return;
    }
    this.doorbell = producer;
    if (ready === 0) return;
    const view = new DataView(ram);
    for (let i = 0; i < ready; i++) {
      const slot = this.ringBase + (this.completed % this.ringSlots) * REQ_SIZE;
      const status = this.perform(view, ram, slot);
      if (this.isPoweredOff()) {
        this.poweredOff = true; // the request in progress is dropped with everything after it
        return;
      }
      view.setUint32(slot + REQ_STATUS, status, true);
      this.completed = (this.completed + 1) >>> 0;
    }
    this.interrupt = true;
    this.opts.irq.pulse();
  }

  /** Decodes one slot and, if it is sound, performs it. Returns the slot's status. */
  private perform(view: DataView, ram: ArrayBufferLike, slot: number): number {
    const backend = this.backend;
    if (!backend) return REQ_IO_ERROR;
    const op = view.getUint32(slot + REQ_OP, true);
    if (op === OP_FLUSH) return attempt(() => backend.flush());
    if (op !== OP_READ && op !== OP_WRITE) return REQ_BAD;

    const count = view.getUint32(slot + REQ_COUNT, true);
    const blockLo = view.getUint32(slot + REQ_BLOCK, true);
    const blockHi = view.getUint32(slot + REQ_BLOCK + 4, true);
    const bufferLo = view.getUint32(slot + REQ_BUFFER, true);
    const bufferHi = view.getUint32(slot + REQ_BUFFER + 4, true);
    if (count === 0) return REQ_BAD;
    const bytes = count * BLOCK_SIZE;
    if (bufferHi !== 0 || bufferLo % BLK_BUFFER_ALIGN !== 0 || bufferLo + bytes > ram.byteLength) return REQ_BAD;
    if (blockHi !== 0 || blockLo + count > backend.blocks) return REQ_OUT_OF_RANGE;

    const data = new Uint8Array(ram, bufferLo, bytes);
    return attempt(() => (op === OP_READ ? backend.read(blockLo, data) : backend.write(blockLo, data)));
  }
}

function isValidSlotCount(n: number): boolean {
  return n >= 1 && n <= BLK_MAX_SLOTS && (n & (n - 1)) === 0;
}

/** Runs a backend call; a backend that throws is an I/O error, never the guest's crash. */
function attempt(io: () => void): number {
  try {
    io();
    return REQ_DONE;
  } catch {
    return REQ_IO_ERROR;
  }
}
