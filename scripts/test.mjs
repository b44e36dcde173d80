// `npm test`: builds the kernel and its test entries, type-checks, runs the
// unit and integration tests (Vitest) and the browser tests (Playwright in
// system Chromium), then prints one summary line for all of them.
// Extra arguments are passed to Vitest (e.g. `npm test -- host/`), and then
// the browser tests are skipped.
import { spawnSync } from "node:child_process";
import { readFileSync, mkdirSync, rmSync } from "node:fs";

const extra = process.argv.slice(2);
mkdirSync("build", { recursive: true });

function step(label, cmd, args, env = {}) {
  process.stderr.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  return r.status === 0;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

let passed = 0, failed = 0, skipped = 0;
let ok = step("kernel build", "node", ["scripts/build-kernel.mjs"]);
if (!ok) { console.log("0 passed, 1 failed"); process.exit(1); }
ok = step("disk image", "npx", ["tsx", "host/node/mkfs-cli.ts", "--default"]) && ok;
ok = step("type check", "npx", ["tsc", "--noEmit", "-p", "tsconfig.json"]) && ok;
if (!ok) failed++;

rmSync("build/vitest.json", { force: true });
const unitOk = step("unit and integration tests (vitest)", "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=build/vitest.json", ...extra]);
const v = readJson("build/vitest.json");
if (v) { passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + (v.numTodoTests ?? 0); }
else if (!unitOk) failed++;

if (extra.length === 0) {
  rmSync("build/playwright.json", { force: true });
  const e2eOk = step("browser tests (playwright, system chromium)", "npx", ["playwright", "test", "--reporter=list,json"],
    { PLAYWRIGHT_JSON_OUTPUT_NAME: "build/playwright.json" });
  const p = readJson("build/playwright.json");
  if (p?.stats) { passed += p.stats.expected + p.stats.flaky; failed += p.stats.unexpected; skipped += p.stats.skipped; }
  else if (!e2eOk) failed++;
  ok = ok && e2eOk;
}
ok = ok && unitOk;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
