// One truly parallel vCPU in the page (docs/architecture.md "Parallel
// vCPUs"): a Web Worker, made by web/vcpu-spawner.ts from the machine's
// worker, that runs host/vcpu-loop.mjs (the loop Node's vCPU threads run)
// over the machine's shared RAM. Its first message is the VcpuThreadInit
// (host/parallel.ts): the shared kernel module, the shared memory and the
// mailbox, which only a cross-origin isolated page can send.

import type { VcpuThreadInit } from "../host/parallel";
import { runVcpu } from "../host/vcpu-loop.mjs";

const scope = self as unknown as { onmessage: ((event: MessageEvent<VcpuThreadInit>) => void) | null; postMessage(message: unknown): void };

scope.onmessage = (event) => {
  scope.onmessage = null;
  try {
    runVcpu(event.data, (message) => scope.postMessage(message));
  } catch (error) {
    // Instantiating the kernel failed (the loop reports its own traps).
    scope.postMessage({ type: "trapped", message: error instanceof Error ? error.message : String(error) });
  }
};
