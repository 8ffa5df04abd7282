/**
 * The single place that constructs Prisma clients. The URL decides the engine:
 * `file:`/`libsql:` is SQLite through the libSQL driver adapter (the embedded
 * default), `postgres:`/`postgresql:` is PostgreSQL through the `pg` adapter.
 * Both clients are generated from the same schema (scripts/db/postgres-schema.sh)
 * and expose the same API, so the rest of Graft sees one `Db` type.
 */
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/client";
import { PrismaClient as PostgresPrismaClient } from "../generated/postgres";

export type Db = PrismaClient;
export type Dialect = "sqlite" | "postgresql";

export function dialectOf(databaseUrl: string): Dialect {
  if (databaseUrl.startsWith("file:") || databaseUrl.startsWith("libsql:")) return "sqlite";
  if (databaseUrl.startsWith("postgres:") || databaseUrl.startsWith("postgresql:")) return "postgresql";
  throw new Error(`DATABASE_URL must be a file: (SQLite) or postgresql: URL, got "${databaseUrl.split(":")[0]}:"`);
}

export function createDb(databaseUrl: string): Db {
  if (dialectOf(databaseUrl) === "sqlite") return new PrismaClient({ adapter: new PrismaLibSQL({ url: databaseUrl }) });
  return new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) }) as unknown as Db;
}

/**
 * The engine behind a Prisma client or one of its transaction clients (the
 * generated clients name their provider, and transaction clients inherit it).
 */
export function dialectOfClient(client: object): Dialect {
  return (client as { _activeProvider?: string })._activeProvider === "postgresql" ? "postgresql" : "sqlite";
}

/**
 * A case-insensitive substring filter on either engine: SQLite's LIKE already
 * ignores ASCII case; PostgreSQL needs Prisma's `mode: "insensitive"` (ILIKE),
 * which the SQLite client's types do not know.
 */
export function containsInsensitive(db: Db, value: string): { contains: string } {
  return dialectOfClient(db) === "postgresql" ? ({ contains: value, mode: "insensitive" } as { contains: string }) : { contains: value };
}
