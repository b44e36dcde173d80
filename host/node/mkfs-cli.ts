// mkfs on the command line: writes a Keel file system image (host/fs/mkfs.ts).
//
//   tsx host/node/mkfs-cli.ts --out IMG [--blocks N] [--inodes N] [--log N] [--no-sparse] FILE...
//   tsx host/node/mkfs-cli.ts --default        (npm run build:disk)
//
// FILE is a path (stored in the root under its base name) or NAME=PATH
// (NAME may hold '/': "etc/motd=notes.txt"). --default takes every program
// in user/bin/ (every file there but bootfs.img and the *.debug copies) and user/fs/README, and
// writes build/disk.img; paths are from the repository root, wherever it
// runs. The image holds only the disk's used prefix: the rest is zeros.

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BLOCK_SIZE, DEFAULT_BLOCKS, DEFAULT_INODES, DEFAULT_LOG_BLOCKS } from "../fs/format.js";
import { mkfs, MkfsError, type MkfsFile } from "../fs/mkfs.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DEFAULT_IMAGE = "build/disk.img";
/** Files in user/bin/ that are not programs. */
const NOT_PROGRAMS = new Set(["bootfs.img"]);
/** The unstripped copies for gdb (user/build.mjs): not for the disk. */
const DEBUG_SUFFIX = ".debug";

export const MKFS_USAGE = `usage: mkfs-cli --out IMG [options] FILE...
       mkfs-cli --default [--out IMG]
  --out PATH     image to write (with --default: ${DEFAULT_IMAGE})
  --blocks N     disk size in 4096-byte blocks (default ${DEFAULT_BLOCKS})
  --inodes N     inode table size (default ${DEFAULT_INODES})
  --log N        log blocks, header included (default ${DEFAULT_LOG_BLOCKS})
  --no-sparse    store all-zero blocks instead of leaving holes
  --default      the programs in user/bin/ and user/fs/README
FILE is PATH (named by its base name) or NAME=PATH (NAME may contain '/').
`;

export interface MkfsArgs {
  out: string | null;
  blocks?: number;
  inodes?: number;
  logBlocks?: number;
  sparse: boolean;
  defaults: boolean;
  help: boolean;
  /** [name in the file system, host path] */
  files: [string, string][];
}

export function parseMkfsArgs(argv: string[]): MkfsArgs {
  const args: MkfsArgs = { out: null, sparse: true, defaults: false, help: false, files: [] };
  const count = (flag: string, text: string | undefined): number => {
    if (text === undefined || !/^\d+$/.test(text)) throw new MkfsError(`${flag} needs a whole number`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case "--out": {
        const out = argv[++i];
        if (out === undefined) throw new MkfsError("--out needs a path");
        args.out = out;
        break;
      }
      case "--blocks": args.blocks = count(arg, argv[++i]); break;
      case "--inodes": args.inodes = count(arg, argv[++i]); break;
      case "--log": args.logBlocks = count(arg, argv[++i]); break;
      case "--no-sparse": args.sparse = false; break;
      case "--default": args.defaults = true; break;
      case "--help": case "-h": args.help = true; break;
      default: {
        if (arg.startsWith("--")) throw new MkfsError(`unknown option "${arg}"`);
        const eq = arg.indexOf("=");
        args.files.push(eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [basename(arg), arg]);
      }
    }
  }
  if (!args.help && !args.defaults && args.out === null) throw new MkfsError("--out is required (or --default)");
  return args;
}

/** The default disk's contents: [name, path] for user/bin's programs and user/fs/README. */
export function defaultFiles(root: string = REPO_ROOT): [string, string][] {
  const bin = join(root, "user/bin");
  const programs = readdirSync(bin)
    .filter((name) => !name.startsWith(".") && !NOT_PROGRAMS.has(name) && !name.endsWith(DEBUG_SUFFIX) && statSync(join(bin, name)).isFile())
    .sort()
    .map((name): [string, string] => [name, join(bin, name)]);
  return [...programs, ["README", join(root, "user/fs/README")]];
}

function main(argv: string[]): number {
  let args: MkfsArgs;
  try {
    args = parseMkfsArgs(argv);
  } catch (error) {
    process.stderr.write(`mkfs: ${(error as Error).message}\n${MKFS_USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(MKFS_USAGE);
    return 0;
  }
  const sources = args.defaults ? [...defaultFiles(), ...args.files] : args.files;
  const out = args.out ?? join(REPO_ROOT, DEFAULT_IMAGE);
  try {
    const files: MkfsFile[] = sources.map(([name, path]) => ({ name, data: readFileSync(path) }));
    const image = mkfs({ blocks: args.blocks, inodes: args.inodes, logBlocks: args.logBlocks, sparse: args.sparse, files });
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, image);
    const disk = (args.blocks ?? DEFAULT_BLOCKS) * BLOCK_SIZE;
    process.stdout.write(
      `${out}: ${files.length} files, ${image.length / BLOCK_SIZE} blocks written (${(image.length / 2 ** 20).toFixed(1)} MiB) of a ${disk / 2 ** 20} MiB disk\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`mkfs: ${(error as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && /mkfs-cli\.ts$/.test(process.argv[1])) process.exitCode = main(process.argv.slice(2));
