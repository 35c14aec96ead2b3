// Backfilled history on the data-quality page: rows that arrived today about things that happened long ago are
// listed by received time (what the backfill brought in) and by event time only over a window reaching back to them.
import { beforeAll, describe, expect, it } from "vitest";
import { getDb, transaction } from "../db";
import { recordDeployment, recordIncident } from "./canonical";
import { dataQualityReport } from "./data-quality";
import { ensureEnvironments } from "../../test/support/dora-fixtures";
import { uid } from "../../test/support/factories";

const DAY = 86_400_000;
const longAgo = new Date(Date.now() - 200 * DAY);
let unknown: string;
let incidentTitle: string;

beforeAll(async () => {
  await ensureEnvironments();
  unknown = `backfilled-${uid()}`;
  incidentTitle = `Backfilled outage ${uid()}`;
  await transaction(getDb(), async (tx) => {
    // A feed replaying last year's history today: a service the catalog does not know, an incident naming none.
    await recordDeployment(tx, {
      source: "backfill",
      externalId: `${unknown}-1`,
      serviceName: unknown,
      environmentName: "prod",
      status: "succeeded",
      deployedAt: longAgo,
    });
    await recordIncident(tx, {
      source: "backfill",
      externalId: `${unknown}-i`,
      title: incidentTitle,
      detectedAt: longAgo,
      resolvedAt: new Date(longAgo.getTime() + 3_600_000),
    });
  });
});

describe("data quality of backfilled history", () => {
  it("lists it by received time, and by event time only over a window that reaches back to it", async () => {
    const yesterday = new Date(Date.now() - DAY);
    const received = await dataQualityReport(getDb(), yesterday, "received");
    expect(received.basis).toBe("received");
    expect(received.unknownServices).toContainEqual(expect.objectContaining({ kind: "deployment", name: unknown, count: 1 }));
    expect(received.deploymentsWithoutChanges.sample.map((d) => d.serviceName)).toContain(unknown);
    expect(received.incidentsWithoutService.map((i) => i.title)).toContain(incidentTitle);

    const recentEvents = await dataQualityReport(getDb(), yesterday, "event");
    expect(recentEvents.unknownServices.map((u) => u.name)).not.toContain(unknown);
    expect(recentEvents.deploymentsWithoutChanges.sample.map((d) => d.serviceName)).not.toContain(unknown);
    expect(recentEvents.incidentsWithoutService.map((i) => i.title)).not.toContain(incidentTitle);

    const yearOfEvents = await dataQualityReport(getDb(), new Date(Date.now() - 365 * DAY), "event");
    expect(yearOfEvents.unknownServices).toContainEqual(expect.objectContaining({ kind: "deployment", name: unknown, count: 1 }));
    expect(yearOfEvents.incidentsWithoutService.map((i) => i.title)).toContain(incidentTitle);
  });
});
