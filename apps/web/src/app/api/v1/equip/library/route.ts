// GET /api/v1/equip/library?foundation=slug — the versions on a foundation the caller may merge.
import { z } from "zod";
import { listLibrary } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readQuery, withErrors } from "@/server/http";

const Query = z.object({ foundation: z.string().min(1, "foundation is required") });

export const GET = withErrors(async (req) => {
  const actor = await requireActor(req);
  const { foundation } = readQuery(req.nextUrl, Query);
  return json({ versions: await listLibrary(getContext(), actor, foundation) });
});
