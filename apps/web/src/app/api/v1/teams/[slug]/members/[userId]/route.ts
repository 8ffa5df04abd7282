// PATCH/DELETE /api/v1/teams/:slug/members/:userId — change a member's role; remove a member (or leave).
import { z } from "zod";
import { changeRole, removeMember } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, noContent, readJson, withErrors } from "@/server/http";

const Body = z.object({ role: z.enum(["owner", "admin", "member"]) });

type Params = { slug: string; userId: string };

export const PATCH = withErrors<Params>(async (req, { params }) => {
  const { slug, userId } = await params;
  const actor = await requireActor(req);
  const { role } = await readJson(req, Body);
  const member = await changeRole(getContext(), actor, slug, userId, role);
  return json({ member });
});

export const DELETE = withErrors<Params>(async (req, { params }) => {
  const { slug, userId } = await params;
  await removeMember(getContext(), await requireActor(req), slug, userId);
  return noContent();
});
