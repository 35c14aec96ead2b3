// Outbound URL guard (SSRF): Pier only calls https URLs on public addresses, unless an admin allow-listed the
// host (OutboundAllowEntry, e.g. "127.0.0.1:8080" for a local fake or an internal Argo CD).
// Every address form is normalised before it is checked (legacy IPv4 spellings, IPv4-mapped/-compatible, NAT64 and
// 6to4 IPv6, trailing dots), and the host is resolved exactly once: callers connect to the checked addresses through
// pinnedLookup, so a second DNS answer (rebinding) never reaches the socket.
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import type { DB, Kysely } from "../db";
import { DomainError } from "../errors";

/** ok: the URL and the addresses a connection to it may use (resolved once, already checked). */
export type OutboundCheck = { ok: true; url: URL; host: string; addresses: string[] } | { ok: false; reason: string };
type Resolver = (host: string) => Promise<string[]>;

const systemResolve: Resolver = async (h) => (await lookup(h, { all: true })).map((r) => r.address);

function ipv4ToInt(ip: string) {
  return ip.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
}

const intToIpv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

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

function v4Reason(n: number, shown: string): string | null {
  for (const [base, bits, why] of V4_BLOCKED) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((n & mask) === (ipv4ToInt(base) & mask)) return `${why} address ${shown}`;
  }
  return null;
}

/** The eight 16-bit groups of a valid IPv6 address (embedded dotted quads and zone ids handled). */
function ipv6Groups(ip: string): number[] {
  let s = ip.split("%")[0].toLowerCase();
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const n = ipv4ToInt(dotted[2]);
    s = `${dotted[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const parse = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  if (tail === undefined) return h;
  const t = parse(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** Why an address may not be called, or null when it is public. Any spelling of an address gives the same answer. */
export function blockedAddressReason(raw: string): string | null {
  const ip = canonicalHost(raw);
  const v = isIP(ip);
  if (v === 4) return v4Reason(ipv4ToInt(ip), ip);
  if (v !== 6) return `not an IP address: ${raw}`;
  const g = ipv6Groups(ip);
  const embedded = (hi: number, lo: number, kind: string) => {
    const n = ((hi << 16) | lo) >>> 0;
    const why = v4Reason(n, intToIpv4(n));
    return why ? `${why} (${kind} as ${ip})` : null;
  };
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return `unspecified address ${ip}`;
  if (zeros(0, 7) && g[7] === 1) return `loopback address ${ip}`;
  if (zeros(0, 5) && g[5] === 0xffff) return embedded(g[6], g[7], "IPv4-mapped");
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return embedded(g[6], g[7], "IPv4-translated");
  // ::a.b.c.d (IPv4-compatible) is deprecated and never a legitimate destination.
  if (zeros(0, 6)) return `IPv4-compatible address ${ip} (${intToIpv4(((g[6] << 16) | g[7]) >>> 0)})`;
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return embedded(g[6], g[7], "NAT64");
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return `local-use NAT64 address ${ip}`;
  if (g[0] === 0x2002) return embedded(g[1], g[2], "6to4");
  if (g[0] === 0x2001 && g[1] === 0) return `Teredo tunnel address ${ip}`;
  if (g[0] === 0x2001 && g[1] === 0xdb8) return `documentation address ${ip}`;
  if (g[0] === 0x100 && zeros(1, 4)) return `discard-only address ${ip}`;
  if ((g[0] & 0xffc0) === 0xfe80) return `link-local address ${ip}`;
  if ((g[0] & 0xffc0) === 0xfec0) return `site-local address ${ip}`;
  if ((g[0] & 0xfe00) === 0xfc00) return `private address ${ip}`;
  if ((g[0] & 0xff00) === 0xff00) return `multicast address ${ip}`;
  return null;
}

/**
 * One spelling per host: brackets and trailing dots removed, lower case, and every IPv4 form (decimal, octal, hex,
 * short "127.1") written as a dotted quad, as the WHATWG URL parser does for http(s) hosts.
 */
export function canonicalHost(raw: string): string {
  let h = raw
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  if (isIP(h) === 6) return h;
  h = h.replace(/\.+$/, "");
  if (isIP(h)) return h;
  try {
    const parsed = new URL(`http://${h}/`).hostname.replace(/\.+$/, "");
    return isIP(parsed) === 4 ? parsed : h;
  } catch {
    return h;
  }
}

