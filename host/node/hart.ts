// `npm run hart -- [options] prog.elf [args...]`: runs one static RV64 ELF on
// the hart through the bare runner (build/bare.wasm; see docs/tools.md).
// The program's stdout and stderr go to ours; then the exit status is
// reported on stderr and becomes our exit code (status & 0xff).
//
// Exit codes: the program's status; 1 after a fault (with a message naming
// the cause, pc and address) or an unsupported system call; 2 for a
// malformed ELF or bad usage; 3 when --limit stopped the program.

import { readFileSync } from "node:fs";
import { ElfError } from "../rv/elf.js";
import { BareSetupError, JIT_DEFAULT_THRESHOLD, runBare } from "../rv/bare.js";
import { disassemble } from "../rv/disasm.js";

const USAGE = `usage: npm run hart -- [--trace] [--stats] [--jit on|off] [--jit-threshold N] [--limit N] [--ram MiB] prog.elf [args...]
  --trace      print every instruction (pc, bits, disassembly) on stderr
  --stats      print instructions retired, seconds and MIPS on stderr (and the JIT's units)
  --jit on|off compile hot code to WebAssembly (default on; off: the interpreter; see docs/hart.md "JIT")
  --jit-threshold N   runs that make a block hot (default ${JIT_DEFAULT_THRESHOLD}; 1 compiles every block)
  --limit N    stop after N instructions
  --ram MiB    guest RAM (default 64)`;

function fail(message: string, code: number): never {
  process.stderr.write(`hart: ${message}\n`);
  process.exit(code);
}

function main(argv: string[]): void {
  let trace = false;
  let stats = false;
  let limit: bigint | undefined;
  let ramMiB = 64;
  let jit = true;
  let jitThreshold = JIT_DEFAULT_THRESHOLD;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--trace") trace = true;
    else if (a === "--stats") stats = true;
    else if (a === "--jit") {
      const v = argv[++i];
      if (v !== "on" && v !== "off") fail(`--jit needs on or off\n${USAGE}`, 2);
      jit = v === "on";
    } else if (a === "--jit-threshold") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 1e9) fail(`--jit-threshold needs a number of runs from 1\n${USAGE}`, 2);
      jitThreshold = v;
    } else if (a === "--limit") {
      const v = argv[++i];
      if (!v || !/^\d+$/.test(v)) fail(`--limit needs a number of instructions\n${USAGE}`, 2);
      limit = BigInt(v);
    } else if (a === "--ram") {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 8 || v > 2048) fail(`--ram needs a size in MiB between 8 and 2048\n${USAGE}`, 2);
      ramMiB = v;
    } else if (a === "--help" || a === "-h") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else if (a.startsWith("--")) fail(`unknown option ${a}\n${USAGE}`, 2);
    else break;
  }
  const path = argv[i];
  if (!path) fail(`no program given\n${USAGE}`, 2);
  let elf: Uint8Array;
  try {
    elf = new Uint8Array(readFileSync(path));
  } catch (e) {
    fail(`cannot read ${path}: ${(e as Error).message}`, 2);
  }
  const args = [path, ...argv.slice(i + 1)];

  const traceLines: string[] = [];
  const flushTrace = (): void => {
    if (traceLines.length) process.stderr.write(traceLines.join(""));
    traceLines.length = 0;
  };
  try {
    const result = runBare(elf, {
      args,
      limit,
      ramBytes: ramMiB * 1024 * 1024,
      jit: jit && !trace ? jitThreshold : false,
      onWrite: (fd, bytes) => {
        flushTrace();
        (fd === 2 ? process.stderr : process.stdout).write(bytes);
      },
      onStep: trace
        ? (pc, bits) => {
            const width = (bits & 3) === 3 ? 8 : 4;
            traceLines.push(`${pc.toString(16).padStart(8, "0")}  ${bits.toString(16).padStart(width, "0").padEnd(8)}  ${disassemble(bits)}\n`);
            if (traceLines.length >= 4096) flushTrace();
          }
        : undefined,
    });
    flushTrace();
    if (stats) {
      const mips = result.seconds > 0 ? Number(result.instret) / result.seconds / 1e6 : 0;
      process.stderr.write(`hart: ${result.instret} instructions in ${result.seconds.toFixed(3)} s, ${mips.toFixed(1)} MIPS\n`);
      if (result.jit) {
        const share = result.instret > 0n ? Number(result.jit.insns * 10000n / result.instret) / 100 : 0;
        process.stderr.write(`hart: JIT ${result.jit.units} units (${result.jit.bytes} bytes, ${result.jit.compileMs.toFixed(1)} ms compiling), ${share}% of instructions retired in them\n`);
      }
    }
    if (result.fault) fail(`program killed: ${result.fault.message}`, 1);
    if (result.limited) fail(`stopped after the limit of ${limit} instructions`, 3);
    const status = result.exitStatus ?? 0;
    process.stderr.write(`hart: exit status ${status}\n`);
    process.exitCode = status & 0xff;
  } catch (e) {
    if (e instanceof ElfError) fail(`${path}: ${e.message}`, 2);
    if (e instanceof BareSetupError) fail(`${path}: ${e.message}`, 2);
    throw e;
  }
}

main(process.argv.slice(2));
