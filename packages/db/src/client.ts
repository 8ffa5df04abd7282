/**
 * The single place that constructs Prisma clients. The embedded default is
 * SQLite through the libSQL driver adapter (no native engine needed).
 */
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "../generated/client";

export type Db = PrismaClient;

export function createDb(databaseUrl: string): Db {
  if (!databaseUrl.startsWith("file:") && !databaseUrl.startsWith("libsql:")) {
    throw new Error(`DATABASE_URL must be a file: (SQLite) URL, got "${databaseUrl.split(":")[0]}:"`);
  }
  const adapter = new PrismaLibSQL({ url: databaseUrl });
  return new PrismaClient({ adapter });
}
