// Outbound URL guard (SSRF): Pier only calls https URLs on public addresses, unless an admin allow-listed the
// host (OutboundAllowEntry, e.g. "127.0.0.1:8080" for a local fake or an internal Argo CD).
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { DB, Kysely } from "../db";
import { DomainError } from "../errors";

export type OutboundCheck = { ok: true; url: URL } | { ok: false; reason: string };

function ipv4ToInt(ip: string) {
  return ip.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}

const V4_BLOCKED: [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local / cloud metadata"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

/** Why an address may not be called, or null when it is public. */
export function blockedAddressReason(ip: string): string | null {
  const v = isIP(ip);
  if (v === 4) {
    const n = ipv4ToInt(ip);
    for (const [base, bits, why] of V4_BLOCKED) {
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if ((n & mask) === (ipv4ToInt(base) & mask)) return `${why} address ${ip}`;
    }
    return null;
  }
  if (v === 6) {
    const a = ip.toLowerCase();
    if (a === "::1" || a === "::") return `loopback address ${ip}`;
    const mapped = a.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    if (mapped) return blockedAddressReason(mapped[1]);
    if (/^fe[89ab]/.test(a)) return `link-local address ${ip}`;
    if (/^f[cd]/.test(a)) return `private address ${ip}`;
    if (a.startsWith("fd00:ec2::254")) return `cloud metadata address ${ip}`;
    if (/^ff/.test(a)) return `multicast address ${ip}`;
    return null;
  }
  return `not an IP address: ${ip}`;
}

function hostKey(url: URL) {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return { host: url.hostname.replace(/^\[|\]$/g, "").toLowerCase(), port };
}

function matchesAllowList(url: URL, patterns: string[]) {
  const { host, port } = hostKey(url);
  return patterns.some((p) => {
    const [h, pt] = p.toLowerCase().split(/:(?=\d+$)/);
    return h === host && (!pt || pt === port);
  });
}

export async function loadAllowList(db: Kysely<DB>): Promise<string[]> {
  return (await db.selectFrom("OutboundAllowEntry").select("pattern").execute()).map((e) => e.pattern);
}

/**
 * Checks a URL before Pier calls it. Allow-listed hosts may use http and any address; everything else must be
 * https and resolve only to public addresses.
 */
export async function checkOutboundUrl(
  raw: string,
  allowList: string[],
  resolve: (host: string) => Promise<string[]> = async (h) => (await lookup(h, { all: true })).map((r) => r.address),
): Promise<OutboundCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be an http(s) URL" };
  if (matchesAllowList(url, allowList)) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "must use https (or be allow-listed by an admin)" };
  const { host } = hostKey(url);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: `host ${host} does not resolve` };
  }
  for (const a of addresses) {
    const why = blockedAddressReason(a);
    if (why) return { ok: false, reason: `resolves to a ${why} (allow-list it if this is intended)` };
  }
  return { ok: true, url };
}

/** checkOutboundUrl that throws a field-tagged BAD_REQUEST, for validating user input. */
export async function assertOutboundUrl(db: Kysely<DB>, raw: string, field = "url"): Promise<URL> {
  const result = await checkOutboundUrl(raw, await loadAllowList(db));
  if (!result.ok) throw new DomainError("BAD_REQUEST", `URL ${result.reason}`, field);
  return result.url;
}
