/**
 * Personal API tokens for the CLI and scripts: "graft_" + 32 random bytes
 * (base64url), shown once; only its SHA-256 is stored, so a database leak does
 * not leak usable tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Actor, CoreContext, Scope } from "../../context";
import { SCOPES } from "../../context";
import { notFound } from "../../errors";
import { requireSession } from "../../lib/auth";
import { parseInput } from "../../lib/validate";
import { recordAudit } from "../audit/audit";

export const TOKEN_PREFIX = "graft_";

export interface ApiTokenRecord {
  id: string;
  name: string;
  /** The first characters of the token, for recognising it in lists. */
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface TokenAuth {
  userId: string;
  scopes: Scope[];
  tokenId: string;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function parseScopes(text: string): Scope[] {
  return text.split(",").filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
}

function toRecord(t: { id: string; name: string; prefix: string; scopes: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }): ApiTokenRecord {
  return { id: t.id, name: t.name, prefix: t.prefix, scopes: parseScopes(t.scopes), createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt };
}

const createSchema = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(["read", "publish"])).min(1, "pick at least one scope"),
});

/** Creates a token for the signed-in (session) user. The plaintext `token` is returned only here. */
export async function createApiToken(
  ctx: CoreContext,
  actor: Actor,
  input: { name: string; scopes: Scope[] },
): Promise<{ token: string; record: ApiTokenRecord }> {
  const a = requireSession(actor);
  const { name, scopes } = parseInput(createSchema, input);
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const uniqueScopes = SCOPES.filter((s) => scopes.includes(s));
  const row = await ctx.db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: { userId: a.userId, name, prefix: token.slice(0, TOKEN_PREFIX.length + 6), hash: hashToken(token), scopes: uniqueScopes.join(",") },
    });
    await recordAudit(tx, { actorId: a.userId, action: "token.create", targetType: "token", targetId: created.id, details: { name, scopes: uniqueScopes } });
    return created;
  });
  return { token, record: toRecord(row) };
}

/** The actor's tokens, newest first, revoked ones included (with revokedAt). */
export async function listApiTokens(ctx: CoreContext, actor: Actor): Promise<ApiTokenRecord[]> {
  const a = requireSession(actor);
  const rows = await ctx.db.apiToken.findMany({ where: { userId: a.userId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(toRecord);
}

export async function revokeApiToken(ctx: CoreContext, actor: Actor, tokenId: string): Promise<ApiTokenRecord> {
  const a = requireSession(actor);
  const token = await ctx.db.apiToken.findUnique({ where: { id: tokenId } });
  if (!token || token.userId !== a.userId) throw notFound("token");
  if (token.revokedAt) return toRecord(token);
  const row = await ctx.db.$transaction(async (tx) => {
    const updated = await tx.apiToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    await recordAudit(tx, { actorId: a.userId, action: "token.revoke", targetType: "token", targetId: tokenId, details: { name: token.name } });
    return updated;
  });
  return toRecord(row);
}

/**
 * Resolves an Authorization header value ("Bearer graft_…") or a bare token.
 * Null for malformed, unknown or revoked tokens. Records lastUsedAt (at most
 * once a minute per token, to spare the single SQLite writer).
 */
export async function authenticateApiToken(ctx: CoreContext, bearer: string | null | undefined): Promise<TokenAuth | null> {
  if (typeof bearer !== "string") return null;
  const token = bearer.replace(/^Bearer\s+/i, "").trim();
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const row = await ctx.db.apiToken.findUnique({ where: { hash: hashToken(token) } });
  if (!row || row.revokedAt) return null;
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await ctx.db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } }).catch(() => {});
  }
  return { userId: row.userId, scopes: parseScopes(row.scopes), tokenId: row.id };
}

/** The Actor for a token (what the web app passes to services for API requests). */
export function actorFromToken(auth: TokenAuth): Exclude<Actor, null> {
  return { userId: auth.userId, scopes: auth.scopes, tokenId: auth.tokenId };
}

