import { describe, expect, it } from "vitest";
import { getDb } from "../db";
import { assertOutboundUrl, blockedAddressReason, checkOutboundUrl } from "./outbound-url";

const resolveTo = (ips: string[]) => async () => ips;

describe("outbound URL guard", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.20.0.1", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "metadata"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["fd00:ec2::254", "private"],
    ["::ffff:127.0.0.1", "loopback"],
    ["0.0.0.0", "unspecified"],
  ])("blocks %s", (ip, why) => {
    expect(blockedAddressReason(ip)).toContain(why);
  });

  it("allows public addresses", () => {
    expect(blockedAddressReason("140.82.112.3")).toBeNull();
    expect(blockedAddressReason("2606:4700::1111")).toBeNull();
  });

  it("requires https and public resolution unless allow-listed", async () => {
    expect(await checkOutboundUrl("https://hooks.example.com/x", [], resolveTo(["93.184.216.34"]))).toMatchObject({ ok: true });
    expect(await checkOutboundUrl("http://hooks.example.com/x", [], resolveTo(["93.184.216.34"]))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("https"),
    });
    expect(await checkOutboundUrl("https://internal.example.com", [], resolveTo(["10.0.0.5"]))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("private"),
    });
    expect(await checkOutboundUrl("https://user:pw@example.com", [], resolveTo(["93.184.216.34"]))).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("ftp://example.com", [])).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("not a url", [])).toMatchObject({ ok: false, reason: "is not a valid URL" });
    expect(await checkOutboundUrl("https://nx.invalid", [], async () => Promise.reject(new Error("ENOTFOUND")))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("does not resolve"),
    });
    expect(await checkOutboundUrl("http://127.0.0.1:8080/hook", ["127.0.0.1:8080"])).toMatchObject({ ok: true });
    expect(await checkOutboundUrl("http://127.0.0.1:9090/hook", ["127.0.0.1:8080"])).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("https://[::1]/x", [])).toMatchObject({ ok: false });
    expect(await checkOutboundUrl("http://localhost:3001/", ["localhost"])).toMatchObject({ ok: true });
  });

  it("reads the admin allow-list from the database", async () => {
    const db = getDb();
    await expect(assertOutboundUrl(db.kysely, "http://127.0.0.1:4555/x", "webhookUrl")).rejects.toMatchObject({ code: "BAD_REQUEST", field: "webhookUrl" });
    await db.outboundAllowEntry.create({ data: { pattern: "127.0.0.1:4555", reason: "local fake" } });
    expect((await assertOutboundUrl(db.kysely, "http://127.0.0.1:4555/x")).port).toBe("4555");
  });
});
