// POST /api/v1/versions/:id/yank — withdraw a version from new users (members of the owner team).
import { yankVersion } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const version = await yankVersion(getContext(), await requireActor(req), id);
  return json({ version });
});
