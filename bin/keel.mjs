#!/usr/bin/env node
// `keel` command, through tsx: with no subcommand (or options first) the
// headless runner (host/node/boot.ts); `keel gdb-bridge ...` the bridge
// between gdb and a machine in a browser tab (host/node/gdb-bridge-cli.ts);
// `keel switch ...` an Ethernet switch for runners (host/node/switch-cli.ts).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { NODE_WASM_FLAGS } from "../host/node/wasm-flags.mjs";

const SUBCOMMANDS = { "gdb-bridge": "../host/node/gdb-bridge-cli.ts", switch: "../host/node/switch-cli.ts" };

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx/cli");
const argv = process.argv.slice(2);
const sub = Object.hasOwn(SUBCOMMANDS, argv[0] ?? "") ? argv.shift() : null;
const script = fileURLToPath(new URL(sub === null ? "../host/node/boot.ts" : SUBCOMMANDS[sub], import.meta.url));
// NODE_WASM_FLAGS: V8 flags the runner needs (--no-liftoff, docs/tools.md).
const result = spawnSync(process.execPath, [...NODE_WASM_FLAGS, tsx, script, ...argv], { stdio: "inherit" });
process.exit(result.status ?? 1);
