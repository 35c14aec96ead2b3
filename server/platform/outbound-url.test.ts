import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeVendor } from "@/test/support/fake-http";
import { getDb } from "../db";
import { assertOutboundUrl, blockedAddressReason, canonicalHost, checkOutboundUrl, fetchChecked, pinnedLookup } from "./outbound-url";

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

describe("every spelling of an address is checked as the address it is", () => {
  // Each of these reaches a loopback, private or metadata address; all passed the guard before normalisation.
  it.each([
    ["https://[::ffff:127.0.0.1]/x", "loopback"], // Node's URL rewrites it to [::ffff:7f00:1]
    ["https://[::ffff:7f00:1]/x", "loopback"],
    ["https://[0:0:0:0:0:ffff:7f00:1]/x", "loopback"],
    ["https://[::127.0.0.1]/x", "IPv4-compatible"],
    ["https://[::a9fe:a9fe]/x", "IPv4-compatible"],
    ["https://[64:ff9b::a9fe:a9fe]/x", "link-local / cloud metadata"],
    ["https://[64:ff9b::169.254.169.254]/x", "link-local / cloud metadata"],
    ["https://[::ffff:169.254.169.254]/latest/meta-data/", "link-local / cloud metadata"],
    ["https://[::ffff:0:a00:1]/x", "private"],
    ["https://[2002:a9fe:a9fe::1]/x", "link-local / cloud metadata"],
    ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", "Teredo"],
    ["https://[fd00:ec2::254]/x", "private"],
    ["https://[fec0::1]/x", "site-local"],
    ["https://2130706433/x", "loopback"], // decimal
    ["https://0x7f.0.0.1/x", "loopback"], // hex
    ["https://0177.0.0.1/x", "loopback"], // octal
    ["https://127.1/x", "loopback"], // short form
    ["https://0xa9fea9fe/x", "link-local / cloud metadata"],
    ["https://127.0.0.1./x", "loopback"], // trailing dot
    ["https://[::]/x", "unspecified"],
  ])("refuses %s", async (url, why) => {
    const resolve = async () => {
      throw new Error(`an IP literal must not be resolved (${url})`);
    };
    const result = await checkOutboundUrl(url, [], resolve);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::127.0.0.1", "IPv4-compatible"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["[::1]", "loopback"],
    ["0x7f000001", "loopback"],
    ["10.0.0.1.", "private"],
  ])("blockedAddressReason(%s) names the real address", (ip, why) => {
    expect(blockedAddressReason(ip)).toContain(why);
  });

  it("still allows public addresses in their embedded forms", () => {
    expect(blockedAddressReason("64:ff9b::5db8:d822")).toBeNull(); // NAT64 of 93.184.216.34
    expect(blockedAddressReason("::ffff:93.184.216.34")).toBeNull();
    expect(canonicalHost("[::FFFF:7F00:1]")).toBe("::ffff:7f00:1");
    expect(canonicalHost("Hooks.Example.COM.")).toBe("hooks.example.com");
    expect(canonicalHost("0x7f.1")).toBe("127.0.0.1");
  });

  it("refuses a host name that resolves to a private address in any form", async () => {
    for (const answer of [["10.0.0.5"], ["::ffff:10.0.0.5"], ["93.184.216.34", "::ffff:a9fe:a9fe"], ["64:ff9b::7f00:1"]]) {
      expect(await checkOutboundUrl("https://hooks.example.com/x", [], async () => answer)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/resolves to/),
      });
    }
    expect(await checkOutboundUrl("https://hooks.example.com/x", [], async () => [])).toMatchObject({
      ok: false,
      reason: expect.stringContaining("does not resolve"),
    });
  });

  it("matches the allow-list on the normalised host, and admins can still permit internal hosts", async () => {
    expect(await checkOutboundUrl("http://argocd.internal.:8080/api", ["argocd.internal:8080"], async () => ["10.0.0.7"])).toMatchObject({
      ok: true,
      addresses: ["10.0.0.7"],
    });
    expect(await checkOutboundUrl("http://2130706433:8080/x", ["127.0.0.1:8080"])).toMatchObject({ ok: true, addresses: ["127.0.0.1"] });
    // Another spelling of a different address is not the allow-listed one.
    expect(await checkOutboundUrl("http://[::ffff:7f00:1]:8080/x", ["127.0.0.1:8080"])).toMatchObject({ ok: false });
  });
});

describe("connecting to the checked address", () => {
  let fake: FakeVendor;
  beforeAll(async () => {
    fake = await FakeVendor.start();
  });
  afterAll(() => fake.close());

  it("pinnedLookup answers with the checked addresses whatever name is asked", async () => {
    const lookup = pinnedLookup(["93.184.216.34", "2606:2800:220:1::1"]);
    const one = await new Promise((r) => lookup("rebind.example.com", { family: 0 }, (err, address, family) => r({ err, address, family })));
    expect(one).toEqual({ err: null, address: "93.184.216.34", family: 4 });
    const v6 = await new Promise((r) => lookup("rebind.example.com", { family: 6 }, (err, address, family) => r({ err, address, family })));
    expect(v6).toEqual({ err: null, address: "2606:2800:220:1::1", family: 6 });
    const all = await new Promise((r) => lookup("x", { all: true }, (_err, addresses) => r(addresses)));
    expect(all).toEqual([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 },
    ]);
    const none = await new Promise<NodeJS.ErrnoException | null>((r) => pinnedLookup(["93.184.216.34"])("x", { family: 6 }, (err) => r(err)));
    expect(none?.code).toBe("ENOTFOUND");
  });

  it("resolves once and connects to that answer: no second DNS lookup for the name", async () => {
    // hook.pier.test does not exist in DNS: the request can only arrive if the socket used the checked answer.
    let lookups = 0;
    const resolve = async () => (++lookups === 1 ? ["127.0.0.1"] : ["169.254.169.254"]);
    const check = await checkOutboundUrl(`http://hook.pier.test:${fake.port}/deploy`, [`hook.pier.test:${fake.port}`], resolve);
    expect(check).toMatchObject({ ok: true, addresses: ["127.0.0.1"] });
    if (!check.ok) return;
    fake.answer({ status: 201, headers: { "content-type": "application/json" }, body: '{"runId":"r-1"}' });
    const res = await fetchChecked(check, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ runId: "r-1" });
    expect(lookups).toBe(1);
    expect(fake.requests.at(-1)).toMatchObject({ method: "POST", url: "/deploy", body: '{"a":1}' });
    expect(fake.requests.at(-1)?.headers.host).toBe(`hook.pier.test:${fake.port}`);

    fake.answer({ status: 204 }, { status: 302, headers: { location: "http://169.254.169.254/" } });
    expect((await fetchChecked(check, { method: "POST", body: "" })).status).toBe(204);
    const redirect = await fetchChecked(check);
    expect(redirect.status).toBe(302); // never followed
    expect(fake.requests).toHaveLength(3);
  });

  it("times out like fetch", async () => {
    const silentServer = createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => silentServer.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (silentServer.address() as { port: number }).port;
      const check = await checkOutboundUrl(`http://127.0.0.1:${port}/`, [`127.0.0.1:${port}`]);
      if (!check.ok) throw new Error(check.reason);
      await expect(fetchChecked(check, {}, 200)).rejects.toMatchObject({ name: "TimeoutError" });
    } finally {
      silentServer.close();
    }
  });
});
