// `npm run bench -- --browser`: the hart's benchmark programs
// (user/bench/bin/*.elf) in Chromium through Playwright, interpreted and
// with the JIT, beside the same runs in Node, in alternating rounds so all
// four see the same load. The browser runs them in a dedicated worker, as
// the page runs its machine (bench/browser/worker.ts, bundled with esbuild,
// served from 127.0.0.1 with build/bare.wasm). Debian's Chromium at
// /usr/bin/chromium, as the e2e suite uses; nothing is downloaded.
// Wall time is the runner's own (inside runBare, both sides); CPU time is
// this process's for Node and the Chromium process tree's (every process
// this one started, from /proc) for the browser, so it includes the
// browser's own overhead around the run.

import { createServer, type Server } from "node:http";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "@playwright/test";
import { JIT_DEFAULT_THRESHOLD, runBare } from "../host/rv/bare.js";
import { cpuSecondsSince } from "./cpu.js";
import type { BenchRow } from "./run.js";
import type { BrowserResult } from "./browser/worker.js";

const ROUNDS = 3;
const CHROMIUM = "/usr/bin/chromium";
const root = fileURLToPath(new URL("../", import.meta.url));
const programsDir = join(root, "user/bench/bin");

/** The worker bundled for the browser; node:fs (only bareModule's default read) is a stub. */
async function bundleWorker(): Promise<string> {
  const out = await build({
    entryPoints: [join(root, "bench/browser/worker.ts")],
    bundle: true, format: "esm", platform: "browser", target: "es2022", write: false,
    plugins: [{
      name: "no-node-fs",
      setup(b) {
        b.onResolve({ filter: /^node:fs$/ }, () => ({ path: "fs", namespace: "stub" }));
        b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export function readFileSync() { throw new Error('no file system in the browser'); }" }));
      },
    }],
  });
  return out.outputFiles[0]!.text;
}

function serve(files: Record<string, { type: string; body: string | Uint8Array }>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const file = files[req.url ?? ""];
    if (!file) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": file.type }).end(file.body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
  }));
}

/** User + system CPU seconds of every descendant of `rootPid`, not counting
 *  it (Linux /proc): for this process, the Chromium it launched. */
function treeCpuSeconds(rootPid = process.pid): number {
  const tick = 100; // USER_HZ on Linux
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / tick);
    } catch { /* gone meanwhile */ }
  }
  let total = 0;
  for (const [pid, seconds] of cpu) {
    if (pid === rootPid) continue;
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === rootPid) { total += seconds; break; }
    }
  }
  return total;
}

