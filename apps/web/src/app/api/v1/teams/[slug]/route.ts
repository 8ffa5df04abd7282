// GET /api/v1/teams/:slug — a team, its members and vectors (members see more).
import { getTeam } from "@graft/core";
import { getActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ slug: string }>(async (req, { params }) => {
  const { slug } = await params;
  const team = await getTeam(getContext(), slug, await getActor(req));
  return json({ team });
});
