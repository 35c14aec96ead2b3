import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

describe("parseEnv", () => {
  it("runs the local demo with no configuration", () => {
    const e = parseEnv({});
    expect(e.DATABASE_URL).toBe("postgresql://postgres@127.0.0.1:5432/pier");
    expect(e.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(e.AUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(e.PIER_ENCRYPTION_KEY, "base64")).toHaveLength(32);
    expect(e.demoLoginEnabled).toBe(true);
    expect(e.githubEnabled).toBe(false);
  });

  it("names every bad variable in one error", () => {
    try {
      parseEnv({ DATABASE_URL: "mysql://x", REDIS_URL: "nope", OUTBOX_POLL_MS: "fast", PIER_DEMO_LOGIN: "maybe" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvError);
      const msg = (err as Error).message;
      expect(msg).toContain("DATABASE_URL must be a URL starting with postgresql:// or postgres://");
      expect(msg).toContain("REDIS_URL must be a URL");
      expect(msg).toContain("OUTBOX_POLL_MS");
      expect(msg).toContain("PIER_DEMO_LOGIN must be true or false");
    }
  });

  it("insists on real secrets in production and turns demo sign-in off there", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/AUTH_SECRET is required in production/);
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/PIER_ENCRYPTION_KEY is required in production/);
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/PIER_AUDIT_CHECKPOINT_KEY is required in production/);
    const key = Buffer.alloc(32, 1).toString("base64");
    const secrets = { AUTH_SECRET: "x".repeat(40), PIER_ENCRYPTION_KEY: key, PIER_AUDIT_CHECKPOINT_KEY: "c".repeat(40) };
    const prod = parseEnv({ NODE_ENV: "production", ...secrets });
    expect(prod.demoLoginEnabled).toBe(false);
    expect(
      parseEnv({ NODE_ENV: "production", ...secrets, PIER_DEMO_LOGIN: "true", PIER_DEMO_LOGIN_IN_PRODUCTION: "i-understand-anyone-can-sign-in-as-admin" })
        .demoLoginEnabled,
    ).toBe(true);
  });

  it("refuses demo sign-in in production without the explicit acknowledgement, naming both variables", () => {
    const secrets = {
      AUTH_SECRET: "x".repeat(40),
      PIER_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
      PIER_AUDIT_CHECKPOINT_KEY: "c".repeat(40),
    };
    const refusal =
      /PIER_DEMO_LOGIN is true with NODE_ENV=production, which lets anyone sign in as any demo user, admins included: unset PIER_DEMO_LOGIN, or also set PIER_DEMO_LOGIN_IN_PRODUCTION=i-understand-anyone-can-sign-in-as-admin/;
    expect(() => parseEnv({ NODE_ENV: "production", ...secrets, PIER_DEMO_LOGIN: "true" })).toThrow(refusal);
    expect(() => parseEnv({ NODE_ENV: "production", ...secrets, PIER_DEMO_LOGIN: "1", PIER_DEMO_LOGIN_IN_PRODUCTION: "yes" })).toThrow(refusal);
    const acknowledged = parseEnv({
      NODE_ENV: "production",
      ...secrets,
      PIER_DEMO_LOGIN: "true",
      PIER_DEMO_LOGIN_IN_PRODUCTION: "i-understand-anyone-can-sign-in-as-admin",
    });
    expect(acknowledged.demoLoginEnabled).toBe(true);
    // Off in production (the default) and on outside it need no acknowledgement.
    expect(parseEnv({ NODE_ENV: "production", ...secrets, PIER_DEMO_LOGIN: "false" }).demoLoginEnabled).toBe(false);
    expect(parseEnv({ NODE_ENV: "development", PIER_DEMO_LOGIN: "true" }).demoLoginEnabled).toBe(true);
    expect(() => parseEnv({ PIER_SIGNIN_LIMIT_PER_ACCOUNT: "0" })).toThrow(/PIER_SIGNIN_LIMIT_PER_ACCOUNT/);
  });

  it("rejects a short key and half-configured providers", () => {
    expect(() => parseEnv({ PIER_ENCRYPTION_KEY: "c2hvcnQ=" })).toThrow(/PIER_ENCRYPTION_KEY must be 32 bytes/);
    expect(() => parseEnv({ PIER_ENCRYPTION_KEYS_OLD: "abc" })).toThrow(/PIER_ENCRYPTION_KEYS_OLD/);
    expect(() =>
      parseEnv({ NODE_ENV: "production", AUTH_SECRET: "x".repeat(40), PIER_ENCRYPTION_KEY: Buffer.alloc(32).toString("base64"), AUTH_GITHUB_ID: "id" }),
    ).toThrow(/AUTH_GITHUB_ID and AUTH_GITHUB_SECRET go together/);
    const both = parseEnv({ AUTH_GITHUB_ID: "id", AUTH_GITHUB_SECRET: "s", OIDC_ISSUER: "https://id.example", OIDC_CLIENT_ID: "c", OIDC_CLIENT_SECRET: "s" });
    expect(both.githubEnabled && both.oidcEnabled).toBe(true);
  });

  it("reads the ingest concurrency per worker process (default 12) and refuses a bad one, naming it", () => {
    expect(parseEnv({}).PIER_INGEST_CONCURRENCY).toBe(12);
    expect(parseEnv({ PIER_INGEST_CONCURRENCY: "20" }).PIER_INGEST_CONCURRENCY).toBe(20);
    expect(() => parseEnv({ PIER_INGEST_CONCURRENCY: "0" })).toThrow(/PIER_INGEST_CONCURRENCY/);
    expect(() => parseEnv({ PIER_INGEST_CONCURRENCY: "many" })).toThrow(/PIER_INGEST_CONCURRENCY/);
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ REDIS_URL: "" }).REDIS_URL).toBe("redis://127.0.0.1:6379");
  });
});
