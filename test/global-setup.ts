// Once per `vitest run`: a uniquely named, migrated template database and a Redis key prefix for this run.
import path from "node:path";
import IORedis from "ioredis";
import type { TestProject } from "vitest/node";
import { migrate } from "../server/platform/migrations";
import { databaseUrl, dropDatabases, withAdmin } from "./support/test-databases";

declare module "vitest" {
  export interface ProvidedContext {
    runId: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const prefix = `pier_t_${runId}`;
  const templateDb = `${prefix}_tpl`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${templateDb}"`));
  await migrate(databaseUrl(templateDb), path.join(__dirname, "..", "prisma", "migrations"));
  project.provide("runId", runId);
  project.provide("templateDb", templateDb);

  return async () => {
    await dropDatabases(prefix);
    const redis = new IORedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `pier-test-${runId}*`, "COUNT", 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== "0");
    } finally {
      redis.disconnect();
    }
  };
}
