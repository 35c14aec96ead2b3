import { afterEach, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../env";
import { clientAddress, closeSignInLimits, takeSignInAttempt } from "./sign-in-limit";

const saved = { ...process.env };
afterEach(() => {
  for (const k of ["REDIS_URL", "PIER_SIGNIN_LIMIT_PER_ACCOUNT", "PIER_SIGNIN_LIMIT_PER_ADDRESS"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  resetEnvForTests();
  closeSignInLimits();
});

describe("sign-in limits", () => {
  it("counts per account and per address in Redis, shared by every limiter instance", async () => {
    Object.assign(process.env, { PIER_SIGNIN_LIMIT_PER_ACCOUNT: "2", PIER_SIGNIN_LIMIT_PER_ADDRESS: "3" });
    resetEnvForTests();
    expect(await takeSignInAttempt({ account: "demo:a" })).toEqual({ ok: true });
    closeSignInLimits(); // a second web process: a new connection, the same counts
    expect(await takeSignInAttempt({ account: "demo:a" })).toEqual({ ok: true });
    const refused = await takeSignInAttempt({ account: "demo:a" });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.retryAfterSeconds).toBeGreaterThan(14 * 60);

    for (const account of ["demo:b", "demo:c", "demo:d"]) expect(await takeSignInAttempt({ address: "192.0.2.1", account })).toEqual({ ok: true });
    expect((await takeSignInAttempt({ address: "192.0.2.1", account: "demo:e" })).ok).toBe(false);
    // Refused by its address, the attempt did not count against the account.
    expect(await takeSignInAttempt({ address: "192.0.2.2", account: "demo:e" })).toEqual({ ok: true });
  });

  it("keeps limiting, per process, when Redis does not answer", async () => {
    Object.assign(process.env, { REDIS_URL: "redis://127.0.0.1:1", PIER_SIGNIN_LIMIT_PER_ACCOUNT: "1" });
    resetEnvForTests();
    expect(await takeSignInAttempt({ account: "demo:outage" })).toEqual({ ok: true });
    expect((await takeSignInAttempt({ account: "demo:outage" })).ok).toBe(false);
  });

  it("takes the client address the nearest proxy appended", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }))).toBe("203.0.113.7");
    expect(clientAddress(new Headers({ "x-real-ip": " 203.0.113.8 " }))).toBe("203.0.113.8");
    expect(clientAddress(new Headers({ "x-forwarded-for": " , " }))).toBeNull();
    expect(clientAddress(new Headers())).toBeNull();
    expect(clientAddress(undefined)).toBeNull();
    expect(clientAddress(new Headers({ "x-forwarded-for": "x".repeat(500) }))).toHaveLength(64);
  });
});
