// `npx keel switch --listen ADDRESS [--lockstep] [--impair ...] [--gateway]`: the
// switch process runners join with --net switch:ADDRESS
// (host/node/switch-server.ts, docs/network.md). Logs ports joining and
// leaving on stderr; on SIGINT or SIGTERM prints each port's counters and
// exits 0. Exit status 2 for bad options or an address it cannot listen on.

import { BootArgsError, parseSwitchArgs, SWITCH_USAGE } from "./args.js";
import { SwitchServer } from "./switch-server.js";
import { Gateway } from "../net/gateway.js";

async function main(): Promise<number> {
  let args;
  try {
    args = parseSwitchArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BootArgsError) {
      process.stderr.write(`keel switch: ${error.message}\n${SWITCH_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    process.stdout.write(SWITCH_USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`keel switch: ${line}\n`);
  const server = new SwitchServer({
    listen: args.listen!, lockstep: args.lockstep, lockstepPorts: args.ports, quantumNs: args.quantumNs ?? undefined,
    impair: args.impair, doneTimeoutMs: args.doneTimeoutMs, portQueueBytes: args.queueBytes ?? undefined, log: args.quiet ? undefined : log,
  });
  let address: string;
  try {
    address = await server.listen();
  } catch (error) {
    process.stderr.write(`keel switch: cannot listen on ${args.listen}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  let gatewayTimer: ReturnType<typeof setInterval> | null = null;
  if (args.gateway) {
    // On the wall clock: the switch has no machine's clock to borrow (and --lockstep is refused).
    const gw = new Gateway({ attach: (endpoint) => server.attachLocal(endpoint) }, { now: () => performance.now() * 1e6, hosts: args.gatewayHosts });
    gatewayTimer = setInterval(() => gw.tick(), 10);
    const mapped = Object.entries(args.gatewayHosts).map(([n, h]) => `${n} → ${h}`).join(", ");
    log(`a gateway at 10.0.2.2, MAC 02:00:00:00:02:02 (DHCP 10.0.2.15-127, DNS, HTTP out through fetch${mapped ? `; ${mapped}` : ""})`);
  }
  log(`listening on ${address}${args.lockstep ? " (lockstep)" : ""}${args.impair ? ` (impaired: seed ${args.impair.seed}, loss ${args.impair.loss}, duplicate ${args.impair.duplicate}, reorder ${args.impair.reorder})` : ""}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  for (const p of server.report()) {
    const s = p.switch;
    log(`port ${p.port} ${p.name} ${p.mac}: in ${p.rxFrames} frames ${p.rxBytes} bytes, out ${p.txFrames} frames ${p.txBytes} bytes, ` +
      `queue drops ${p.queueDrops + s.dropped}, lost ${s.lost}, duplicated ${s.duplicated}, reordered ${s.reordered}`);
  }
  log(`${server.joined} ports joined, ${server.refused} refused${args.lockstep ? `, ${server.quanta} quanta to ${server.nowNs} ns` : ""}, ` +
    `${server.wire.stats().flooded} frames flooded, ${server.wire.stats().macs} MACs known`);
  if (gatewayTimer !== null) clearInterval(gatewayTimer);
  await server.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`keel switch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
