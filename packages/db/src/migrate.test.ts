import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDb, migrateDatabase, loadMigrations } from "./index";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), "graft-migrate-"));
  dirs.push(d);
  return d;
}

describe("createTestDb", () => {
  it("gives a fresh, fully migrated database usable through Prisma", async () => {
    const t = await createTestDb();
    try {
      const user = await t.db.user.create({ data: { email: "a@example.com" } });
      expect(await t.db.user.count()).toBe(1);
      expect(user.id).toBeTruthy();
    } finally {
      await t.cleanup();
    }
  });

  it("gives independent databases", async () => {
    const [a, b] = await Promise.all([createTestDb(), createTestDb()]);
    try {
      await a.db.user.create({ data: { email: "a@example.com" } });
      expect(await b.db.user.count()).toBe(0);
    } finally {
      await Promise.all([a.cleanup(), b.cleanup()]);
    }
  });
});

describe("migrateDatabase", () => {
  it("records migrations in Prisma's table and applies each only once", async () => {
    const url = `file:${join(await tempDir(), "app.db")}`;
    const first = await migrateDatabase(url);
    const all = (await loadMigrations()).map((m) => m.name);
    expect(first.applied).toEqual(all);
    const second = await migrateDatabase(url);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(all);
    const c = createClient({ url });
    const rows = await c.execute(`SELECT migration_name, checksum, applied_steps_count, finished_at FROM _prisma_migrations`);
    c.close();
    expect(rows.rows.map((r) => r.migration_name)).toEqual(all);
    expect(rows.rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.rows[0].finished_at).not.toBeNull();
  });

  it("applies later migrations in order and rolls back a failing one completely", async () => {
    const dir = await tempDir();
    const migrations = join(dir, "migrations");
    await mkdir(join(migrations, "0001_a"), { recursive: true });
    await writeFile(join(migrations, "0001_a", "migration.sql"), `CREATE TABLE "A" ("id" TEXT PRIMARY KEY);`);
    const url = `file:${join(dir, "x.db")}`;
    expect((await migrateDatabase(url, { migrationsDir: migrations })).applied).toEqual(["0001_a"]);

    await mkdir(join(migrations, "0002_bad"));
    await writeFile(join(migrations, "0002_bad", "migration.sql"), `CREATE TABLE "B" ("id" TEXT);\nCREATE TABLE "A" ("id" TEXT);`);
    await expect(migrateDatabase(url, { migrationsDir: migrations })).rejects.toThrow();
    const c = createClient({ url });
    const tables = await c.execute(`SELECT name FROM sqlite_master WHERE type='table' AND name='B'`);
    const recorded = await c.execute(`SELECT migration_name FROM _prisma_migrations`);
    c.close();
    expect(tables.rows).toHaveLength(0);
    expect(recorded.rows.map((r) => r.migration_name)).toEqual(["0001_a"]);

    await writeFile(join(migrations, "0002_bad", "migration.sql"), `CREATE TABLE "B" ("id" TEXT);`);
    expect((await migrateDatabase(url, { migrationsDir: migrations })).applied).toEqual(["0002_bad"]);
  });

  it("refuses a migration edited after it was applied", async () => {
    const dir = await tempDir();
    const migrations = join(dir, "migrations");
    await mkdir(join(migrations, "0001_a"), { recursive: true });
    await writeFile(join(migrations, "0001_a", "migration.sql"), `CREATE TABLE "A" ("id" TEXT PRIMARY KEY);`);
    const url = `file:${join(dir, "x.db")}`;
    await migrateDatabase(url, { migrationsDir: migrations });
    await writeFile(join(migrations, "0001_a", "migration.sql"), `CREATE TABLE "A" ("id" INTEGER PRIMARY KEY);`);
    await expect(migrateDatabase(url, { migrationsDir: migrations })).rejects.toThrow(/modified/);
  });
});
