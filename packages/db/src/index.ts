/** @graft/db: Prisma client construction, migrations and throwaway test databases. */
export { createDb, type Db } from "./client";
export { migrateDatabase, loadMigrations, defaultMigrationsDir, type Migration, type MigrateResult } from "./migrate";
export { createTestDb, type TestDb } from "./testing";
export * from "../generated/client";
