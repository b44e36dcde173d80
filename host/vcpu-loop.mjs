// One truly parallel vCPU's life on its thread (docs/architecture.md
// "Parallel vCPUs"), shared by both vCPU workers: Node's worker_threads one
// (host/node/vcpu-worker.mjs) and the page's Web Worker (web/vcpu-worker.ts).
// It instantiates the shared-memory kernel build over the machine's shared
// RAM, is told its index, and, once vCPU 0 starts it (HV_VCPU_CREATE), calls
// run() in a loop. Its port I/O and hypercalls go through the mailbox to
// vCPU 0's thread (host/parallel.ts, whose constants are repeated here:
// plain JavaScript, loaded without tsx); the timer's clock ports are answered
// here from the shared clock epoch. An idle vCPU sleeps on its record's kicks
// word until another vCPU makes a process runnable (lib/cpu.ts cpuKickIdle)
// or IDLE_WAIT_MS passes.

// host/parallel.ts
const MB_SLOT = 16, MB_DOORBELL = 0, MB_STATE = 0, MB_KIND = 1, MB_ARG0 = 2, MB_RESULT = 6, MB_CONTROL = 7;
const MB_IDLE = 0, MB_REQUEST = 1;
const MB_PORT_IN = 1, MB_PORT_OUT = 2, MB_HYPERCALL = 3;
const MB_CONTROL_WAIT = 0, MB_CONTROL_STOP = 2;
// host/hw.ts
const TIMER_NOW_LO = 0x40, TIMER_NOW_HI = 0x44;
const HV_JIT_COMPILE = 14, HV_E_UNSUPPORTED = -1;
const RUN_IDLE = 1, RUN_BUDGET_SPENT = 0;
// host/cpus.ts
const KSTATE_CPUS = 0x9a000, CPU_RECORD_SIZE = 512, CPU_KICKS = 88;

const IDLE_WAIT_MS = 50;


/**
 * Runs vCPU `init.cpu` (host/parallel.ts VcpuThreadInit) on the calling
 * thread until it is stopped or its run() ends; `post` sends the thread's
 * messages ({ type: "ready" }, { type: "trapped", message }) to vCPU 0's.
 */
export function runVcpu(init, post) {
  const { cpu, module, memory, mailbox: mailboxBuffer, clockEpochMs, budget } = init;
  const mailbox = new Int32Array(mailboxBuffer);
  const base = MB_SLOT * cpu;
  const kicksIndex = (KSTATE_CPUS + cpu * CPU_RECORD_SIZE + CPU_KICKS) >> 2;
  let ram32 = new Int32Array(memory.buffer);

  function call(kind, a0, a1, a2, a3) {
    mailbox[base + MB_KIND] = kind;
    mailbox[base + MB_ARG0] = a0;
    mailbox[base + MB_ARG0 + 1] = a1;
    mailbox[base + MB_ARG0 + 2] = a2;
    mailbox[base + MB_ARG0 + 3] = a3;
    Atomics.store(mailbox, base + MB_STATE, MB_REQUEST);
    Atomics.add(mailbox, MB_DOORBELL, 1);
    Atomics.notify(mailbox, MB_DOORBELL);
    while (Atomics.load(mailbox, base + MB_STATE) === MB_REQUEST) {
      Atomics.wait(mailbox, base + MB_STATE, MB_REQUEST, 100);
      if (Atomics.load(mailbox, base + MB_CONTROL) === MB_CONTROL_STOP) throw new Error("stopped");
    }
    const result = mailbox[base + MB_RESULT];
    Atomics.store(mailbox, base + MB_STATE, MB_IDLE);
    return result;
  }

  // The timer's clock, as host/clock.ts RealtimeClock counts it: reading the
  // low half latches the high half; never backwards on this vCPU.
  let lastNs = 0n;
  let latchedHi = 0;
  function nowNs() {
    const ns = BigInt(Math.max(0, Math.floor((performance.timeOrigin + performance.now() - clockEpochMs) * 1e6)));
    if (ns > lastNs) lastNs = ns;
    return lastNs;
  }

  function portIn(port, width) {
    if (port === TIMER_NOW_LO && width === 4) {
      const ns = nowNs();
      latchedHi = Number(ns >> 32n);
      return Number(ns & 0xffffffffn) | 0;
    }
    if (port === TIMER_NOW_HI && width === 4) return latchedHi | 0;
    return call(MB_PORT_IN, port, width, 0, 0);
  }

  const instance = new WebAssembly.Instance(module, {
    env: { memory },
    keel: {
      port_in: portIn,
      port_out: (port, width, value) => { call(MB_PORT_OUT, port, width, value, 0); },
      hypercall: (op, a0, a1, a2) => (op === HV_JIT_COMPILE ? HV_E_UNSUPPORTED : call(MB_HYPERCALL, op, a0, a1, a2)),
      log_execution: () => {},
    },
  });
  const kernel = instance.exports;
  kernel._initialize?.();
  kernel.cpuSetIndex(cpu);
  post({ type: "ready" });

  while (Atomics.load(mailbox, base + MB_CONTROL) === MB_CONTROL_WAIT) Atomics.wait(mailbox, base + MB_CONTROL, MB_CONTROL_WAIT);

  try {
    for (;;) {
      if (Atomics.load(mailbox, base + MB_CONTROL) === MB_CONTROL_STOP) break;
      if (ram32.buffer.byteLength !== memory.buffer.byteLength) ram32 = new Int32Array(memory.buffer);
      const kicks = Atomics.load(ram32, kicksIndex);
      const result = kernel.run(budget);
      if (result === RUN_IDLE) Atomics.wait(ram32, kicksIndex, kicks, IDLE_WAIT_MS);
      else if (result !== RUN_BUDGET_SPENT) break; // halted, panicked, rebooting: vCPU 0 sees it too
    }
  } catch (error) {
    if (Atomics.load(mailbox, base + MB_CONTROL) !== MB_CONTROL_STOP) {
      post({ type: "trapped", message: error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error) });
    }
  }
}
