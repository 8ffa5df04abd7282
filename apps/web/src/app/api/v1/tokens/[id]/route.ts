// DELETE /api/v1/tokens/:id — revoke one of the caller's API tokens.
import { revokeApiToken } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const DELETE = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const record = await revokeApiToken(getContext(), await requireActor(req), id);
  return json({ record });
});
