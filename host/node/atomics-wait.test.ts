// Node 20's V8 bug with memory.atomic.wait under Liftoff, and the flag that
// avoids it (host/node/wasm-flags.mjs): the repro fails in a plain `node`,
// passes with --no-liftoff, and passes in this very process (vitest's
// workers get the flag from vitest.config.ts), with worker_threads over one
// shared WebAssembly.Memory. Every Node entry point passes the flag.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NODE_WASM_FLAGS, hasWasmFlags } from "./wasm-flags.mjs";
import { liveCheck, runRepro } from "./atomics-wait-repro.mjs";

const repro = fileURLToPath(new URL("./atomics-wait-repro.mjs", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));

function runChild(flags: readonly string[], timeoutMs: number): { status: number | null; result: { ok: boolean; live: { ok: boolean }[]; ring: { ok: boolean } } } {
  const child = spawnSync(process.execPath, [...flags, repro], {
    encoding: "utf8",
    timeout: timeoutMs + 20_000,
    env: { ...process.env, KEEL_REPRO_TIMEOUT_MS: String(timeoutMs) },
  });
  const line = child.stdout.trim().split("\n").pop() ?? "";
  expect(line, `repro printed nothing (status ${child.status}): ${child.stderr}`).toMatch(/^\{/);
  return { status: child.status, result: JSON.parse(line) };
}

describe("memory.atomic.wait under Node's V8", () => {
  it("this test process runs with the flags, and the repro passes here (worker_threads included)", async () => {
    expect(hasWasmFlags()).toBe(true);
    const result = await runRepro({ peers: 3, rounds: 500, timeoutMs: 20_000 });
    expect(result.live.filter((c) => !c.ok)).toEqual([]);
    expect(result.ring).toMatchObject({ ok: true, total: 1500 });
  });

  it("a plain node with --no-liftoff passes the repro", () => {
    const { status, result } = runChild(NODE_WASM_FLAGS, 20_000);
    expect(result.ok).toBe(true);
    expect(status).toBe(0);
  });

  // The reason for the flag: on V8 11.3 (Node 20) Liftoff loses the value.
  // A newer Node whose V8 is right passes here too; the test then says so.
  it("without the flag, Node 20's Liftoff clobbers a value live across the wait", () => {
    const { status, result } = runChild([], 3_000);
    if (process.versions.v8.startsWith("11.3.")) {
      expect(result.live.some((c) => !c.ok)).toBe(true);
      expect(result.ring.ok).toBe(false);
      expect(status).toBe(1);
    } else {
      expect(result.ok, `V8 ${process.versions.v8} passes without --no-liftoff: the flag may no longer be needed`).toBe(true);
    }
  });

  it("memory.atomic.notify is not affected (the check can tell the two apart)", () => {
    const notify = liveCheck().find((c) => c.name === "notify");
    expect(notify?.ok).toBe(true);
  });

  it("every Node entry point passes the flags", () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { scripts: Record<string, string> };
    const tsxRuns = Object.entries(pkg.scripts).flatMap(([name, command]) =>
      command.split("&&").map((part) => part.trim()).filter((part) => /^tsx\b/.test(part)).map((part) => [name, part] as const));
    expect(tsxRuns.length).toBeGreaterThan(0);
    for (const [name, part] of tsxRuns) for (const flag of NODE_WASM_FLAGS) expect(part, `npm script ${name}`).toContain(` ${flag} `);
    expect(readFileSync(`${root}/bin/keel.mjs`, "utf8")).toMatch(/spawnSync\(process\.execPath, \[\.\.\.NODE_WASM_FLAGS,/);
    expect(readFileSync(`${root}/vitest.config.ts`, "utf8")).toMatch(/execArgv: \[\.\.\.NODE_WASM_FLAGS\]/);
    expect(readFileSync(`${root}/host/node/kernel-file.ts`, "utf8")).toMatch(/ensureWasmFlags\(\);/);
  });
});
