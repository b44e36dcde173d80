// The block device's backend, the shape host/devices/block.ts gives it: whole
// 4096-byte blocks, synchronous, because the device completes every request
// before the kernel's doorbell write returns (docs/fs-format.md).

export interface BlockBackend {
  /** Disk size in blocks. */
  readonly blocks: number;
  /** Fills `dst` (count × 4096 bytes) from `block` on. */
  read(block: number, dst: Uint8Array): void;
  /** Writes `src` (count × 4096 bytes) from `block` on. */
  write(block: number, src: Uint8Array): void;
  flush(): void;
}
