// Parallel vCPUs in the page (docs/architecture.md "Parallel vCPUs"): the
// VcpuSpawner (host/parallel.ts) that gives each of vCPUs 1..N-1 a Web
// Worker of its own (web/vcpu-worker.ts), the browser counterpart of
// host/node/vcpu-threads.ts. The machine's worker (web/worker.ts) makes
// them; the module, the shared RAM and the mailbox cross by structured
// clone, which needs a cross-origin isolated page (web/params.ts
// parallelProblem checks before the boot).

import type { VcpuSpawner } from "../host/parallel";

export const webVcpuSpawner: VcpuSpawner = (init, events) => {
  const worker = new Worker(new URL("./vcpu-worker.ts", import.meta.url), { type: "module", name: `keel-vcpu-${init.cpu}` });
  let ended = false;
  worker.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
    if (event.data.type === "trapped" && !ended) events.trapped(init.cpu, event.data.message ?? "");
  };
  worker.onerror = (event) => {
    if (!ended) events.trapped(init.cpu, event.message || "the vCPU's worker failed to start");
  };
  worker.postMessage(init);
  return {
    start: () => {},
    terminate: () => {
      ended = true;
      worker.terminate();
    },
  };
};
