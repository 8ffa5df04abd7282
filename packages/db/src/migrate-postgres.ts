/**
 * The PostgreSQL half of migrateDatabase: each pending migration runs in its
 * own transaction with its `_prisma_migrations` row (PostgreSQL has
 * transactional DDL, so a failed migration leaves nothing behind), under an
 * advisory lock so several web replicas or workers starting at once migrate
 * one after the other instead of racing.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Migration, MigrateResult } from "./migrate";

// Prisma's own table layout for PostgreSQL.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Any fixed 64-bit key, shared by every Graft process migrating this database. */
const LOCK_KEY = 0x67726166746d6967n; // "graftmig"

export async function migratePostgres(url: string, migrations: Migration[]): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY.toString()]);
    await client.query(CREATE_TABLE);
    for (const m of migrations) {
      await client.query("BEGIN");
      try {
        const { rows } = await client.query<{ checksum: string; finished_at: Date | null }>(
          `SELECT checksum, finished_at FROM "_prisma_migrations" WHERE migration_name = $1 AND rolled_back_at IS NULL`,
          [m.name],
        );
        const done = rows.find((r) => r.finished_at !== null);
        if (done) {
          if (done.checksum !== m.checksum) {
            throw new Error(`migration ${m.name} was modified after it was applied (checksum ${done.checksum.slice(0, 12)}… ≠ ${m.checksum.slice(0, 12)}…)`);
          }
          result.alreadyApplied.push(m.name);
          await client.query("ROLLBACK");
          continue;
        }
        if (rows.length > 0) {
          throw new Error(`migration ${m.name} has a failed attempt recorded in _prisma_migrations; resolve it (prisma migrate resolve) before migrating`);
        }
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query("COMMIT");
        result.applied.push(m.name);
      } catch (e) {
        await client.query("ROLLBACK").catch(() => {});
        throw e;
      }
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY.toString()]).catch(() => {});
    await client.end();
  }
  return result;
}
