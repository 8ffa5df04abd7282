// The environment parser: defaults, one message per bad value, production rules.
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env";

const ROOT = "/srv/graft";

describe("parseEnv", () => {
  it("fills in defaults relative to the repository root", () => {
    const { env, warnings } = parseEnv({ NODE_ENV: "development" }, ROOT);
    expect(env.databaseUrl).toBe("file:/srv/graft/data/graft.db");
    expect(env.dataDir).toBe("/srv/graft/data");
    expect(env.blobDir).toBe("/srv/graft/data/blobs");
    expect(env.maxUploadBytes).toBe(2 * 1024 ** 3);
    expect(env.github).toBeNull();
    expect(env.autoMigrate).toBe(true);
    expect(warnings.join(" ")).toMatch(/NEXTAUTH_SECRET/);
  });

  it("derives the blob dir from GRAFT_DATA_DIR and enables GitHub only with both keys", () => {
    const { env } = parseEnv({ GRAFT_DATA_DIR: "/var/lib/graft", GITHUB_ID: "id", GITHUB_SECRET: "secret", NEXTAUTH_SECRET: "x".repeat(32) }, ROOT);
    expect(env.blobDir).toBe("/var/lib/graft/blobs");
    expect(env.github).toEqual({ clientId: "id", clientSecret: "secret" });
    const half = parseEnv({ GITHUB_ID: "id" }, ROOT);
    expect(half.env.github).toBeNull();
    expect(half.warnings.join(" ")).toMatch(/GITHUB_SECRET/);
  });

  it("reports every bad value, one line each, without echoing secrets", () => {
    try {
      parseEnv({ DATABASE_URL: "mysql://x", GRAFT_MAX_UPLOAD_BYTES: "lots", NEXTAUTH_URL: "not a url", NEXTAUTH_SECRET: "short" }, ROOT);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvError);
      const problems = (e as EnvError).problems;
      expect(problems).toHaveLength(4);
      expect(problems.find((p) => p.startsWith("DATABASE_URL"))).toMatch(/file:/);
      expect(problems.find((p) => p.startsWith("GRAFT_MAX_UPLOAD_BYTES"))).toMatch(/"lots"/);
      expect(problems.find((p) => p.startsWith("NEXTAUTH_SECRET"))).not.toContain("short");
    }
  });

  it("accepts PostgreSQL URLs for scale-out deployments", () => {
    expect(parseEnv({ DATABASE_URL: "postgresql://graft@db:5432/graft" }, ROOT).env.databaseUrl).toBe("postgresql://graft@db:5432/graft");
  });

  it("requires NEXTAUTH_SECRET in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production" }, ROOT)).toThrow(/NEXTAUTH_SECRET: required in production/);
    expect(parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "s".repeat(32) }, ROOT).warnings).toEqual([]);
  });
});
