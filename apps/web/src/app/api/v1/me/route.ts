// GET /api/v1/me — the caller (session or token), its token scopes and teams.
import { getUser, listMyTeams } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { HttpError, json, withErrors } from "@/server/http";

export const GET = withErrors(async (req) => {
  const actor = await requireActor(req);
  const ctx = getContext();
  const user = await getUser(ctx, actor.userId);
  if (!user) throw new HttpError(401, "UNAUTHENTICATED", "this session's account no longer exists; sign in again");
  const teams = await listMyTeams(ctx, actor);
  return json({ user, scopes: actor.scopes ?? null, teams });
});
