/**
 * Serialising check-then-write transactions on one key ("does the buyer
 * already own this vector? then grant"). SQLite runs one write transaction
 * at a time, so nothing is needed there; on PostgreSQL a transaction-scoped
 * advisory lock on the key makes concurrent transactions for the same key
 * wait for each other (released at COMMIT or ROLLBACK), while unrelated keys
 * proceed in parallel.
 */
import { dialectOfClient } from "@graft/db";
import type { DbClient } from "../context";

export async function lockForTransaction(tx: DbClient, key: string): Promise<void> {
  if (dialectOfClient(tx) !== "postgresql") return;
  await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext($1))::text AS locked`, key);
}

export const purchaseLockKey = (buyerId: string, vectorId: string) => `purchase:${buyerId}:${vectorId}`;
