import { describe, expect, it } from "vitest";
import { getDb, sql } from "../db";
import { as, makeWorld, requestInput } from "../../test/support/deployment-world";
import { asSuperuser } from "../../test/support/audit-tampering";
import { uid } from "../../test/support/factories";
import { runDeployment } from "./execution";
import { csvCell } from "./evidence";

describe("compliance evidence, audit page and inbox", () => {
  it("exports one deployment's change record as JSON and CSV with the audit-chain result", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 2 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0", { ticketKey: "PAY-7" }));
    await (await as(w.approver1)).approvals.decide({ requestId: id, decision: "approve", comment: "looks fine" });
    await (await as(w.approver2)).approvals.decide({ requestId: id, decision: "approve" });
    await runDeployment(getDb(), id, { sleep: async () => undefined });
    const admin = await as(w.admin);

    const json = await admin.deployments.exportEvidence({ requestId: id, format: "json" });
    expect(json).toMatchObject({ contentType: "application/json", auditChainOk: true, count: 1, filename: expect.stringMatching(/^pier-evidence-.*\.json$/) });
    const doc = JSON.parse(json.body);
    expect(doc.auditChain).toMatchObject({ ok: true, checked: expect.any(Number) });
    const rec = doc.records[0];
    expect(rec).toMatchObject({
      requestId: id,
      version: "1.1.0",
      previousVersion: "1.0.0",
      ticketKey: "PAY-7",
      outcome: "succeeded",
      approvalsRequired: 2,
      breakGlass: false,
      policy: { requiredApprovals: 2 },
      promotionGate: { ok: true, bypassed: false, gate: null, reason: expect.stringContaining("first stage") },
    });
    expect(rec.requestedBy).toContain(w.developer.email);
    expect(rec.approvals.map((a: { approver: string; comment: string }) => [a.approver.includes(w.approver1.email), a.comment])).toEqual([
      [true, "looks fine"],
      [false, ""],
    ]);
    expect(rec.auditTrail.map((a: { action: string }) => a.action)).toEqual([
      "deployment.created",
      "deployment.pending_approval",
      "approval.recorded",
      "approval.recorded",
      "deployment.approved",
      "deployment.queued",
      "deployment.deploying",
      "deployment.succeeded",
    ]);

    const csv = await admin.deployments.exportEvidence({ requestId: id, format: "csv" });
    const [header, row, trailing] = csv.body.split("\r\n");
    expect(header.split(",")).toContain("audit_chain_ok");
    expect(row).toContain(id);
    expect(row).toContain("PAY-7");
    expect(row).toMatch(/,succeeded,/);
    expect(row).toContain(",passed: dev is the first stage for this service,");
    expect(row.endsWith(`,true,${doc.auditChain.checked}`)).toBe(true);
    expect(trailing).toBe("");

    const range = await admin.deployments.exportEvidence({ from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000), format: "json" });
    expect(JSON.parse(range.body).records.map((r: { requestId: string }) => r.requestId)).toContain(id);
    await expect(admin.deployments.exportEvidence({ from: new Date(), to: new Date(Date.now() - 1), format: "csv" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(admin.deployments.exportEvidence({ requestId: "missing", format: "csv" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("keeps the promotion gate's verdict as it stood at the request, and a break-glass that went around it", async () => {
    const w = await makeWorld();
    const rank = -20e6 - Math.floor(Math.random() * 1e6);
    const pre = await getDb().environment.create({ data: { name: `pre-${uid()}`, rank } });
    const live = await getDb().environment.create({ data: { name: `live-${uid()}`, rank: rank + 1 } });
    for (const env of [pre, live])
      await getDb().serviceEnvironment.create({ data: { serviceId: w.service.id, environmentId: env.id, currentVersion: "1.0.0" } });
    await getDb().promotionGate.create({ data: { environmentId: live.id, soakMinutes: 0, requiredEvidence: ["artifact.signed"] } });
    const input = { ...requestInput(w, "dev", "2.0.0"), environmentId: live.id };
    // Refused by the gate through the ordinary path; an approver's break-glass goes around it, and the evidence says so.
    await expect((await as(w.developer)).deployments.create(input)).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    const { id } = await (await as(w.approver1)).deployments.breakGlass({ ...input, reason: "Card payments are down in every region" });
    // A request made before verdicts were recorded (no creation record): "not recorded", never a guess.
    const old = await getDb().deploymentRequest.create({
      data: { serviceId: w.service.id, environmentId: live.id, version: "1.0.0", requesterId: w.developer.id, status: "succeeded", finishedAt: new Date() },
    });
    const admin = await as(w.admin);

    const doc = JSON.parse((await admin.deployments.exportEvidence({ requestId: id, format: "json" })).body);
    expect(doc.records[0].promotionGate).toEqual({
      ok: false,
      bypassed: true,
      reason: `2.0.0 may not enter ${live.name} yet: it passed in 0 of 1 ${pre.name} target(s), 1 needed; evidence missing: artifact.signed.`,
      gate: { targets: { passed: 0, required: 1, total: 1 }, soakUntil: null, evidence: [{ kind: "artifact.signed", ok: false }] },
    });
    const [, row] = (await admin.deployments.exportEvidence({ requestId: id, format: "csv" })).body.split("\r\n");
    expect(row).toContain(`bypassed by break-glass: 2.0.0 may not enter ${live.name} yet`);
    expect(row).toContain("[targets 0/1 of 1; artifact.signed missing]");

    expect(JSON.parse((await admin.deployments.exportEvidence({ requestId: old.id, format: "json" })).body).records[0].promotionGate).toBeNull();
    const [, oldRow] = (await admin.deployments.exportEvidence({ requestId: old.id, format: "csv" })).body.split("\r\n");
    expect(oldRow).toContain(",not recorded,");
  });

  it("reports a tampered audit chain in the export", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    const tamper = sql`UPDATE "AuditEvent" SET "actorLabel" = 'mallory' WHERE "subjectId" = ${id} AND action = 'deployment.created'`;
    // The database refuses it (append-only trigger); a superuser goes around the trigger, and the export shows it.
    await expect(tamper.execute(getDb().kysely)).rejects.toThrow(/append-only/);
    await asSuperuser((tx) => tamper.execute(tx));
    const out = await (await as(w.admin)).deployments.exportEvidence({ requestId: id, format: "json" });
    expect(out.auditChainOk).toBe(false);
    expect(JSON.parse(out.body).auditChain).toMatchObject({
      ok: false,
      problem: "modified",
      brokenAtSeq: expect.any(String),
      record: { action: "deployment.created", subjectId: id },
    });
  });

  it("quotes CSV cells and defuses spreadsheet formulas", () => {
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell(null)).toBe("");
  });

  it("lists audit events with filters and a cursor", async () => {
    const w = await makeWorld({ policies: { dev: { requiredApprovals: 1 } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "dev", "1.1.0"));
    const approver = await as(w.approver1);
    const bySubject = await approver.audit.events({ subjectId: id });
    expect(bySubject.items.map((e) => e.action)).toEqual(["deployment.pending_approval", "deployment.created"]);
    expect((await approver.audit.events({ subjectId: id, action: "deployment.created" })).items).toHaveLength(1);
    expect((await approver.audit.events({ actor: w.developer.name.toUpperCase() })).items.length).toBeGreaterThanOrEqual(2);
    const first = await approver.audit.events({ subjectId: id, limit: 1 });
    const next = await approver.audit.events({ subjectId: id, limit: 1, cursor: first.nextCursor! });
    expect(next.items[0].action).toBe("deployment.created");
  });

  it("the inbox splits mine from waiting-on-others and shows change, progress, failures and risk", async () => {
    const w = await makeWorld({ policies: { prod: { requiredApprovals: 2, allowSkipPromotion: true } } });
    const { id } = await (await as(w.developer)).deployments.create(requestInput(w, "prod", "2.0.0"));
    await getDb().deploymentRequest.create({
      data: { serviceId: w.service.id, environmentId: w.envs.prod.id, version: "0.9.0", requesterId: w.developer.id, status: "failed", finishedAt: new Date() },
    });
    const alexInbox = await (await as(w.approver1)).approvals.inbox({ list: "mine", limit: 100 });
    const item = alexInbox.items.find((i) => i.id === id)!;
    expect(item).toMatchObject({ currentVersion: "1.0.0", version: "2.0.0", progress: { approvals: 0, required: 2 }, recentFailures: 1, canDecide: true });
    expect(item.risk.reasons.map((r) => r.factor)).toEqual(expect.arrayContaining(["environment", "tier", "version"]));
    await (await as(w.approver1)).approvals.decide({ requestId: id, decision: "approve" });
    const after = await (await as(w.approver1)).approvals.inbox({ list: "others", limit: 100 });
    expect(after.items.find((i) => i.id === id)).toMatchObject({ canDecide: false, whyNot: "You already approved", progress: { approvals: 1, required: 2 } });
    const danaInbox = await (await as(w.developer)).approvals.inbox({ list: "others", limit: 100 });
    expect(danaInbox.items.find((i) => i.id === id)?.whyNot).toMatch(/you cannot approve it/);
  });

  it("admins manage policies and freeze windows, audited; clashing scopes are refused", async () => {
    const w = await makeWorld();
    const sam = await as(w.admin);
    const formOptions = await sam.approvals.policyFormOptions();
    expect(formOptions.services.map((s) => s.id)).toContain(w.service.id);
    await expect((await as(w.approver1)).approvals.policyFormOptions()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const p = await sam.approvals.savePolicy({ name: "Staging", environmentId: w.envs.staging.id, requiredApprovals: 1, approverRole: "approver" });
    await expect(
      sam.approvals.savePolicy({ name: "Staging 2", environmentId: w.envs.staging.id, requiredApprovals: 2, approverRole: "approver" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", cause: { field: "name" } });
    await expect(sam.approvals.savePolicy({ name: "Nobody", environmentId: w.envs.dev.id, requiredApprovals: 1, approverRole: null })).rejects.toMatchObject({
      cause: { field: "approverRole" },
    });
    await sam.approvals.savePolicy({ id: p.id, name: "Staging", environmentId: w.envs.staging.id, requiredApprovals: 3, approverRole: "approver" });
    const fw = await sam.approvals.addFreezeWindow({
      environmentId: w.envs.prod.id,
      kind: "weekly",
      daysOfWeek: [5],
      startTime: "16:00",
      endTime: "08:00",
      timeZone: "Europe/Berlin",
      reason: "Weekend",
    });
    const listed = await (await as(w.developer)).approvals.policies();
    const staging = listed.find((e) => e.name === "staging")!;
    expect(staging.policies.map((x) => x.requiredApprovals)).toEqual([3]);
    expect(listed.find((e) => e.name === "prod")!.freezeWindows.map((f) => f.reason)).toEqual(["Weekend"]);
    await sam.approvals.deleteFreezeWindow({ id: fw.id });
    await sam.approvals.deletePolicy({ id: p.id });
    await expect(sam.approvals.deletePolicy({ id: p.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const actions = (await getDb().auditEvent.findMany({ where: { subjectType: { in: ["approval_policy", "freeze_window"] } }, orderBy: { seq: "asc" } })).map(
      (a) => a.action,
    );
    expect(actions).toEqual(["policy.created", "policy.updated", "freeze_window.created", "freeze_window.deleted", "policy.deleted"]);
  });
});
