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

  it("selects the pg-boss queue only with PostgreSQL, with its expiry and the shard size", () => {
    expect(parseEnv({}, ROOT).env.queue).toEqual({ kind: "db", expireInSeconds: 3600, maxShardBytes: 2_000_000_000 });
    const pg = { DATABASE_URL: "postgresql://graft@db:5432/graft", GRAFT_QUEUE: "pgboss", GRAFT_QUEUE_EXPIRE_SECONDS: "30", GRAFT_MERGE_SHARD_BYTES: "1000" };
    expect(parseEnv(pg, ROOT).env.queue).toEqual({ kind: "pgboss", expireInSeconds: 30, maxShardBytes: 1000 });
    expect(() => parseEnv({ GRAFT_QUEUE: "pgboss" }, ROOT)).toThrow(/GRAFT_QUEUE: pgboss needs a PostgreSQL DATABASE_URL/);
    expect(() => parseEnv({ GRAFT_QUEUE: "redis" }, ROOT)).toThrow(/GRAFT_QUEUE: must be db or pgboss/);
    expect(() => parseEnv({ ...pg, GRAFT_QUEUE_EXPIRE_SECONDS: "0" }, ROOT)).toThrow(/GRAFT_QUEUE_EXPIRE_SECONDS/);
  });

  it("requires NEXTAUTH_SECRET in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production" }, ROOT)).toThrow(/NEXTAUTH_SECRET: required in production/);
    expect(parseEnv({ NODE_ENV: "production", NEXTAUTH_SECRET: "s".repeat(32) }, ROOT).warnings).toEqual([]);
  });
});
