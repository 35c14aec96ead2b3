// dependency-cruiser: Pier's module boundaries. Run with `npm run lint:deps` (also part of `npm test`'s lint step).
//
// What counts as test code (never a production dependency, never part of the domain graph):
//   *.test.ts, anything under test/ or e2e/, any test-support/ folder, test-fixtures.ts and *-fixtures.ts.
// Test code is cruised (so a production import of it is seen) but "doNotFollow": its own imports add no edges,
// so a test helper that builds data in two domains does not create a domain cycle.
const TEST_CODE = ["\\.test\\.tsx?$", "^test/", "^e2e/", "(^|/)test-support/", "(^|/)test-fixtures\\.ts$", "-fixtures\\.ts$"];
// Test support a production module must not import.
const TEST_SUPPORT = ["^test/support/", "(^|/)test-support/", "\\.test\\.tsx?$", "(^|/)test-fixtures\\.ts$", "-fixtures\\.ts$"];
// Benchmarks are dev tooling, not production: bench-notify starts the tests' private Redis (test/support/redis-server).
const NOT_PRODUCTION = [...TEST_CODE, "^scripts/bench-"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-domain-cycles",
      severity: "error",
      comment:
        "(a) Domain folders under server/ must not depend on each other in a cycle (server/A/… → server/B/… → … → server/A/…). " +
        "Checked on folders: the edge shown is one step of the cycle; break it by moving the shared piece down into a lower-level module " +
        "or by inverting the dependency (events/subscribers, passing a function in). Test code does not count.",
      scope: "folder",
      from: { path: "^server/([^/]+)" },
      to: { path: "^server/[^/]+", pathNot: "^server/$1(/|$)", circular: true },
    },
    {
      name: "no-test-support-in-production",
      severity: "error",
      comment:
        "(b) Production code never imports test support (test/support/**, **/test-support/**, *.test.ts, test-fixtures.ts, *-fixtures.ts). " +
        "Move what production needs out of the test helper, or move the importer into test code.",
      from: { pathNot: NOT_PRODUCTION },
      to: { path: TEST_SUPPORT },
    },
    {
      name: "no-domain-internals-from-app-or-workers",
      severity: "error",
      comment:
        "(c) app/ and workers/ reach a domain only through its public modules: not a *-store.ts file and nothing under server/<domain>/internal/. " +
        "Call the domain's public module (router, service functions) instead.",
      from: { path: "^(app|workers)/" },
      to: { path: ["^server/.+-store\\.ts$", "^server/[^/]+/internal/"] },
    },
    {
      name: "no-db-from-app",
      severity: "error",
      comment: "(c) app/ never imports server/db directly: go through a server/ module (a domain function or the tRPC caller) that owns the query.",
      from: { path: "^app/" },
      to: { path: "^server/db/" },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules", "^generated/", ...TEST_CODE] },
    exclude: { path: ["^node_modules/", "^\\.next/", "^generated/", "^coverage/", "^test-results/", "^playwright-report/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
