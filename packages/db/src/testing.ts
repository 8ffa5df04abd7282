/**
 * Throwaway databases for tests, fully migrated, without the Prisma CLI:
 * - by default a fresh SQLite file in its own temp folder (milliseconds);
 * - when GRAFT_TEST_POSTGRES_URL names a PostgreSQL server (a superuser URL, as
 *   scripts/db/postgres-up.sh prints), a fresh database on it, dropped on cleanup.
 * The same suites therefore run against both engines.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDb, type Db, type Dialect } from "./client";
import { migrateDatabase } from "./migrate";

export interface TestDb {
  db: Db;
  url: string;
  dialect: Dialect;
  /** Disconnects and deletes the database. */
  cleanup(): Promise<void>;
}

export function testDialect(): Dialect {
  return process.env.GRAFT_TEST_POSTGRES_URL ? "postgresql" : "sqlite";
}

export async function createTestDb(): Promise<TestDb> {
  const server = process.env.GRAFT_TEST_POSTGRES_URL;
  return server ? createPostgresTestDb(server) : createSqliteTestDb();
}

async function createSqliteTestDb(): Promise<TestDb> {
  const dir = await mkdtemp(join(tmpdir(), "graft-db-"));
  const url = `file:${join(dir, "test.db")}`;
  await migrateDatabase(url);
  const db = createDb(url);
  return {
    db,
    url,
    dialect: "sqlite",
    async cleanup() {
      await db.$disconnect().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function createPostgresTestDb(serverUrl: string): Promise<TestDb> {
  const name = `graft_test_${randomBytes(8).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const db = createDb(url.toString());
  return {
    db,
    url: url.toString(),
    dialect: "postgresql",
    async cleanup() {
      await db.$disconnect().catch(() => {});
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
