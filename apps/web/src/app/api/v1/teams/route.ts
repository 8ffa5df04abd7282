// GET/POST /api/v1/teams — the caller's teams; create a team (caller becomes owner).
import { z } from "zod";
import { createTeam, listMyTeams } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({
  slug: z.string(),
  name: z.string(),
  description: z.string().optional(),
});

export const GET = withErrors(async (req) => {
  const teams = await listMyTeams(getContext(), await requireActor(req));
  return json({ teams });
});

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  const team = await createTeam(getContext(), actor, await readJson(req, Body));
  return json({ team }, { status: 201 });
});
