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
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["server/**/*.ts", "workers/**/*.ts"],
      // Test support never counts toward coverage: shared helpers in test/support/**, domain-local ones in **/test-support/**, and fixture modules.
      exclude: ["**/*.test.ts", "test/support/**", "**/test-support/**", "**/test-fixtures.ts", "**/*-fixtures.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 80 },
    },
  },
});
