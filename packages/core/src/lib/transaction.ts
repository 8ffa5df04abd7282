/**
 * Interactive transactions with limits suited to SQLite's single writer and to
 * the blob commit that happens as their last step.
 */
import type { Db, Prisma } from "@graft/db";

export function transaction<T>(db: Db, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return db.$transaction(fn, { maxWait: 15_000, timeout: 120_000 });
}
