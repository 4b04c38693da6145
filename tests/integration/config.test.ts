import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/src/config";

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("configuration", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({});
    expect(config.role).toBe("all");
    expect(config.http.port).toBe(3000);
    expect(config.booking.holdTtlSeconds).toBe(600);
    expect(config.database.url).toBeUndefined();
    expect(config.redis.prefix).toBe("clinic");
    expect(config.demoSeed).toBe(true);
    expect(config.http.trustProxy).toBe(false);
  });

  it("turns the development mailbox on in development without SMTP_URL, and refuses it in production or beside SMTP_URL", () => {
    expect(loadConfig({}).notifications.devMailbox).toBe(true);
    expect(loadConfig({ SMTP_URL: "smtp://mail.example:25" }).notifications.devMailbox).toBe(false);
    expect(loadConfig({ NODE_ENV: "test" }).notifications.devMailbox).toBe(false);
    expect(loadConfig({ NODE_ENV: "test", DEV_MAILBOX: "true" }).notifications.devMailbox).toBe(true);
    expect(loadConfig({ DEV_MAILBOX: "false" }).notifications.devMailbox).toBe(false);
    expect(errorOf({ DEV_MAILBOX: "true", SMTP_URL: "smtp://mail.example:25" }).message).toContain("DEV_MAILBOX");
    const production = { NODE_ENV: "production", DATABASE_URL: "postgres://u:p@db/c", REDIS_URL: "redis://r", JWT_SECRET: "x".repeat(32), PUBLIC_URL: "https://clinic.example" };
    expect(loadConfig(production).notifications.devMailbox).toBe(false);
    expect(errorOf({ ...production, DEV_MAILBOX: "true" }).message).toContain("DEV_MAILBOX");
  });

  it("reads TRUST_PROXY as a flag, a hop count or proxy addresses", () => {
    expect(loadConfig({ TRUST_PROXY: "1" }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "true" }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.1,10.0.0.2" }).http.trustProxy).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("parses every pinned setting", () => {
    const config = loadConfig({
      PORT: "8080",
      ROLE: "worker",
      HOLD_TTL_SECONDS: "120",
      DATABASE_URL: "postgres://u:p@db:5432/clinic",
      REDIS_URL: "redis://cache:6379",
      NODE_ENV: "test",
    });
    expect(config).toMatchObject({
      role: "worker",
      env: "test",
      http: { port: 8080 },
      booking: { holdTtlSeconds: 120 },
      database: { url: "postgres://u:p@db:5432/clinic" },
      redis: { url: "redis://cache:6379" },
    });
  });

  it.each([
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["ROLE", "scheduler"],
    ["HOLD_TTL_SECONDS", "-5"],
    ["DATABASE_URL", "mysql://u@h/db"],
    ["REDIS_URL", "not a url"],
    ["NODE_ENV", "staging"],
    ["MIGRATE_ON_START", "maybe"],
    ["REDIS_PREFIX", "has:colon"],
    ["TRUST_PROXY", "everyone please"],
  ])("rejects %s=%s and names the setting", (setting, value) => {
    const error = errorOf({ [setting]: value });
    expect(error.issues.map((issue) => issue.setting)).toEqual([setting]);
    expect(error.message).toContain(setting);
  });

  it("requires real services and secrets in production and refuses demo mode there", () => {
    const error = errorOf({ NODE_ENV: "production", DEMO_SEED: "true" });
    expect(error.issues.map((issue) => issue.setting).sort()).toEqual(
      ["DATABASE_URL", "DEMO_SEED", "JWT_SECRET", "PUBLIC_URL", "REDIS_URL"].sort(),
    );
  });

  it("drains for SHUTDOWN_DRAIN_SECONDS inside SHUTDOWN_TIMEOUT_SECONDS: 5 s in production, none elsewhere", () => {
    const production = {
      NODE_ENV: "production",
      DATABASE_URL: "postgres://u:p@db:5432/clinic",
      REDIS_URL: "redis://cache:6379",
      JWT_SECRET: "x".repeat(32),
      PUBLIC_URL: "https://clinic.example",
    };
    expect(loadConfig(production)).toMatchObject({ shutdownTimeoutMs: 20_000, shutdownDrainMs: 5_000 });
    expect(loadConfig({ ...production, SHUTDOWN_TIMEOUT_SECONDS: "8" }).shutdownDrainMs).toBe(2_000);
    expect(loadConfig({}).shutdownDrainMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: "0.5" }).shutdownDrainMs).toBe(500);
    expect(errorOf({ SHUTDOWN_DRAIN_SECONDS: "20" }).issues).toEqual([
      { setting: "SHUTDOWN_DRAIN_SECONDS", message: "must be less than SHUTDOWN_TIMEOUT_SECONDS, which includes it" },
    ]);
  });

  it("stops start-up with a message naming the bad setting", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
      env: { ...process.env, PORT: "eighty", HOLD_TTL_SECONDS: "abc", DATABASE_URL: "", REDIS_URL: "" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Invalid configuration");
    expect(result.stderr).toMatch(/PORT: /);
    expect(result.stderr).toMatch(/HOLD_TTL_SECONDS: /);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
