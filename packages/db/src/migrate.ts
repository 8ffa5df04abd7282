/**
 * Applies the SQL migrations to a database without the Prisma CLI (whose
 * native schema engine is not shipped here): prisma/migrations for SQLite/libSQL,
 * prisma/migrations-postgres (same names, generated from the same schema) for
 * PostgreSQL. Applied migrations are recorded in Prisma's own
 * `_prisma_migrations` table layout and checksum (sha256 hex of the script),
 * so `prisma migrate deploy` agrees with us.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { dialectOf, type Dialect } from "./client";
import { migratePostgres } from "./migrate-postgres";

/**
 * The repository's migrations folder for a dialect (prisma/migrations or
 * prisma/migrations-postgres): the one beside GRAFT_MIGRATIONS_DIR if set, else
 * the one relative to this source file, else the first
 * prisma/migrations found walking up from the working directory (bundlers
 * such as Next.js move this file, so the relative guess can miss).
 */
export function defaultMigrationsDir(dialect: Dialect = "sqlite"): string {
  const folder = dialect === "sqlite" ? "migrations" : "migrations-postgres";
  if (process.env.GRAFT_MIGRATIONS_DIR) return join(process.env.GRAFT_MIGRATIONS_DIR, "..", folder);
  const candidates: string[] = [];
  try {
    candidates.push(fileURLToPath(new URL(`../../../prisma/${folder}`, import.meta.url)));
  } catch {
    // import.meta.url is not a file: URL (bundled); fall through.
  }
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    candidates.push(join(dir, "prisma", folder));
    if (dirname(dir) === dir) break;
  }
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** Migrations in apply order (folder names sort by their numeric/timestamp prefix). */
export async function loadMigrations(dir = defaultMigrationsDir()): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort();
  const out: Migration[] = [];
  for (const name of names) {
    const sql = await readFile(join(dir, name, "migration.sql"), "utf8");
    out.push({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return out;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies every pending migration, each in its own write transaction together
 * with its `_prisma_migrations` row (so a failed migration leaves nothing
 * behind and can be retried). Throws when an applied migration's file has been
 * edited since (checksum drift) or a failed Prisma-recorded attempt exists.
 */
export async function migrateDatabase(url: string, opts: { migrationsDir?: string } = {}): Promise<MigrateResult> {
  const dialect = dialectOf(url);
  const migrations = await loadMigrations(opts.migrationsDir ?? defaultMigrationsDir(dialect));
  if (dialect === "postgresql") return migratePostgres(url, migrations);
  const client = createClient({ url });
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  try {
    await client.execute(CREATE_TABLE);
    for (const m of migrations) {
      const tx = await client.transaction("write");
      try {
        const rows = await tx.execute({
          sql: `SELECT checksum, finished_at FROM "_prisma_migrations" WHERE migration_name = ? AND rolled_back_at IS NULL`,
          args: [m.name],
        });
        const done = rows.rows.find((r) => r.finished_at !== null);
        if (done) {
          if (done.checksum !== m.checksum) {
            throw new Error(`migration ${m.name} was modified after it was applied (checksum ${String(done.checksum).slice(0, 12)}… ≠ ${m.checksum.slice(0, 12)}…)`);
          }
          result.alreadyApplied.push(m.name);
          await tx.rollback();
          continue;
        }
        if (rows.rows.length > 0) {
          throw new Error(`migration ${m.name} has a failed attempt recorded in _prisma_migrations; resolve it (prisma migrate resolve) before migrating`);
        }
        await tx.executeMultiple(m.sql);
        await tx.execute({
          sql: `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
                VALUES (?, ?, current_timestamp, ?, NULL, NULL, current_timestamp, 1)`,
          args: [randomUUID(), m.checksum, m.name],
        });
        await tx.commit();
        result.applied.push(m.name);
      } catch (e) {
        if (!tx.closed) await tx.rollback().catch(() => {});
        throw e;
      } finally {
        tx.close();
      }
    }
  } finally {
    client.close();
  }
  return result;
}
