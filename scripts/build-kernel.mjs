// Builds the kernel (release and debug) and every kernel test entry point
// (kernel-as/tests/*.ts) with the kernel's own flags from asconfig.json.
// Usage: node scripts/build-kernel.mjs [--only release|debug|tests]
import asc from "assemblyscript/asc";
import { readdirSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;
mkdirSync("build/tests", { recursive: true });

async function compile(args, label) {
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`kernel build failed (${label}): ${error.message}`);
    process.exit(1);
  }
  void stderr;
}

const jobs = [];
// The kernel's entry is named here, not in asconfig.json: asc adds a config's
// "entries" to every compile, and test or extra entries must not pull in the
// whole kernel.
const KERNEL_ENTRY = "kernel-as/src/main.ts";
if (!only || only === "release") jobs.push(compile([KERNEL_ENTRY, "--config", "asconfig.json", "--target", "release"], "release"));
if (!only || only === "debug") jobs.push(compile([KERNEL_ENTRY, "--config", "asconfig.json", "--target", "debug"], "debug"));
if (!only || only === "tests") {
  const match = process.argv.includes("--match") ? process.argv[process.argv.indexOf("--match") + 1] : "";
  for (const file of readdirSync("kernel-as/tests").filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f.includes(match)).sort()) {
    const name = file.replace(/\.ts$/, "");
    // Test entries use the "test" target: the kernel's options with
    // assertions kept, and their own entry instead of the kernel's.
    jobs.push(
      compile(
        [join("kernel-as/tests", file), "--config", "asconfig.json", "--target", "test",
          "--outFile", `build/tests/${name}.wasm`],
        `test ${name}`,
      ),
    );
  }
}
// Extra standalone entries (for example the bare hart runner), release flags.
const extras = [["kernel-as/src/bare.ts", "build/bare.wasm"]];
if (!only || only === "extras") {
  for (const [src, out] of extras) {
    if (existsSync(src)) jobs.push(compile([src, "--config", "asconfig.json", "--target", "release", "--outFile", out], src));
  }
}
await Promise.all(jobs);
