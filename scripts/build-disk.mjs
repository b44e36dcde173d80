// Makes the shipped disk image, build/disk.img (`tsx host/node/mkfs-cli.ts
// --default`), only when what it is made from changed: the programs in
// user/bin/, the files in user/fs/ and the mkfs code itself.
// Usage: node scripts/build-disk.mjs [--force]
import { spawnSync } from "node:child_process";
import { filesUnder, inputDigest, isFresh, recordStamp } from "./fresh.mjs";

const IMAGE = "build/disk.img";
const inputs = [
  ...filesUnder("user/bin", (p) => !p.endsWith("bootfs.img")),
  ...filesUnder("user/fs"),
  ...filesUnder("host/fs", (p) => p.endsWith(".ts") && !p.endsWith(".test.ts")),
  "host/node/mkfs-cli.ts",
];
const digest = inputDigest(inputs, null);
if (process.argv.includes("--force") || !isFresh(IMAGE, digest)) {
  const r = spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", "host/node/mkfs-cli.ts", "--default"], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  recordStamp(IMAGE, digest);
}
