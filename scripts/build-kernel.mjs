// Builds the kernel (release and debug) and every kernel test entry point
// (kernel-as/tests/*.ts) with the kernel's own flags from asconfig.json.
// A target is rebuilt only when its inputs changed: the digest of the
// kernel's sources (and, for test entries, kernel-as/tests/), asconfig.json,
// the compiler's version and the target's flags is kept beside it
// (scripts/fresh.mjs). `--force` rebuilds everything.
// Usage: node scripts/build-kernel.mjs [--only release|shared|debug|tests|extras] [--match TEXT] [--force]
import { readdirSync, mkdirSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { filesUnder, inputDigest, isFresh, recordStamp } from "./fresh.mjs";
import { layoutIdArgs } from "./layout-id.mjs";

const argValue = (flag) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : null);
const only = argValue("--only");
const match = argValue("--match") ?? "";
const force = process.argv.includes("--force");
mkdirSync("build/tests", { recursive: true });

const ascVersion = JSON.parse(readFileSync("node_modules/assemblyscript/package.json", "utf8")).version;
const notTest = (path) => path.endsWith(".ts") && !path.endsWith(".test.ts");
const kernelSources = [...filesUnder("kernel-as/src", notTest), "asconfig.json"];
const testSources = filesUnder("kernel-as/tests", notTest);
// The kernel's layout id (scripts/layout-id.mjs), a compile-time constant
// of every target: the same sources give the same flags in the page's build.
const layoutArgs = layoutIdArgs(Object.fromEntries(kernelSources.map((path) => [path, readFileSync(path, "utf8")])));

/** [args, label, output, inputs] for every target this run asks for. */
const targets = [];
// The kernel's entry is named here, not in asconfig.json: asc adds a config's
// "entries" to every compile, and test or extra entries must not pull in the
// whole kernel.
const KERNEL_ENTRY = "kernel-as/src/main.ts";
if (!only || only === "release") {
  targets.push([[KERNEL_ENTRY, "--config", "asconfig.json", "--target", "release"], "release", "build/kernel.wasm", kernelSources]);
}
// The shared-memory build for truly parallel vCPUs (docs/architecture.md
// "Parallel vCPUs"): the same sources over an imported shared memory.
if (!only || only === "shared") {
  targets.push([[KERNEL_ENTRY, "--config", "asconfig.json", "--target", "shared"], "shared", "build/kernel.shared.wasm", kernelSources]);
}
if (!only || only === "debug") {
  targets.push([[KERNEL_ENTRY, "--config", "asconfig.json", "--target", "debug"], "debug", "build/kernel.debug.wasm", kernelSources]);
}
if (!only || only === "tests") {
  for (const file of readdirSync("kernel-as/tests").filter((f) => notTest(f) && f.includes(match)).sort()) {
    const name = file.replace(/\.ts$/, "");
    const out = `build/tests/${name}.wasm`;
    // Test entries use the "test" target: the kernel's options with
    // assertions kept, and their own entry instead of the kernel's.
    targets.push([[join("kernel-as/tests", file), "--config", "asconfig.json", "--target", "test", "--outFile", out],
      `test ${name}`, out, [...kernelSources, ...testSources]]);
  }
}
// Shared-memory builds of the test entries that other threads run at once
// (host/locks-threads.test.ts, bench/locks.bench.ts): the same code over a
// memory imported as shared, which worker_threads instances can share.
// NAME.shared.release.wasm has the release kernel's flags (no assertions, no
// lock-order checks) for benchmarks.
const sharedTests = ["lock", "mm"];
if (!only || only === "tests") {
  for (const name of sharedTests.filter((n) => n.includes(match))) {
    for (const [target, suffix] of [["test", ""], ["release", ".release"]]) {
      const out = `build/tests/${name}.shared${suffix}.wasm`;
      targets.push([[join("kernel-as/tests", `${name}.ts`), "--config", "asconfig.json", "--target", target, "--outFile", out,
        "--sharedMemory", "--maximumMemory", "16384"], `test ${name} (shared memory${suffix})`, out, [...kernelSources, ...testSources]]);
    }
  }
}
// Extra standalone entries (for example the bare hart runner), release flags.
const extras = [["kernel-as/src/bare.ts", "build/bare.wasm"]];
if (!only || only === "extras") {
  for (const [src, out] of extras) {
    if (existsSync(src)) targets.push([[src, "--config", "asconfig.json", "--target", "release", "--outFile", out], src, out, kernelSources]);
  }
}

const stale = [];
for (const target of targets) target[0].push(...layoutArgs);
for (const [args, label, output, inputs] of targets) {
  const digest = inputDigest(inputs, { asc: ascVersion, args });
  if (force || !isFresh(output, digest)) stale.push({ args, label, output, digest });
}
if (stale.length > 0) {
  // The compiler is loaded only when something is out of date: importing it
  // costs more than checking every stamp.
  const { default: asc } = await import("assemblyscript/asc");
  await Promise.all(stale.map(async ({ args, label, output, digest }) => {
    const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
    if (error) {
      console.error(`kernel build failed (${label}): ${error.message}`);
      process.exit(1);
    }
    recordStamp(output, digest);
  }));
}
