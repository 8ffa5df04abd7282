/**
 * What every domain service receives first: persistence, blob storage and
 * deployment settings, plus who is acting. Kept free of HTTP concerns so the
 * web app, the CLI server mode and tests all call services the same way.
 */
import type { Db, Prisma } from "@graft/db";
import type { BlobStore } from "@graft/storage";
import type { PaymentsConfig } from "./features/commerce/payments";

export interface CoreConfig {
  /** Foundations registered by server path must resolve inside this folder (symlinks included). */
  modelsDir: string;
  /**
   * Largest accepted upload in bytes (checked again by services on every
   * StagedBlob they receive; pass the same value to BlobStore.stage as
   * maxBytes so oversized uploads are cut off while streaming). Default: none.
   */
  maxUploadBytes?: number;
  /** How paid listings are sold (Stripe, local test payments, or not at all). Default: not at all. */
  payments?: PaymentsConfig;
}

export interface CoreContext {
  db: Db;
  blobs: BlobStore;
  config: CoreConfig;
}

export type Scope = "read" | "publish";
export const SCOPES: readonly Scope[] = ["read", "publish"];

/**
 * The caller: a signed-in user (session: `scopes` undefined = full access), an
 * API token (`scopes` set), or null for anonymous requests.
 */
export type Actor = { userId: string; scopes?: Scope[]; tokenId?: string } | null;

/** A Prisma client or an interactive-transaction client. */
export type DbClient = Db | Prisma.TransactionClient;
