// One outbound HTTP call with the SSRF guard, a timeout, and the generic status classification adapters refine.
import http from "node:http";
import https from "node:https";
import { checkOutboundUrl, pinnedLookup } from "../../platform/outbound-url";
import type { SendOutcome } from "./channel-types";

export type HttpRequest = { url: string; method: "POST"; headers: Record<string, string>; body: string };
export type HttpResponse = { status: number; headers: Headers; body: string };

export type HttpDeps = {
  allowList: string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
  resolve?: (host: string) => Promise<string[]>;
};

export class BlockedUrlError extends Error {}

export async function sendHttp(req: HttpRequest, deps: HttpDeps): Promise<HttpResponse> {
  const check = await checkOutboundUrl(req.url, deps.allowList, deps.resolve);
  if (!check.ok) throw new BlockedUrlError(`Outbound URL refused: ${check.reason}`);
  // Connects to the addresses the guard checked (no second DNS lookup). An injected fetch (tests) resolves itself.
  if (!deps.fetch) return post(req, check.addresses, deps.timeoutMs ?? 10_000);
  const res = await deps.fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    redirect: "manual", // a redirect could point at an address the guard would refuse
    signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
  });
  const body = (await res.text()).slice(0, 2000);
  return { status: res.status, headers: res.headers, body };
}

// Kept-alive connections per vendor host. node:http rather than fetch: per request, undici's fetch (streams, abort
// signals) cost more CPU than everything else a delivery does.
const agents = { "http:": new http.Agent({ keepAlive: true, timeout: 4000 }), "https:": new https.Agent({ keepAlive: true, timeout: 4000 }) };

/** One POST; never follows a redirect (it could point at an address the guard would refuse). Errors look like fetch's. */
function post(req: HttpRequest, addresses: string[], timeoutMs: number): Promise<HttpResponse> {
  const url = new URL(req.url);
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(err);
    };
    const request = client.request(
      url,
      {
        method: req.method,
        headers: { ...req.headers, "content-length": Buffer.byteLength(req.body) },
        agent: agents[url.protocol as "http:" | "https:"],
        lookup: pinnedLookup(addresses),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 2000) body += chunk;
        });
        res.on("error", (err) => fail(new Error("fetch failed", { cause: err })));
        res.on("end", () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
          resolve({ status: res.statusCode ?? 0, headers, body: body.slice(0, 2000) });
        });
      },
    );
    const timer = setTimeout(() => {
      const err = new Error("The operation was aborted due to timeout");
      err.name = "TimeoutError";
      fail(err);
      request.destroy();
    }, timeoutMs);
    request.on("error", (err) => fail(new Error("fetch failed", { cause: err })));
    request.end(req.body);
  });
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Retry timeouts, 408/425/429 and 5xx; other 4xx are the request's fault and will not get better. */
export function classifyStatus(res: HttpResponse): SendOutcome {
  const statusCode = res.status;
  if (statusCode >= 200 && statusCode < 300) return { kind: "delivered", statusCode };
  const error = `HTTP ${statusCode}${res.body ? `: ${res.body.slice(0, 300)}` : ""}`;
  if (statusCode === 429 || statusCode === 408 || statusCode === 425 || statusCode >= 500) {
    return { kind: "retry", statusCode, error, retryAfterMs: parseRetryAfter(res.headers.get("retry-after")) ?? undefined };
  }
  return { kind: "permanent", statusCode, error };
}
