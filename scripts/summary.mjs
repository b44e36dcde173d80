// Counting for `npm test`'s closing line, from the runners' JSON reports.
// Every failure counts: a failed test, a test file that failed outside any
// test (it could not be loaded, or a hook failed: Vitest's test count misses
// it), an error of the browser-test run outside any test, and a runner that
// exited non-zero with nothing counted (its report missing or silent).

/** Test files that failed without a failing test in them. */
function vitestFilesFailedOutsideTests(report) {
  return (report.testResults ?? []).filter((file) =>
    file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed")).length;
}

/** Counts of a Vitest JSON report (or null when none was written). */
export function countVitest(report, exitedOk) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  if (report) {
    counts.passed = report.numPassedTests ?? 0;
    counts.failed = (report.numFailedTests ?? 0) + vitestFilesFailedOutsideTests(report);
    counts.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
  if (!exitedOk && counts.failed === 0) counts.failed = 1;
  return counts;
}

/** Counts of a Playwright JSON report (or null when none was written). */
export function countPlaywright(report, exitedOk) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  if (report?.stats) {
    counts.passed = report.stats.expected + report.stats.flaky;
    counts.failed = report.stats.unexpected + (report.errors?.length ?? 0);
    counts.skipped = report.stats.skipped;
  }
  if (!exitedOk && counts.failed === 0) counts.failed = 1;
  return counts;
}

/** The closing line: "N passed, N failed, N skipped". */
export function summaryLine(parts) {
  const sum = (key) => parts.reduce((n, p) => n + p[key], 0);
  return `${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`;
}
