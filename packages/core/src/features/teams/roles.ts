/**
 * Team roles and the single check every team-scoped action goes through:
 * owner > admin > member.
 */
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError } from "../../errors";
import { requireActor } from "../../lib/auth";

export type TeamRole = "owner" | "admin" | "member";
export const TEAM_ROLES: readonly TeamRole[] = ["owner", "admin", "member"];
const RANK: Record<TeamRole, number> = { member: 1, admin: 2, owner: 3 };

export function roleAtLeast(role: string, min: TeamRole): boolean {
  return (RANK[role as TeamRole] ?? 0) >= RANK[min];
}

export interface MembershipInfo {
  teamId: string;
  userId: string;
  role: TeamRole;
}

export async function getMembership(db: DbClient, teamId: string, userId: string): Promise<MembershipInfo | null> {
  const m = await db.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
  return m ? { teamId: m.teamId, userId: m.userId, role: m.role as TeamRole } : null;
}

/** The actor's membership when it has at least `minRole` in the team; UNAUTHENTICATED / FORBIDDEN otherwise. */
export async function requireTeamRole(ctx: Pick<CoreContext, "db"> | { db: DbClient }, actor: Actor, teamId: string, minRole: TeamRole): Promise<MembershipInfo> {
  const a = requireActor(actor);
  const m = await getMembership(ctx.db, teamId, a.userId);
  if (!m) throw new DomainError("FORBIDDEN", "you are not a member of this team");
  if (!roleAtLeast(m.role, minRole)) throw new DomainError("FORBIDDEN", `this needs the ${minRole} role in the team (you are ${m.role})`);
  return m;
}

/** Ids of every team the user belongs to. */
export async function teamIdsOf(db: DbClient, userId: string): Promise<string[]> {
  const rows = await db.membership.findMany({ where: { userId }, select: { teamId: true } });
  return rows.map((r) => r.teamId);
}
