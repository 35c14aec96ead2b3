// BullMQ on Redis Cluster (a one-node cluster owning every slot: Redis refuses a script whose keys hash to different
// slots even then). Without a hash tag a queue's keys spread over slots and BullMQ's scripts fail with CROSSSLOT;
// with REDIS_CLUSTER=true the prefix is wrapped as `{pier}` and the outbox → queue → worker path works.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { resetEnvForTests } from "../env";
import { dispatchOutbox, writeOutbox, type OutboxJobData } from "../bus/outbox";
import { closeQueues, producerConnection, queuePrefix, workerConnection } from "./queues";

let node: ChildProcess;
let dir: string;
let url: string;
const saved = { url: process.env.REDIS_URL, cluster: process.env.REDIS_CLUSTER };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function untilOk(check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error("redis cluster node did not come up");
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const port = await freePort();
  dir = mkdtempSync(path.join(tmpdir(), "pier-cluster-"));
  node = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--cluster-enabled",
      "yes",
      // Without it a lone node reports its address as "" and clients cannot follow the slot map.
      "--cluster-announce-ip",
      "127.0.0.1",
      "--cluster-config-file",
      "nodes.conf",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdio: "ignore" },
  );
  url = `redis://127.0.0.1:${port}`;
  const admin = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  admin.on("error", () => undefined);
  await untilOk(async () => (await admin.connect().then(() => admin.ping())) === "PONG");
  await admin.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  await untilOk(async () => String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok"));
  admin.disconnect();
  process.env.REDIS_URL = url;
  process.env.REDIS_CLUSTER = "true";
  resetEnvForTests();
  await closeQueues();
});

afterAll(async () => {
  await closeQueues();
  process.env.REDIS_URL = saved.url;
  if (saved.cluster === undefined) delete process.env.REDIS_CLUSTER;
  else process.env.REDIS_CLUSTER = saved.cluster;
  resetEnvForTests();
  node.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("BullMQ on Redis Cluster", () => {
  it("wraps the prefix in a hash tag once, and only on a cluster", () => {
    expect(queuePrefix({ REDIS_PREFIX: "pier", REDIS_CLUSTER: true })).toBe("{pier}");
    expect(queuePrefix({ REDIS_PREFIX: "{pier}", REDIS_CLUSTER: true })).toBe("{pier}");
    expect(queuePrefix({ REDIS_PREFIX: "pier-{prod}", REDIS_CLUSTER: true })).toBe("pier-{prod}");
    expect(queuePrefix({ REDIS_PREFIX: "pier", REDIS_CLUSTER: false })).toBe("pier");
  });

  it("without the hash tag BullMQ's scripts are refused (CROSSSLOT)", async () => {
    const queue = new Queue("untagged", { connection: producerConnection(), prefix: "pier-untagged" });
    queue.on("error", () => undefined);
    try {
      await expect(queue.add("x", {})).rejects.toThrow(/CROSSSLOT/);
    } finally {
      await queue.close();
    }
  });

  it("carries an outbox row through the cluster to a worker", async () => {
    const prefix = queuePrefix();
    expect(prefix).toMatch(/^\{.+\}$/);
    const received: string[] = [];
    const worker = new Worker<OutboxJobData>("test-cluster", async (job) => void received.push(job.data.outboxId), { connection: workerConnection(), prefix });
    worker.on("error", () => undefined);
    try {
      const row = await transaction(getDb(), async (tx) => writeOutbox(tx, { queue: "test-cluster", type: "test.cluster", payload: {} }));
      const result = await dispatchOutbox(getDb());
      expect(result.error).toBeUndefined();
      const deadline = Date.now() + 10_000;
      while (!received.includes(row.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(received).toEqual([row.id]);
      // A re-dispatch of the same row goes through the replace path (job state lookup, remove, add) on the cluster too.
      const again = await dispatchOutbox(getDb(), { redeliverAfterMs: 0 });
      expect(again.error).toBeUndefined();
    } finally {
      await worker.close();
    }
  });
});
