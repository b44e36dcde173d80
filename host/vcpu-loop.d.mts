// Declarations for host/vcpu-loop.mjs (plain JavaScript: Node's vCPU worker loads it without tsx).
import type { VcpuThreadInit } from "./parallel.js";

/** Runs vCPU `init.cpu` on the calling thread until it is stopped or its run() ends. */
export function runVcpu(init: VcpuThreadInit, post: (message: { type: "ready" } | { type: "trapped"; message: string }) => void): void;
