// POST /api/v1/equip/preview — estimated interference between versions in the
// caller's library, from their publish-time sketches (no weights are read).
import { z } from "zod";
import { previewInterference } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({ foundation: z.string(), refs: z.array(z.string()) });

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  return json({ preview: await previewInterference(getContext(), actor, await readJson(req, Body)) });
});
