// `npm test`: builds the kernel and its test entries, type-checks, runs the
// unit and integration tests (Vitest) and the browser tests (Playwright in
// system Chromium), then prints one summary line for all of them.
// Extra arguments are passed to Vitest (e.g. `npm test -- host/`), and then
// the browser tests are skipped.
import { spawnSync } from "node:child_process";
import { readFileSync, mkdirSync, rmSync } from "node:fs";
import { countPlaywright, countVitest, summaryLine } from "./summary.mjs";

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

/** One failed step (kernel build, disk image, type check) counts once. */
const stepFailure = { passed: 0, failed: 1, skipped: 0 };
const parts = [];
if (!step("kernel build", "node", ["scripts/build-kernel.mjs"])) {
  console.log(`\n${summaryLine([stepFailure])}`);
  process.exit(1);
}
if (!step("disk image", "node", ["scripts/build-disk.mjs"])) parts.push(stepFailure);
if (!step("type check", "npx", ["tsc", "--noEmit", "-p", "tsconfig.json"])) parts.push(stepFailure);

rmSync("build/vitest.json", { force: true });
const unitOk = step("unit and integration tests (vitest)", "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=build/vitest.json", ...extra]);
parts.push(countVitest(readJson("build/vitest.json"), unitOk));

if (extra.length === 0) {
  rmSync("build/playwright.json", { force: true });
  const e2eOk = step("browser tests (playwright, system chromium)", "npx", ["playwright", "test", "--reporter=list,json"],
    { PLAYWRIGHT_JSON_OUTPUT_NAME: "build/playwright.json" });
  parts.push(countPlaywright(readJson("build/playwright.json"), e2eOk));
}
console.log(`\n${summaryLine(parts)}`);
process.exit(parts.some((p) => p.failed > 0) ? 1 : 0);
