// GET/POST /api/v1/trades — the caller's teams' trade offers (box: incoming |
// outgoing | history, optionally one team); propose a trade (admin of fromTeam).
import { z } from "zod";
import { listTradeOffers, proposeTrade } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, readQuery, withErrors } from "@/server/http";

const Query = z.object({
  box: z.enum(["incoming", "outgoing", "history"]).optional(),
  team: z.string().optional(),
  limit: z.coerce.number().int().optional(),
});

const Body = z.object({
  fromTeam: z.string(),
  toTeam: z.string(),
  offered: z.array(z.string()),
  requested: z.array(z.string()),
  message: z.string().optional(),
  expiresInDays: z.number().optional(),
});

export const GET = withErrors(async (req) => {
  const actor = await requireActor(req);
  const offers = await listTradeOffers(getContext(), actor, readQuery(req.nextUrl, Query));
  return json({ offers });
});

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  const offer = await proposeTrade(getContext(), actor, await readJson(req, Body));
  return json({ offer }, { status: 201 });
});
