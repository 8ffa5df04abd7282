// POST /api/v1/trades/:id/counter — close an offer as countered and propose
// other terms back (admin of the receiving team); answers the new offer.
import { z } from "zod";
import { counterTrade } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({
  offered: z.array(z.string()),
  requested: z.array(z.string()),
  message: z.string().optional(),
  expiresInDays: z.number().optional(),
});

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const actor = await requireActor(req);
  const offer = await counterTrade(getContext(), actor, id, await readJson(req, Body));
  return json({ offer }, { status: 201 });
});
