/**
 * Publishing teams and their members. Owners and admins manage members; only
 * owners create or demote owners; a team always keeps at least one owner.
 */
import { z } from "zod";
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireActor, requireScope } from "../../lib/auth";
import { num } from "../../lib/dto";
import { emailSchema, parseInput, slugSchema } from "../../lib/validate";
import { recordAudit } from "../audit/audit";
import { getMembership, requireTeamRole, roleAtLeast, TEAM_ROLES, type TeamRole } from "./roles";

export interface TeamSummary {
  id: string;
  slug: string;
  name: string;
  description: string;
  createdAt: Date;
}

export interface TeamMember {
  userId: string;
  name: string | null;
  image: string | null;
  /** Only shown to members of the team. */
  email: string | null;
  role: TeamRole;
  joinedAt: Date;
}

export interface TeamVectorSummary {
  id: string;
  slug: string;
  name: string;
  task: string;
  summary: string;
  foundation: { slug: string; name: string };
  downloads: number;
  listing: { kind: string; priceCents: number | null; currency: string; active: boolean } | null;
  latestVersion: string | null;
  updatedAt: Date;
}

export interface TeamDetail extends TeamSummary {
  members: TeamMember[];
  vectors: TeamVectorSummary[];
  /** The viewer's role, or null when not a member / anonymous. */
  viewerRole: TeamRole | null;
}

function toSummary(t: { id: string; slug: string; name: string; description: string; createdAt: Date }): TeamSummary {
  return { id: t.id, slug: t.slug, name: t.name, description: t.description, createdAt: t.createdAt };
}

const createSchema = z.object({
  slug: slugSchema,
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000).optional(),
});

/** Creates a team with the actor as its owner. */
export async function createTeam(ctx: CoreContext, actor: Actor, input: { slug: string; name: string; description?: string }): Promise<TeamSummary> {
  const a = requireScope(actor, "publish");
  const p = parseInput(createSchema, input);
  if (await ctx.db.team.findUnique({ where: { slug: p.slug }, select: { id: true } })) {
    throw new DomainError("CONFLICT", `the team name "${p.slug}" is taken`);
  }
  try {
    return await ctx.db.$transaction(async (tx) => {
      const team = await tx.team.create({ data: { slug: p.slug, name: p.name, description: p.description ?? "" } });
      await tx.membership.create({ data: { teamId: team.id, userId: a.userId, role: "owner" } });
      await recordAudit(tx, { actorId: a.userId, teamId: team.id, action: "team.create", targetType: "team", targetId: team.id, details: { slug: p.slug } });
      return toSummary(team);
    });
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") throw new DomainError("CONFLICT", `the team name "${p.slug}" is taken`);
    throw e;
  }
}

/**
 * A team with its members and vectors. Pass the actor to let members see
 * member emails and unlisted vectors; others see listed vectors only.
 */
export async function getTeam(ctx: CoreContext, slug: string, actor: Actor = null): Promise<TeamDetail> {
  const team = await ctx.db.team.findUnique({
    where: { slug },
    include: {
      members: { include: { user: true }, orderBy: [{ createdAt: "asc" }] },
      vectors: {
        include: {
          foundation: { select: { slug: true, name: true } },
          listing: true,
          versions: { select: { version: true, yankedAt: true, createdAt: true }, orderBy: { createdAt: "desc" } },
        },
        orderBy: { createdAt: "desc" },
      },
    },
  });
  if (!team) throw notFound(`team "${slug}"`);
  const viewer = actor ? team.members.find((m) => m.userId === actor.userId) : undefined;
  const isMember = viewer !== undefined;
  return {
    ...toSummary(team),
    viewerRole: (viewer?.role as TeamRole | undefined) ?? null,
    members: team.members.map((m) => ({
      userId: m.userId,
      name: m.user.name,
      image: m.user.image,
      email: isMember ? m.user.email : null,
      role: m.role as TeamRole,
      joinedAt: m.createdAt,
    })),
    vectors: team.vectors
      .filter((v) => isMember || (v.listing?.active ?? false))
      .map((v) => {
        const visible = v.versions.filter((x) => isMember || !x.yankedAt);
        return {
          id: v.id,
          slug: v.slug,
          name: v.name,
          task: v.task,
          summary: v.summary,
          foundation: v.foundation,
          downloads: num(v.downloads),
          listing: v.listing ? { kind: v.listing.kind, priceCents: v.listing.priceCents, currency: v.listing.currency, active: v.listing.active } : null,
          latestVersion: visible[0]?.version ?? null,
          updatedAt: v.updatedAt,
        };
      }),
  };
}

/** Teams the actor belongs to, with the actor's role. */
export async function listMyTeams(ctx: CoreContext, actor: Actor): Promise<(TeamSummary & { role: TeamRole })[]> {
  const a = requireActor(actor);
  const rows = await ctx.db.membership.findMany({ where: { userId: a.userId }, include: { team: true }, orderBy: { createdAt: "asc" } });
  return rows.map((m) => ({ ...toSummary(m.team), role: m.role as TeamRole }));
}

