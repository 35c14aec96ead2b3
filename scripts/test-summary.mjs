// Adds up Vitest and Playwright results into the one line CI records: `tests: N passed, N failed`.
// A runner that should have run but left no report counts as one failure.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : null);

const vitest = read("test-results/vitest.json");
if (vitest) {
  passed += vitest.numPassedTests ?? 0;
  failed += vitest.numFailedTests ?? 0;
  // A file that failed to load has no failed tests of its own: count the file.
  if ((vitest.numFailedTests ?? 0) === 0) failed += vitest.numFailedTestSuites ?? 0;
} else {
  failed += 1;
  console.error("no Vitest report (test-results/vitest.json)");
}

const e2e = read("test-results/e2e-results.json");
if (e2e) {
  passed += (e2e.stats?.expected ?? 0) + (e2e.stats?.flaky ?? 0);
  failed += e2e.stats?.unexpected ?? 0;
  if ((e2e.errors ?? []).length > 0 && (e2e.stats?.unexpected ?? 0) === 0) failed += e2e.errors.length;
} else {
  failed += 1;
  console.error("no Playwright report (test-results/e2e-results.json)");
}

// Checks that are not tests (type-check, lint, coverage floor, build) count as failures too, so a red run
// never reads as all-green.
const failedChecks = Number(process.env.PIER_FAILED_CHECKS ?? 0);
if (failedChecks > 0) console.error(`${failedChecks} non-test check(s) failed: ${process.env.PIER_FAILED_NAMES ?? ""}`);
failed += failedChecks;

console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
