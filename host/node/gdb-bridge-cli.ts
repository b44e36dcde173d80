// `keel gdb-bridge [--port 1234] [--ws 8765] [--attach PID|NAME]`
// (bin/keel.mjs): runs the bridge between gdb and a page (gdb-bridge.ts)
// until Ctrl-C.

import { BRIDGE_USAGE, BootArgsError, parseBridgeArgs } from "./args.js";
import { GdbBridge } from "./gdb-bridge.js";

async function main(): Promise<number> {
  let args;
  try {
    args = parseBridgeArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BootArgsError)) throw error;
    process.stderr.write(`keel gdb-bridge: ${error.message}\n${BRIDGE_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(BRIDGE_USAGE);
    return 0;
  }
  const bridge = new GdbBridge({ gdbPort: args.gdbPort, wsPort: args.wsPort, attach: args.attach, log: (line) => process.stderr.write(`keel: ${line}\n`) });
  try {
    await bridge.listen();
  } catch (error) {
    process.stderr.write(`keel gdb-bridge: cannot listen (${error instanceof Error ? error.message : String(error)})\n`);
    return 2;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await bridge.close();
  return 0;
}

process.exitCode = await main();
