// The page's machine on its network (web/net-worker.ts) in Node: the same
// PageNet the worker builds, with a real machine on it. netd gets its
// static address with the gateway as router and DNS server (ip=A/N,GW), so
// the guest pings the gateway and wgets a page by name, the gateway
// fetching it (here Node's fetch, from a server on 127.0.0.1).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "../host/testing/machine-harness";
import { PageNet, withAddress } from "./net-worker";

describe("the page's network", () => {
  it("a lone page machine pings the gateway and wgets a page by name through it", async () => {
    const server = createServer((req, res) => { res.writeHead(200); res.end(`page ${req.url}\n`); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      let h: MachineHarness | null = null;
      const net = new PageNet(() => {}, { "web.test": `127.0.0.1:${port}` });
      h = new MachineHarness({
        ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: withAddress(""), modules: userlandModules(),
        nic: net.machineNet(() => h?.machine.virtualNowNs ?? 0, null),
      });
      net.adopt(h.machine);
      h.boot();
      const machine = h;
      const run = async (done: () => boolean) => {
        const start = performance.now();
        while (!done()) {
          if (performance.now() - start > 60_000) throw new Error(`timed out; guest printed:\n${machine.output}`);
          machine.machine.runFor(5);
          net.afterSlice();
          await new Promise((r) => setImmediate(r));
        }
      };
      await run(() => machine.output.includes("\n$ "));
      expect(machine.output).toContain("address 10.0.0.2/24");
      let mark = machine.output.length;
      machine.machine.input("ifconfig\rping -c 1 10.0.0.1\r");
      await run(() => /1 received[^]*\n\$ $/.test(machine.since(mark)));
      expect(machine.since(mark)).toMatch(/router 10\.0\.0\.1 dns 10\.0\.0\.1/);
      mark = machine.output.length;
      machine.machine.input("wget -q http://web.test/hello\r");
      await run(() => /\n\$ $/.test(machine.since(mark)));
      expect(machine.since(mark)).toContain("page /hello\n");
      expect(net.gateway.stats.httpRequests).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 120_000);
});
