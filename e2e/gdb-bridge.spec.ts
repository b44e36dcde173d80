// `npx keel gdb-bridge`: the real gdb-multiarch, unmodified, in batch mode,
// debugging a program of the machine running in the page, through the
// bridge (host/node/gdb-bridge.ts) and the GDB server in the page's worker
// (web/gdb-bridge-worker.ts). Deterministic clock, so reverse execution too.
import { expect, test } from "@playwright/test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { consoleLines, openShell, typeLine, waitForShellPrompt } from "./keel";

const repo = fileURLToPath(new URL("..", import.meta.url));
const GDB = process.env.GDB ?? "gdb-multiarch";
const gdbFound = spawnSync(GDB, ["--version"], { encoding: "utf8" }).status === 0;

interface Bridge {
  child: ChildProcess;
  stderr(): string;
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray>;
}

function startBridge(args: string[]): Bridge {
  const child = spawn(process.execPath, ["bin/keel.mjs", "gdb-bridge", ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  const waiters: (() => void)[] = [];
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    stderr: () => err,
    waitFor(re, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the bridge never printed ${re}; stderr:\n${err}`)), ms);
        const check = () => {
          const m = re.exec(err);
          if (m) { clearTimeout(timer); resolve(m); } else waiters.push(check);
        };
        check();
      });
    },
  };
}

function runGdb(port: number, commands: string[]): Promise<{ status: number | null; output: string }> {
  const args = ["-nx", "-batch", "-ex", "set pagination off", "-ex", "set remotetimeout 30", "-ex", "set trace-commands on", "-ex", `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push("-ex", c);
  args.push("user/bin/wc.debug");
  return new Promise((resolve) => {
    const gdb = spawn(GDB, args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    gdb.stdout.on("data", (d: Buffer) => (output += d.toString()));
    gdb.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => gdb.kill("SIGKILL"), 90_000);
    gdb.on("exit", (status) => { clearTimeout(timer); resolve({ status, output }); });
  });
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
