// Builds the benchmark programs for RV64 with clang/lld into bin/*.elf
// (committed, so running the benchmarks needs no compiler).
// Usage: node user/bench/build.mjs
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const RISCV_FLAGS = [
  "--target=riscv64", "-march=rv64imac", "-mabi=lp64", "-O2", "-nostdlib", "-static", "-mno-relax",
  "-ffreestanding", "-fno-builtin", "-fuse-ld=lld",
  // Page-aligned segments, as the Keel process image requires (ABI.md).
  "-Wl,-z,separate-loadable-segments",
];

mkdirSync(join(here, "bin"), { recursive: true });
for (const file of readdirSync(here).filter((f) => f.endsWith(".c")).sort()) {
  const out = join(here, "bin", file.replace(/\.c$/, ".elf"));
  execFileSync("clang", [...RISCV_FLAGS, join(here, file), "-o", out], { stdio: "inherit" });
  console.log(`built ${out}`);
}
