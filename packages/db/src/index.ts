/** @graft/db: Prisma client construction (SQLite or PostgreSQL), migrations and throwaway test databases. */
export { createDb, containsInsensitive, dialectOf, dialectOfClient, type Db, type Dialect } from "./client";
export { migrateDatabase, loadMigrations, defaultMigrationsDir, type Migration, type MigrateResult } from "./migrate";
export { createTestDb, testDialect, type TestDb } from "./testing";
export * from "../generated/client";
