// Truly parallel vCPUs (docs/architecture.md "Parallel vCPUs"), the host's
// half that does not depend on the platform: the mailbox through which
// vCPUs 1..N-1, each a thread of its own (a worker_threads worker in Node:
// host/node/vcpu-threads.ts), reach the devices and the hypervisor, which
// live on vCPU 0's thread with the Machine.
//
// The mailbox is a SharedArrayBuffer of the host's own, not guest RAM, so no
// guest store can forge a request. Int32 words:
//   [0]                   doorbell: bumped (and notified) by every request
//   [SLOT * cpu + MB_*]   vCPU cpu's slot (cpu 1..N-1)
// A vCPU thread writes its request's kind and arguments, sets MB_STATE to
// MB_REQUEST, bumps the doorbell and waits on MB_STATE; vCPU 0's thread
// (Machine.serviceMailbox: between slices, when its own vCPU waits for the
// big kernel lock, when its run loop is woken by the doorbell) performs it,
// writes MB_RESULT and sets MB_STATE to MB_DONE. MB_CONTROL tells the
// thread to start running (HV_VCPU_CREATE) or to stop.
//
// Plain JavaScript constants shared with host/vcpu-loop.mjs (the vCPU thread), which
// cannot import TypeScript: host/parallel.test.ts checks they agree.

export const MB_SLOT = 16;
export const MB_DOORBELL = 0;
export const MB_STATE = 0;
export const MB_KIND = 1;
export const MB_ARG0 = 2;
export const MB_ARG1 = 3;
export const MB_ARG2 = 4;
export const MB_ARG3 = 5;
export const MB_RESULT = 6;
export const MB_CONTROL = 7;

export const MB_IDLE = 0;
export const MB_REQUEST = 1;
export const MB_DONE = 2;

export const MB_PORT_IN = 1;   // a0 port, a1 width
export const MB_PORT_OUT = 2;  // a0 port, a1 width, a2 value
export const MB_HYPERCALL = 3; // a0 op, a1..a3 arguments

export const MB_CONTROL_WAIT = 0;
export const MB_CONTROL_RUN = 1;
export const MB_CONTROL_STOP = 2;

/** What a vCPU thread is given at its start. */
export interface VcpuThreadInit {
  cpu: number;
  /** The shared-memory kernel build (build/kernel.shared.wasm). */
  module: WebAssembly.Module;
  /** The machine's RAM: a shared WebAssembly.Memory. */
  memory: WebAssembly.Memory;
  mailbox: SharedArrayBuffer;
  /** Wall-clock milliseconds (performance.timeOrigin + performance.now()) at virtual time 0. */
  clockEpochMs: number;
  /** Work units per run() call of the thread's loop. */
  budget: number;
}

export interface VcpuThreadEvents {
  /** The thread's kernel instance trapped (a panic, or a kernel bug): `message` says how. */
  trapped(cpu: number, message: string): void;
}

export interface VcpuThread {
  /** Starts running the instance's run() loop (it is already made). */
  start(): void;
  /** Ends the thread; it must not touch RAM afterwards. */
  terminate(): void;
}

/** Makes the thread of one vCPU. The Machine takes one in its config. */
export type VcpuSpawner = (init: VcpuThreadInit, events: VcpuThreadEvents) => VcpuThread;

/** A mailbox for `cpus` vCPUs. */
export function makeMailbox(cpus: number): SharedArrayBuffer {
  return new SharedArrayBuffer(MB_SLOT * Math.max(2, cpus) * 4);
}

/** Tells the thread of `cpu` to start or stop (the thread waits on the word). */
export function mailboxControl(mailbox: Int32Array, cpu: number, control: number): void {
  Atomics.store(mailbox, MB_SLOT * cpu + MB_CONTROL, control);
  Atomics.notify(mailbox, MB_SLOT * cpu + MB_CONTROL);
}

/**
 * Performs every pending request in the mailbox with `perform` (kind,
 * arguments -> result), on the calling (vCPU 0's) thread. `seen` is the
 * doorbell value already serviced; returns the new one.
 */
export function serviceMailbox(
  mailbox: Int32Array, cpus: number, seen: number,
  perform: (cpu: number, kind: number, a0: number, a1: number, a2: number, a3: number) => number,
): number {
  const bell = Atomics.load(mailbox, MB_DOORBELL);
  if (bell === seen) return seen;
  for (let cpu = 1; cpu < cpus; cpu++) {
    const base = MB_SLOT * cpu;
    if (Atomics.load(mailbox, base + MB_STATE) !== MB_REQUEST) continue;
    const result = perform(cpu, mailbox[base + MB_KIND]!, mailbox[base + MB_ARG0]!, mailbox[base + MB_ARG1]!,
      mailbox[base + MB_ARG2]!, mailbox[base + MB_ARG3]!);
    mailbox[base + MB_RESULT] = result | 0;
    Atomics.store(mailbox, base + MB_STATE, MB_DONE);
    Atomics.notify(mailbox, base + MB_STATE);
  }
  return bell;
}