async function teamBySlug(db: DbClient, slug: string) {
  const team = await db.team.findUnique({ where: { slug } });
  if (!team) throw notFound(`team "${slug}"`);
  return team;
}

const roleSchema = z.enum(TEAM_ROLES as unknown as [TeamRole, ...TeamRole[]]);

/** Adds an existing user (by email) to the team. Admins add members/admins; owners may add owners. */
export async function addMember(
  ctx: CoreContext,
  actor: Actor,
  teamSlug: string,
  input: { email: string; role: TeamRole },
): Promise<TeamMember> {
  const a = requireScope(actor, "publish");
  const p = parseInput(z.object({ email: emailSchema, role: roleSchema }), input);
  const team = await teamBySlug(ctx.db, teamSlug);
  const me = await requireTeamRole(ctx, a, team.id, "admin");
  if (p.role === "owner" && me.role !== "owner") throw new DomainError("FORBIDDEN", "only owners can make owners");
  const user = await ctx.db.user.findUnique({ where: { email: p.email } });
  if (!user) throw new DomainError("NOT_FOUND", `no Graft account uses ${p.email}; ask them to sign up first`);
  if (await getMembership(ctx.db, team.id, user.id)) throw new DomainError("CONFLICT", `${p.email} is already a member of ${team.slug}`);
  const m = await ctx.db.$transaction(async (tx) => {
    const created = await tx.membership.create({ data: { teamId: team.id, userId: user.id, role: p.role } });
    await recordAudit(tx, { actorId: a.userId, teamId: team.id, action: "team.member.add", targetType: "user", targetId: user.id, details: { role: p.role } });
    return created;
  });
  return { userId: user.id, name: user.name, image: user.image, email: user.email, role: p.role, joinedAt: m.createdAt };
}

async function ownerCount(db: DbClient, teamId: string): Promise<number> {
  return db.membership.count({ where: { teamId, role: "owner" } });
}

/** Changes a member's role. Owner roles (granting or taking away) need an owner; the last owner stays owner. */
export async function changeRole(ctx: CoreContext, actor: Actor, teamSlug: string, userId: string, role: TeamRole): Promise<TeamMember> {
  const a = requireScope(actor, "publish");
  const newRole = parseInput(roleSchema, role);
  const team = await teamBySlug(ctx.db, teamSlug);
  const me = await requireTeamRole(ctx, a, team.id, "admin");
  const target = await getMembership(ctx.db, team.id, userId);
  if (!target) throw notFound("team member");
  if ((newRole === "owner" || target.role === "owner") && me.role !== "owner") {
    throw new DomainError("FORBIDDEN", "only owners can grant or take away the owner role");
  }
  const updated = await ctx.db.$transaction(async (tx) => {
    if (target.role === "owner" && newRole !== "owner" && (await ownerCount(tx, team.id)) <= 1) {
      throw new DomainError("CONFLICT", "a team needs at least one owner; make someone else owner first");
    }
    const m = await tx.membership.update({ where: { teamId_userId: { teamId: team.id, userId } }, data: { role: newRole }, include: { user: true } });
    await recordAudit(tx, { actorId: a.userId, teamId: team.id, action: "team.member.role", targetType: "user", targetId: userId, details: { from: target.role, to: newRole } });
    return m;
  });
  return { userId, name: updated.user.name, image: updated.user.image, email: updated.user.email, role: newRole, joinedAt: updated.createdAt };
}

/** Removes a member (or lets a member leave). Removing an owner needs an owner; the last owner cannot leave. */
export async function removeMember(ctx: CoreContext, actor: Actor, teamSlug: string, userId: string): Promise<void> {
  const a = requireScope(actor, "publish");
  const team = await teamBySlug(ctx.db, teamSlug);
  const leaving = userId === a.userId;
  const me = await requireTeamRole(ctx, a, team.id, leaving ? "member" : "admin");
  const target = leaving ? me : await getMembership(ctx.db, team.id, userId);
  if (!target) throw notFound("team member");
  if (!leaving && target.role === "owner" && me.role !== "owner") throw new DomainError("FORBIDDEN", "only owners can remove owners");
  if (!leaving && !roleAtLeast(me.role, target.role)) throw new DomainError("FORBIDDEN", `admins cannot remove a ${target.role}`);
  await ctx.db.$transaction(async (tx) => {
    if (target.role === "owner" && (await ownerCount(tx, team.id)) <= 1) {
      throw new DomainError("CONFLICT", "the last owner cannot leave the team; make someone else owner first");
    }
    await tx.membership.delete({ where: { teamId_userId: { teamId: team.id, userId } } });
    await recordAudit(tx, { actorId: a.userId, teamId: team.id, action: "team.member.remove", targetType: "user", targetId: userId, details: { role: target.role, left: leaving } });
  });
}
