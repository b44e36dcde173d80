// npm test's closing line counts every failure, including a test file that
// cannot be loaded (the fresh-machine CI failure: three files failed to link
// their native helpers, ran no test, and the line said "0 failed").
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
// @ts-expect-error: a plain ES module of the build scripts, without types
import { countPlaywright, countVitest, summaryLine } from "./summary.mjs";

const VITEST = resolve("node_modules/vitest/vitest.mjs");

/** Runs the real Vitest on a folder of test files and returns its JSON report. */
function vitestReport(files: Record<string, string>): { report: unknown; ok: boolean } {
  const dir = mkdtempSync(join(tmpdir(), "keel-summary-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, "vitest.config.mjs"), "export default { test: { include: ['*.test.mjs'] } };\n");
    const out = join(dir, "report.json");
    const r = spawnSync(process.execPath, [VITEST, "run", "--root", dir, "--reporter=json", `--outputFile.json=${out}`], { encoding: "utf8" });
    return { report: JSON.parse(readFileSync(out, "utf8")), ok: r.status === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("npm test summary", () => {
  it("counts a test file that fails to load as a failure", () => {
    const { report, ok } = vitestReport({
      "good.test.mjs": "import { it, expect } from 'vitest'; it('adds', () => expect(1 + 1).toBe(2));\n",
      "broken.test.mjs": "throw new Error('cannot find libclang_rt.asan_static');\n",
    });
    expect(ok).toBe(false);
    const counts = countVitest(report, ok);
    expect(counts).toEqual({ passed: 1, failed: 1, skipped: 0 });
    expect(summaryLine([counts])).toBe("1 passed, 1 failed, 0 skipped");
  });

  it("counts failed tests once, not once more for their file", () => {
    const { report, ok } = vitestReport({
      "mixed.test.mjs": "import { it, expect } from 'vitest'; it('a', () => expect(1).toBe(2)); it('b', () => expect(1).toBe(2)); it('c', () => {});\n",
    });
    expect(countVitest(report, ok)).toEqual({ passed: 1, failed: 2, skipped: 0 });
  });

  it("counts a runner that failed with nothing reported", () => {
    expect(countVitest(null, false).failed).toBe(1);
    expect(countPlaywright(null, false).failed).toBe(1);
    expect(countPlaywright(null, true)).toEqual({ passed: 0, failed: 0, skipped: 0 });
  });

  it("counts browser-test errors outside any test (a failed web server, a global setup)", () => {
    const report = { stats: { expected: 3, flaky: 1, unexpected: 0, skipped: 2 }, errors: [{ message: "webServer exited" }] };
    expect(countPlaywright(report, false)).toEqual({ passed: 4, failed: 1, skipped: 2 });
  });

  it("adds the parts: a failed step makes the line say failed", () => {
    expect(summaryLine([{ passed: 5, failed: 0, skipped: 1 }, { passed: 0, failed: 1, skipped: 0 }])).toBe("5 passed, 1 failed, 1 skipped");
  });
});
