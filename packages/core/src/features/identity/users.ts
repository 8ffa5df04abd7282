/**
 * Accounts: email/password registration and sign-in, OAuth (GitHub) sign-in,
 * and user lookup. Password hashes never leave this module.
 */
import bcrypt from "bcryptjs";
import { z } from "zod";
import type { CoreContext } from "../../context";
import { DomainError } from "../../errors";
import { emailSchema, normalizeEmail, parseInput } from "../../lib/validate";

export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  image: string | null;
  createdAt: Date;
}

const BCRYPT_COST = 10;
/** Compared against when the user does not exist, so both paths cost one bcrypt. */
const DUMMY_HASH = bcrypt.hashSync("graft-timing-equaliser", BCRYPT_COST);

function toPublic(u: { id: string; email: string; name: string | null; image: string | null; createdAt: Date }): PublicUser {
  return { id: u.id, email: u.email, name: u.name, image: u.image, createdAt: u.createdAt };
}

const registerSchema = z.object({
  email: emailSchema,
  password: z.string().min(8, "must be at least 8 characters").max(200, "must be at most 200 characters"),
  name: z.string().trim().min(1).max(100).optional(),
});

export async function registerUser(ctx: CoreContext, input: { email: string; password: string; name?: string }): Promise<PublicUser> {
  const { email, password, name } = parseInput(registerSchema, input);
  const existing = await ctx.db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) throw new DomainError("CONFLICT", "an account with this email already exists");
  const passwordHash = await bcrypt.hash(password, BCRYPT_COST);
  try {
    return toPublic(await ctx.db.user.create({ data: { email, passwordHash, name: name ?? null } }));
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") throw new DomainError("CONFLICT", "an account with this email already exists");
    throw e;
  }
}

/** The user when email and password match, else null (same cost whether or not the user exists). */
export async function verifyCredentials(ctx: CoreContext, email: string, password: string): Promise<PublicUser | null> {
  if (typeof email !== "string" || typeof password !== "string") return null;
  const user = await ctx.db.user.findUnique({ where: { email: normalizeEmail(email) } });
  const ok = await bcrypt.compare(password.slice(0, 200), user?.passwordHash ?? DUMMY_HASH);
  return ok && user?.passwordHash ? toPublic(user) : null;
}

const oauthSchema = z.object({
  provider: z.string().min(1).max(40),
  providerAccountId: z.string().min(1).max(200),
  email: emailSchema,
  name: z.string().max(100).nullish(),
  image: z.string().max(2000).nullish(),
});

/**
 * Signs in through an OAuth provider: the linked account's user, else the user
 * with the same (provider-verified) email, now linked, else a new user. Fills
 * in a missing name/image from the provider.
 */
export async function upsertOAuthUser(
  ctx: CoreContext,
  input: { provider: string; providerAccountId: string; email: string; name?: string | null; image?: string | null },
): Promise<PublicUser> {
  const p = parseInput(oauthSchema, input);
  return ctx.db.$transaction(async (tx) => {
    const account = await tx.account.findUnique({
      where: { provider_providerAccountId: { provider: p.provider, providerAccountId: p.providerAccountId } },
      include: { user: true },
    });
    let user = account?.user ?? (await tx.user.findUnique({ where: { email: p.email } }));
    if (!user) {
      user = await tx.user.create({ data: { email: p.email, name: p.name ?? null, image: p.image ?? null } });
    } else if ((!user.name && p.name) || (!user.image && p.image)) {
      user = await tx.user.update({
        where: { id: user.id },
        data: { name: user.name ?? p.name ?? null, image: user.image ?? p.image ?? null },
      });
    }
    if (!account) {
      await tx.account.create({ data: { userId: user.id, provider: p.provider, providerAccountId: p.providerAccountId } });
    }
    return toPublic(user);
  });
}

export async function getUser(ctx: CoreContext, id: string): Promise<PublicUser | null> {
  if (typeof id !== "string" || id === "") return null;
  const user = await ctx.db.user.findUnique({ where: { id } });
  return user ? toPublic(user) : null;
}
