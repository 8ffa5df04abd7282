/** Teams: publishers, memberships and role checks. */
export {
  createTeam,
  getTeam,
  listMyTeams,
  addMember,
  changeRole,
  removeMember,
  type TeamSummary,
  type TeamDetail,
  type TeamMember,
  type TeamVectorSummary,
} from "./teams";
export { requireTeamRole, getMembership, roleAtLeast, teamIdsOf, TEAM_ROLES, type TeamRole, type MembershipInfo } from "./roles";