function hostKey(url: URL) {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return { host: canonicalHost(url.hostname), port };
}

function matchesAllowList(url: URL, patterns: string[]) {
  const { host, port } = hostKey(url);
  return patterns.some((p) => {
    const [h, pt] = p.toLowerCase().split(/:(?=\d+$)/);
    return canonicalHost(h) === host && (!pt || pt === port);
  });
}

export async function loadAllowList(db: Kysely<DB>): Promise<string[]> {
  return (await db.selectFrom("OutboundAllowEntry").select("pattern").execute()).map((e) => e.pattern);
}

/**
 * Checks a URL before Pier calls it. Allow-listed hosts may use http and any address; everything else must be
 * https and resolve only to public addresses. The host is resolved once here; connect with pinnedLookup(check).
 */
export async function checkOutboundUrl(raw: string, allowList: string[], resolve: Resolver = systemResolve): Promise<OutboundCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not contain credentials" };
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be an http(s) URL" };
  const allowed = matchesAllowList(url, allowList);
  if (!allowed && url.protocol !== "https:") return { ok: false, reason: "must use https (or be allow-listed by an admin)" };
  const { host } = hostKey(url);
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await resolve(host)).map(canonicalHost);
  } catch {
    return { ok: false, reason: `host ${host} does not resolve` };
  }
  if (addresses.length === 0 || addresses.some((a) => !isIP(a))) return { ok: false, reason: `host ${host} does not resolve` };
  if (!allowed) {
    for (const a of addresses) {
      const why = blockedAddressReason(a);
      if (why) return { ok: false, reason: `resolves to a ${why} (allow-list it if this is intended)` };
    }
  }
  return { ok: true, url, host, addresses };
}

/**
 * A `lookup` for net/tls/http that answers with the addresses checkOutboundUrl vetted instead of asking DNS again,
 * so the socket goes to the address that was checked (no rebinding window between check and connect).
 */
export function pinnedLookup(addresses: string[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : (options.family ?? 0);
    const usable = addresses.filter((a) => family === 0 || isIP(a) === family).map((address) => ({ address, family: isIP(address) }));
    if (usable.length === 0) {
      const err = Object.assign(new Error(`no checked IPv${family} address for ${hostname}`), { code: "ENOTFOUND" });
      callback(err, "");
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, usable[0].address, usable[0].family);
  };
}

/**
 * fetch for a checked URL: connects to the checked addresses only (pinnedLookup), never follows redirects (they could
 * point at an address the guard would refuse), gives up after timeoutMs. Errors look like fetch's.
 */
export function fetchChecked(check: Extract<OutboundCheck, { ok: true }>, init: RequestInit = {}, timeoutMs = 15_000): Promise<Response> {
  const { url } = check;
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== "string") return Promise.reject(new TypeError("fetchChecked sends string bodies only"));
  const headers: Record<string, string> = Object.fromEntries(new Headers(init.headers));
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  const method = init.method ?? "GET";
  return new Promise((resolve, reject) => {
    const request = (url.protocol === "https:" ? https : http).request(url, { method, headers, lookup: pinnedLookup(check.addresses), signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        res.destroy();
        reject(new TypeError(`fetch failed: HTTP status ${status}`));
        return;
      }
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
      const empty = method === "HEAD" || status === 204 || status === 205 || status === 304;
      if (empty) res.resume();
      resolve(
        new Response(empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers: h }),
      );
    });
    request.on("error", (err) => reject(signal.aborted ? signal.reason : new TypeError("fetch failed", { cause: err })));
    request.end(body);
  });
}

/** checkOutboundUrl that throws a field-tagged BAD_REQUEST, for validating user input. */
export async function assertOutboundUrl(db: Kysely<DB>, raw: string, field = "url"): Promise<URL> {
  const result = await checkOutboundUrl(raw, await loadAllowList(db));
  if (!result.ok) throw new DomainError("BAD_REQUEST", `URL ${result.reason}`, field);
  return result.url;
}
