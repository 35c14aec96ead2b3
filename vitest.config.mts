import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    include: ["server/**/*.test.ts", "workers/**/*.test.ts", "test/**/*.test.ts", "prisma/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-file.ts"],
    // next-auth imports "next/server" without an extension; let Vite resolve it.
    server: { deps: { inline: ["next-auth", "@auth/core"] } },
    pool: "forks",
    // Console output goes straight to the terminal: a client that logs while its test file is torn down (an ioredis
    // reconnect after a private Redis stopped) must not fail the run with "Closing rpc while onUserConsoleLog was pending".
    disableConsoleIntercept: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["server/**/*.ts", "workers/**/*.ts"],
      // Test support lives in test/support/** (one convention) and never counts toward coverage.
      exclude: ["**/*.test.ts", "test/**"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 80 },
    },
  },
});
