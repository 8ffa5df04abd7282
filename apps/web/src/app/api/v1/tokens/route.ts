// GET/POST /api/v1/tokens — list and create personal API tokens (session only;
// the secret is in the POST response and never again).
import { z } from "zod";
import { createApiToken, listApiTokens } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({
  name: z.string(),
  scopes: z.array(z.enum(["read", "publish"])).default(["read"]),
});

export const GET = withErrors(async (req) => {
  const tokens = await listApiTokens(getContext(), await requireActor(req));
  return json({ tokens });
});

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  const input = await readJson(req, Body);
  const { token, record } = await createApiToken(getContext(), actor, input);
  return json({ token, record }, { status: 201 });
});
