#!/usr/bin/env node
// `keel` command: the headless runner (host/node/boot.ts) through tsx.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx/cli");
const runner = fileURLToPath(new URL("../host/node/boot.ts", import.meta.url));
const result = spawnSync(process.execPath, [tsx, runner, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
