/**
 * Resolves a recipe's registry references to rows, and checks that the actor
 * may download every input (at submit, and again when the job runs).
 */
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { canDownload } from "../entitlements/access";
import { parseVersionRef, type EquipChoices } from "./recipe-yaml";

export interface ResolvedInput {
  ref: string;
  versionId: string;
  weight: number;
  blobHash: string;
  team: string;
  vector: string;
  version: string;
  licence: string | null;
  sketchJson: string | null;
  evalJson: string | null;
}

export interface ResolvedRecipe {
  foundation: { id: string; slug: string; name: string; fingerprint: string; licence: string };
  inputs: ResolvedInput[];
}

export async function resolveChoices(ctx: CoreContext, choices: EquipChoices): Promise<ResolvedRecipe> {
  const foundation = await ctx.db.foundation.findUnique({
    where: { slug: choices.foundation },
    select: { id: true, slug: true, name: true, fingerprint: true, licence: true },
  });
  if (!foundation) throw notFound(`foundation "${choices.foundation}"`);
  const inputs: ResolvedInput[] = [];
  for (const v of choices.vectors) {
    const { team, vector, version } = parseVersionRef(v.ref);
    const row = await ctx.db.vectorVersion.findFirst({
      where: { version, vector: { slug: vector, team: { slug: team } } },
      select: {
        id: true,
        blobHash: true,
        sketchJson: true,
        evalJson: true,
        vector: { select: { foundationId: true, listing: { select: { licence: true } } } },
      },
    });
    if (!row) throw notFound(`vector version ${v.ref}`);
    if (row.vector.foundationId !== foundation.id) {
      throw new DomainError("INVALID", `${v.ref} is not published against foundation "${foundation.slug}"`);
    }
    inputs.push({
      ref: v.ref,
      versionId: row.id,
      weight: v.weight,
      blobHash: row.blobHash,
      team,
      vector,
      version,
      licence: row.vector.listing?.licence ?? null,
      sketchJson: row.sketchJson,
      evalJson: row.evalJson,
    });
  }
  return { foundation, inputs };
}

const REASONS: Record<string, string> = {
  "not-found": "no longer exists",
  "login-required": "needs a signed-in account",
  "not-entitled": "is not in your library (buy, trade or get a grant for it first)",
  yanked: "was yanked and you hold no entitlement to it",
  "insufficient-scope": "cannot be downloaded with this token's scopes",
};

/** Throws FORBIDDEN naming the first input the actor may not download. */
export async function requireEntitled(ctx: CoreContext, actor: Actor, inputs: readonly { ref: string; versionId: string }[]): Promise<void> {
  for (const input of inputs) {
    const decision = await canDownload(ctx, actor, input.versionId);
    if (!decision.allowed) {
      throw new DomainError("FORBIDDEN", `${input.ref} ${REASONS[decision.reason] ?? decision.reason}`, { ref: input.ref, reason: decision.reason });
    }
  }
}