export default async function bench(): Promise<BenchRow[]> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the browser bench uses the system Chromium and never downloads one`);
  const bareWasm = join(root, "build/bare.wasm");
  if (!existsSync(bareWasm)) throw new Error("build/bare.wasm is missing: npm run bench builds it (node scripts/build-kernel.mjs)");
  const programs = readdirSync(programsDir).filter((f) => f.endsWith(".elf")).sort();
  const { server, url } = await serve({
    "/": { type: "text/html", body: "<!doctype html><title>Keel hart bench</title>" },
    "/worker.js": { type: "text/javascript", body: await bundleWorker() },
    "/bare.wasm": { type: "application/wasm", body: new Uint8Array(readFileSync(bareWasm)) },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"] });
  const rows: BenchRow[] = [{ name: "Chromium version", value: Number(browser.version().split(".")[0]), unit: browser.version() }];
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.evaluate(() => { (window as unknown as { w: Worker }).w = new Worker("/worker.js", { type: "module" }); });
    const inBrowser = async (elf: Uint8Array, jit: number | false): Promise<BrowserResult> => {
      const reply = await page.evaluate(({ bytes, jit }) => new Promise<unknown>((resolve) => {
        const w = (window as unknown as { w: Worker }).w;
        w.onmessage = (e) => resolve(e.data);
        const buffer = new Uint8Array(bytes).buffer;
        w.postMessage({ elf: buffer, jit }, [buffer]);
      }), { bytes: Array.from(elf), jit });
      if ((reply as { error?: string }).error) throw new Error(`in Chromium: ${(reply as { error: string }).error}`);
      return reply as BrowserResult;
    };
    const modes = [
      { label: "interpreter", jit: false as const },
      { label: "JIT", jit: JIT_DEFAULT_THRESHOLD },
    ];
    for (const file of programs) {
      const name = file.replace(/\.elf$/, "");
      const elf = new Uint8Array(readFileSync(join(programsDir, file)));
      // [mode][0 Node, 1 Chromium]
      const wall = modes.map(() => [Infinity, Infinity]);
      const cpu = modes.map(() => [Infinity, Infinity]);
      let instret = 0n;
      let output = "";
      let jitStats: BrowserResult["jit"] = null;
      for (let r = 0; r < ROUNDS; r++) {
        for (const [m, mode] of modes.entries()) {
          const cpu0 = process.cpuUsage();
          const node = runBare(elf, { jit: mode.jit });
          cpu[m]![0] = Math.min(cpu[m]![0]!, cpuSecondsSince(cpu0));
          wall[m]![0] = Math.min(wall[m]![0]!, node.seconds);
          const text = new TextDecoder().decode(node.stdout);
          if (node.fault || node.exitStatus !== 0) throw new Error(`${name} in Node (${mode.label}) failed`);
          if (r === 0 && m === 0) { output = text; instret = node.instret; }
          if (text !== output || node.instret !== instret) throw new Error(`${name} in Node (${mode.label}): another answer`);

          const tree0 = treeCpuSeconds();
          const web = await inBrowser(elf, mode.jit);
          const treeCpu = treeCpuSeconds() - tree0;
          if (web.fault || web.exitStatus !== 0) throw new Error(`${name} in Chromium (${mode.label}): ${web.fault ?? `exit ${web.exitStatus}`}`);
          if (web.stdout !== output || BigInt(web.instret) !== instret) throw new Error(`${name} in Chromium (${mode.label}): printed ${JSON.stringify(web.stdout)}, retired ${web.instret}; Node ${JSON.stringify(output)}, ${instret}`);
          wall[m]![1] = Math.min(wall[m]![1]!, web.seconds);
          cpu[m]![1] = Math.min(cpu[m]![1]!, treeCpu);
          if (mode.jit !== false) jitStats = web.jit;
        }
      }
      const mips = (s: number): number => Number(instret) / s / 1e6;
      rows.push({ name: `${name}: instructions retired`, value: Number(instret) / 1e6, unit: "M" });
      for (const [m, mode] of modes.entries()) {
        rows.push({ name: `${name}: Node, ${mode.label}`, value: mips(wall[m]![0]!), unit: "MIPS" });
        rows.push({ name: `${name}: Node, ${mode.label}, by process CPU time`, value: mips(cpu[m]![0]!), unit: "MIPS" });
        rows.push({ name: `${name}: Chromium, ${mode.label}`, value: mips(wall[m]![1]!), unit: "MIPS" });
        rows.push({ name: `${name}: Chromium, ${mode.label}, by browser CPU time`, value: mips(cpu[m]![1]!), unit: "MIPS" });
        rows.push({ name: `${name}: Chromium / Node time, ${mode.label}`, value: wall[m]![1]! / wall[m]![0]!, unit: "x" });
      }
      rows.push({ name: `${name}: Chromium JIT speed-up`, value: wall[0]![1]! / wall[1]![1]!, unit: "x" });
      if (jitStats) {
        rows.push({ name: `${name}: Chromium JIT units`, value: jitStats.units, unit: "" });
        rows.push({ name: `${name}: Chromium JIT compile time per unit`, value: jitStats.units ? jitStats.compileMs / jitStats.units : 0, unit: "ms" });
        rows.push({ name: `${name}: Chromium JIT share retired in units`, value: Number((BigInt(jitStats.insns) * 10000n) / instret) / 100, unit: "%" });
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  return rows;
}
