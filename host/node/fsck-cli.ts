// fsck on the command line (host/fs/fsck.ts).
//
//   tsx host/node/fsck-cli.ts [--recover] [--quiet] IMAGE
//   tsx host/node/fsck-cli.ts --repair IMAGE
//
// Exit status: 0 clean, 1 problems found (after --repair: problems it could
// not mend), 2 unreadable (no such file, or no usable superblock). --recover
// checks the image as the kernel would see it after its log recovery; the
// file is not changed. --repair mends what it can (host/fs/fsck.ts repair)
// and writes the result back to the file, printing each change.

import { readFileSync, writeFileSync } from "node:fs";
import { fsck, repair } from "../fs/fsck.js";

export const FSCK_USAGE = "usage: fsck-cli [--recover] [--quiet] IMAGE | fsck-cli --repair IMAGE\n";
export const EXIT_CLEAN = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_UNREADABLE = 2;

function main(argv: string[]): number {
  const flags = argv.filter((a) => a.startsWith("--"));
  const paths = argv.filter((a) => !a.startsWith("--"));
  const unknown = flags.filter((f) => f !== "--recover" && f !== "--quiet" && f !== "--repair");
  if (unknown.length > 0 || paths.length !== 1) {
    process.stderr.write(unknown.length > 0 ? `fsck: unknown option "${unknown[0]}"\n${FSCK_USAGE}` : FSCK_USAGE);
    return EXIT_UNREADABLE;
  }
  const path = paths[0]!;
  let image: Uint8Array;
  try {
    image = readFileSync(path);
  } catch (error) {
    process.stderr.write(`fsck: cannot read ${path}: ${(error as Error).message}\n`);
    return EXIT_UNREADABLE;
  }
  if (flags.includes("--repair")) {
    let mended;
    try {
      mended = repair(image);
    } catch (error) {
      process.stdout.write(`${path}: ${(error as Error).message}\n`);
      return EXIT_UNREADABLE;
    }
    for (const change of mended.fixed) process.stdout.write(`${path}: repaired: ${change}\n`);
    if (mended.fixed.length > 0) writeFileSync(path, mended.image);
    for (const problem of mended.after.problems) process.stdout.write(`${path}: still: ${problem}\n`);
    process.stdout.write(`${path}: ${mended.fixed.length} repairs; ${mended.after.ok ? "clean" : `${mended.after.problems.length} problems left`}\n`);
    return mended.after.ok ? EXIT_CLEAN : EXIT_PROBLEMS;
  }
  const result = fsck(image, { recover: flags.includes("--recover") });
  for (const problem of result.problems) process.stdout.write(`${path}: ${problem}\n`);
  if (!result.readable) return EXIT_UNREADABLE;
  const s = result.stats;
  if (!flags.includes("--quiet") || !result.ok) {
    process.stdout.write(
      `${path}: ${result.ok ? "clean" : `${result.problems.length} problems`}; ${s.files} files, ${s.directories} directories, ` +
        `${s.devices} devices, ${s.inodesUsed}/${s.ninodes - 1} inodes, ${s.dataBlocksUsed}/${s.dataBlocks} data blocks in use` +
        (s.recovered > 0 ? `, ${s.recovered} log blocks installed` : "") + "\n",
    );
  }
  return result.ok ? EXIT_CLEAN : EXIT_PROBLEMS;
}

if (process.argv[1] && /fsck-cli\.ts$/.test(process.argv[1])) process.exitCode = main(process.argv.slice(2));
