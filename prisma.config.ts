// Prisma CLI configuration: the schema lives in prisma/, and the CLI talks to
// the database through the same libSQL driver adapter as the app, so no native
// engine is downloaded or needed.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => new PrismaLibSQL({ url: process.env.DATABASE_URL ?? "file:./data/graft.db" }),
});
