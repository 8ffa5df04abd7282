/**
 * Seller onboarding with Stripe Connect Express: one connected account per
 * team (created once, idempotently), a fresh account link each time the
 * seller (re)starts onboarding, and the account's state kept in
 * SellerAccount from `account.updated` events.
 */
import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import type { Actor, CoreContext, DbClient } from "../../context";
import { notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";
import { requireStripe, stripeFailure } from "./payments";

export interface SellerState {
  connected: boolean;
  stripeAccountId: string | null;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
}

export async function sellerState(db: DbClient, teamId: string): Promise<SellerState> {
  const s = await db.sellerAccount.findUnique({ where: { teamId } });
  return {
    connected: s !== null,
    stripeAccountId: s?.stripeAccountId ?? null,
    chargesEnabled: s?.chargesEnabled ?? false,
    payoutsEnabled: s?.payoutsEnabled ?? false,
    detailsSubmitted: s?.detailsSubmitted ?? false,
  };
}

async function teamForAdmin(ctx: CoreContext, actor: Actor, teamSlug: string) {
  const a = requireScope(actor, "publish");
  const team = await ctx.db.team.findUnique({ where: { slug: teamSlug }, select: { id: true, slug: true, name: true } });
  if (!team) throw notFound(`team "${teamSlug}"`);
  await requireTeamRole(ctx, a, team.id, "admin");
  return { a, team };
}

/**
 * Creates the team's Express account if it has none, and returns a Stripe
 * onboarding link for it. Team admins only.
 */
export async function startSellerOnboarding(ctx: CoreContext, actor: Actor, teamSlug: string): Promise<{ url: string; seller: SellerState }> {
  const { a, team } = await teamForAdmin(ctx, actor, teamSlug);
  const { stripe, config } = requireStripe(ctx, "seller onboarding");
  let seller = await ctx.db.sellerAccount.findUnique({ where: { teamId: team.id } });
  if (!seller) {
    let account: Stripe.Account;
    try {
      account = await stripe.accounts.create(
        {
          type: "express",
          metadata: { teamId: team.id, teamSlug: team.slug },
          capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
        },
        // One account per team, even when two admins click at once.
        { idempotencyKey: `graft-seller-${team.id}` },
      );
    } catch (e) {
      throw stripeFailure("create the payout account", e);
    }
    seller = await ctx.db.$transaction(async (tx) => {
      const s = await tx.sellerAccount.upsert({
        where: { teamId: team.id },
        create: { teamId: team.id, ...accountFlags(account) },
        update: {},
      });
      await recordAudit(tx, { actorId: a.userId, teamId: team.id, action: "seller.onboard", targetType: "team", targetId: team.id, details: { stripeAccountId: s.stripeAccountId } });
      return s;
    });
  }
  const back = `${config.publicUrl}/teams/${team.slug}/sales`;
  try {
    const link = await stripe.accountLinks.create(
      { account: seller.stripeAccountId, type: "account_onboarding", refresh_url: `${back}?onboarding=refresh`, return_url: `${back}?onboarding=done` },
      // Links are single-use, so each request is its own idempotent create.
      { idempotencyKey: `graft-onboarding-${team.id}-${randomUUID()}` },
    );
    return { url: link.url, seller: await sellerState(ctx.db, team.id) };
  } catch (e) {
    throw stripeFailure("create the onboarding link", e);
  }
}

function accountFlags(account: Stripe.Account) {
  return {
    stripeAccountId: account.id,
    chargesEnabled: account.charges_enabled ?? false,
    payoutsEnabled: account.payouts_enabled ?? false,
    detailsSubmitted: account.details_submitted ?? false,
  };
}

/** Copies an account's current state onto the team's SellerAccount (unknown accounts are ignored). */
export async function syncSellerAccount(tx: DbClient, account: Stripe.Account): Promise<boolean> {
  const r = await tx.sellerAccount.updateMany({ where: { stripeAccountId: account.id }, data: accountFlags(account) });
  return r.count > 0;
}
