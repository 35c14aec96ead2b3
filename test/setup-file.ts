// Before each test file: its own database (copied from the run's template) and its own Redis prefix.
import { afterAll, inject } from "vitest";
import { resetEnvForTests } from "../server/env";
import { createFromTemplate, databaseUrl } from "./support/test-databases";

const runId = inject("runId");
const fileId = Math.random().toString(36).slice(2, 10);
const name = `pier_t_${runId}_${fileId}`;
await createFromTemplate(name, inject("templateDb"));

process.env.DATABASE_URL = databaseUrl(name);
process.env.REDIS_PREFIX = `pier-test-${runId}-${fileId}`;
process.env.REDIS_URL ??= "redis://127.0.0.1:6379";
process.env.LOG_LEVEL = "silent";
resetEnvForTests();

afterAll(async () => {
  const { disconnectDb } = await import("../server/db");
  const { closeQueues } = await import("../server/platform/queues");
  await closeQueues();
  await disconnectDb();
});
