// Builds the benchmark programs for RV64 with clang/lld into bin/*.elf
// (committed, so running the benchmarks needs no compiler).
// Usage: node user/bench/build.mjs
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RISCV_FLAGS, FP_PROGRAMS, FP_FLAGS } from "./flags.mjs";

const here = dirname(fileURLToPath(import.meta.url));

// bin/NAME.elf for the bare hart runner (Linux's write and exit numbers);
// bin/keel/NAME the same program for Keel's shell (-DKEEL_ABI, rt.h).
mkdirSync(join(here, "bin", "keel"), { recursive: true });
for (const file of readdirSync(here).filter((f) => f.endsWith(".c")).sort()) {
  const flags = FP_PROGRAMS.includes(file) ? [...RISCV_FLAGS, ...FP_FLAGS] : RISCV_FLAGS;
  for (const [out, extra] of [
    [join(here, "bin", file.replace(/\.c$/, ".elf")), []],
    [join(here, "bin", "keel", file.replace(/\.c$/, "")), ["-DKEEL_ABI"]],
  ]) {
    execFileSync("clang", [...flags, ...extra, join(here, file), "-o", out], { stdio: "inherit" });
    console.log(`built ${out}`);
  }
}
