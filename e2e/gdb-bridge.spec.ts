// `npx keel gdb-bridge`: the real gdb-multiarch, unmodified, in batch mode,
// debugging a program of the machine running in the page, through the
// bridge (host/node/gdb-bridge.ts) and the GDB server in the page's worker
// (web/gdb-bridge-worker.ts). Deterministic clock, so reverse execution too.
import { expect, test } from "@playwright/test";
import { fileURLToPath } from "node:url";
import { consoleLines, openShell, typeLine, waitForShellPrompt } from "./keel";
import { GDB, gdbFound, runGdb as runGdbIn, startWatched, type Watched } from "../host/testing/gdb-process";

const repo = fileURLToPath(new URL("..", import.meta.url));

type Bridge = Watched;

function startBridge(args: string[]): Bridge {
  return startWatched(["bin/keel.mjs", "gdb-bridge", ...args], repo, "the bridge");
}

function runGdb(port: number, commands: string[]): Promise<{ status: number | null; output: string }> {
  return runGdbIn(port, commands, "user/bin/wc.debug", repo, { before: ["set remotetimeout 30", "set trace-commands on"], timeoutMs: 90_000 });
}

let bridge: Bridge | null = null;
test.afterEach(() => {
  bridge?.child.kill("SIGTERM");
  bridge = null;
});

test("gdb-multiarch debugs wc in the page through keel gdb-bridge, backwards too", async ({ page }) => {
  test.skip(!gdbFound && !process.env.CI, `${GDB} is not installed`);
  test.setTimeout(180_000);
  bridge = startBridge(["--port", "0", "--ws", "0", "--attach", "wc"]);
  const [, ws] = await bridge.waitFor(/the page connects to (ws:\/\/127\.0\.0\.1:\d+)/, 30_000);
  const [, port] = await bridge.waitFor(/gdb connects to 127\.0\.0\.1:(\d+)/, 30_000);

  await openShell(page, `?clock=deterministic&disk=memory&gdb-bridge=${encodeURIComponent(ws!)}`);
  await waitForShellPrompt(page);
  await bridge.waitFor(/page: gdb: waiting for a process to exec wc/, 30_000);
  expect(bridge.stderr()).toContain("the page's machine runs the deterministic clock; reverse execution on");
  const before = (await consoleLines(page)).length;
  await typeLine(page, "echo hello world | wc");
  await bridge.waitFor(/page: gdb: attached to pid \d+, stopped/, 30_000);

  const { status, output } = await runGdb(Number(port), [
    "break main", "continue", "stepi", "info registers pc", "x/4xw $sp", "stepi", "info registers pc a0",
    "reverse-stepi", "info registers pc", "monitor status", "delete", "continue",
  ]);
  if (process.env.KEEL_GDB_TRANSCRIPT) console.log(output); // for docs/debugging.md
  expect(status, output).toBe(0);
  expect(output).toMatch(/Breakpoint 1 at 0x[0-9a-f]+: file \.\/user\/prog\/wc\.c, line \d+\./);
  expect(output).toMatch(/Breakpoint 1, main \(argc=1, argv=0x[0-9a-f]+\) at \.\/user\/prog\/wc\.c:\d+/);
  // The pcs stepi reached, forwards and (one back) again: the same registers.
  const pcs = [...output.matchAll(/^pc\s+(0x[0-9a-f]+)\s/gm)].map((m) => m[1]);
  expect(pcs.length, output).toBe(3);
  expect(pcs[1]).not.toBe(pcs[0]);
  expect(pcs[2], "reverse-stepi goes back to the first stepi's pc").toBe(pcs[0]);
  expect(output).toMatch(/^0x[0-9a-f]+:\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}$/m);
  expect(output).toMatch(/reverse execution: \d+ snapshots/);
  expect(output).toContain("[Inferior 1 (Remote target) exited normally]");

  // wc ran to its end in the page and printed its count.
  await expect.poll(async () => (await consoleLines(page)).slice(before).some((l) => /^\s+1\s+2\s+12$/.test(l)), { timeout: 30_000 }).toBe(true);
  await bridge.waitFor(/gdb-bridge: gdb disconnected/, 30_000);
});

test("a ?gdb-bridge= that is not on this computer is refused with a reason", async ({ page }) => {
  await openShell(page, "?gdb-bridge=ws://example.com:8765");
  const banner = page.locator("#param-errors");
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('gdb-bridge="ws://example.com:8765" must be on this computer (127.0.0.1, localhost or [::1]), not example.com; using the default, no gdb bridge.');
});
