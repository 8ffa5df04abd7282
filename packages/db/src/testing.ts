/**
 * Throwaway databases for tests: a fresh SQLite file in its own temp folder
 * with every migration applied, in milliseconds and without the Prisma CLI.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, type Db } from "./client";
import { migrateDatabase } from "./migrate";

export interface TestDb {
  db: Db;
  url: string;
  /** Disconnects and deletes the database folder. */
  cleanup(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const dir = await mkdtemp(join(tmpdir(), "graft-db-"));
  const url = `file:${join(dir, "test.db")}`;
  await migrateDatabase(url);
  const db = createDb(url);
  return {
    db,
    url,
    async cleanup() {
      await db.$disconnect().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
