// One schema source, two dialects: the committed SQL migrations of each engine
// must build exactly the database that prisma/schema.prisma describes. Each
// test applies the migrations to one fresh database and the SQL Prisma derives
// from the schema (`migrate diff --from-empty`) to another, then compares the
// catalogs: tables, columns with types/nullability/defaults, and indexes.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, type Migration } from "./index";
import { migratePostgres } from "./migrate-postgres";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout;
};
/** The SQL that creates the schema from nothing, as Prisma derives it. */
const fromEmpty = (schemaFile: string) =>
  run("bash", ["scripts/prisma.sh", "migrate", "diff", "--from-empty", "--to-schema-datamodel", schemaFile, "--script"]);
const asMigration = (sql: string): Migration[] => [{ name: "0001_from_schema", sql, checksum: "0".repeat(64) }];

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function folders(dir: string): Promise<string[]> {
  return (await readdir(join(ROOT, "prisma", dir), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

describe("migrations", () => {
  it("exist under the same names for SQLite and PostgreSQL", async () => {
    expect(await folders("migrations-postgres")).toEqual(await folders("migrations"));
  });

  it("build the SQLite database that schema.prisma describes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "graft-schema-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const describeDb = async (url: string) => {
      const c = createClient({ url });
      const tables = await c.execute(`SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`);
      const out: unknown[] = [];
      for (const t of tables.rows) {
        const name = String(t.name);
        if (t.type === "table") out.push([name, (await c.execute(`PRAGMA table_info("${name}")`)).rows.map((r) => [r.name, r.type, r.notnull, r.dflt_value, r.pk])]);
        else out.push([name, t.type, (await c.execute(`PRAGMA index_info("${name}")`)).rows.map((r) => r.name)]);
      }
      c.close();
      return out;
    };
    const migrated = `file:${join(dir, "migrated.db")}`;
    const derived = `file:${join(dir, "derived.db")}`;
    await migrateDatabase(migrated);
    await migrateDatabase(derived, { migrationsDir: await writeMigration(dir, fromEmpty("prisma/schema.prisma")) });
    expect(await describeDb(migrated)).toEqual(await describeDb(derived));
  });

  it.skipIf(!process.env.GRAFT_TEST_POSTGRES_URL)("build the PostgreSQL database that the derived schema describes", async () => {
    const server = process.env.GRAFT_TEST_POSTGRES_URL!;
    const dir = await mkdtemp(join(tmpdir(), "graft-schema-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    run("bash", ["scripts/db/postgres-schema.sh", "prisma/schema.prisma", join(dir, "schema.prisma")]);
    const urls = await Promise.all(["migrated", "derived"].map((n) => freshPostgres(server, n)));
    await migrateDatabase(urls[0]!);
    await migratePostgres(urls[1]!, asMigration(fromEmpty(join(dir, "schema.prisma"))));
    const describeDb = async (url: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const cols = await c.query(
        `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`,
      );
      const idx = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`);
      const fks = await c.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' ORDER BY conname`);
      await c.end();
      return { columns: cols.rows, indexes: idx.rows, foreignKeys: fks.rows };
    };
    const [migrated, derived] = [await describeDb(urls[0]!), await describeDb(urls[1]!)];
    expect(migrated.columns.length).toBeGreaterThan(50);
    expect(migrated).toEqual(derived);
  });
});

async function writeMigration(dir: string, sql: string): Promise<string> {
  const folder = join(dir, "migrations", "0001_from_schema");
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "migration.sql"), sql);
  return join(dir, "migrations");
}

async function freshPostgres(server: string, label: string): Promise<string> {
  const name = `graft_schema_${label}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}
