// POST /api/v1/teams/:slug/members — add an existing user (by email) with a role.
import { z } from "zod";
import { addMember } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const Body = z.object({
  email: z.string(),
  role: z.enum(["owner", "admin", "member"]).default("member"),
});

export const POST = withErrors<{ slug: string }>(async (req, { params }) => {
  const { slug } = await params;
  const actor = await requireActor(req);
  const member = await addMember(getContext(), actor, slug, await readJson(req, Body));
  return json({ member }, { status: 201 });
});
