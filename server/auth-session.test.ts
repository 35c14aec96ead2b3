// sessionClaims(): the session cookie decoded once per token (next-auth's auth() decrypts and re-encrypts on every
// call), with next-auth's cookie name, secret and expiry rules.
import { encode } from "next-auth/jwt";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { env } from "./env";

const request = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock("next/headers", () => ({ headers: async () => request.headers }));
const decodeCalls = vi.hoisted(() => ({ n: 0 }));
vi.mock("next-auth/jwt", async (original) => {
  const m = await original<typeof import("next-auth/jwt")>();
  return { ...m, decode: (...args: Parameters<typeof m.decode>) => (decodeCalls.n++, m.decode(...args)) };
});

const { sessionClaims } = await import("./auth");

const PLAIN = "authjs.session-token";
const SECURE = "__Secure-authjs.session-token";
const token = (claims: Record<string, unknown>, salt = PLAIN, secret = env().AUTH_SECRET, maxAge = 3600) => encode({ token: claims, secret, salt, maxAge });

function as(cookie: string, proto = "http") {
  request.headers = new Headers({ cookie, "x-forwarded-proto": proto, host: "pier.test" });
}

beforeEach(() => void (decodeCalls.n = 0));

describe("session claims", () => {
  it("reads the user id and session version from the session cookie, decoding each token once", async () => {
    const t = await token({ uid: "u-1", sv: 3, sub: "u-1" });
    as(`theme=dark; ${PLAIN}=${t}; other=1`);
    expect(await sessionClaims()).toEqual({ userId: "u-1", sessionVersion: 3 });
    expect(await sessionClaims()).toEqual({ userId: "u-1", sessionVersion: 3 });
    expect(decodeCalls.n).toBe(1);
  });

  it("uses the __Secure- cookie over https, as next-auth does, and ignores the other name", async () => {
    const secure = await token({ uid: "u-2", sv: 0 }, SECURE);
    as(`${SECURE}=${secure}`, "https");
    expect(await sessionClaims()).toEqual({ userId: "u-2", sessionVersion: 0 });
    as(`${PLAIN}=${secure}`, "https"); // the plain name over https: not the session cookie
    expect(await sessionClaims()).toBeNull();
    as(`${SECURE}=${secure}`, "http"); // salted for the other name: does not decode
    expect(await sessionClaims()).toBeNull();
  });

  it("refuses a token under another secret, an expired one, garbage, and one from before session versions", async () => {
    as(`${PLAIN}=${await token({ uid: "u-3", sv: 1 }, PLAIN, "another-secret-of-at-least-32-characters!!")}`);
    expect(await sessionClaims()).toBeNull();
    as(`${PLAIN}=${await token({ uid: "u-3", sv: 1 }, PLAIN, env().AUTH_SECRET, -60)}`);
    expect(await sessionClaims()).toBeNull();
    as(`${PLAIN}=not-a-jwe`);
    expect(await sessionClaims()).toBeNull();
    as(`${PLAIN}=${await token({ uid: "u-3", sub: "u-3" })}`);
    expect(await sessionClaims()).toBeNull();
    as("");
    expect(await sessionClaims()).toBeNull();
  });

  it("a cached token stops working when it expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const t = await token({ uid: "u-4", sv: 2 }, PLAIN, env().AUTH_SECRET, 60);
      as(`${PLAIN}=${t}`);
      expect(await sessionClaims()).toEqual({ userId: "u-4", sessionVersion: 2 });
      vi.setSystemTime(Date.now() + 120_000);
      expect(await sessionClaims()).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
