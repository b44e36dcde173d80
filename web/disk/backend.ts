// The block device's backend (host/devices/block.ts): whole 4096-byte
// blocks, synchronous, because the device completes every request before the
// kernel's doorbell write returns (docs/fs-format.md). A backend that throws
// makes the request fail with an I/O error.
export type { BlockBackend } from "../../host/devices/block";
