// POST /api/v1/auth/signup — create an email/password account (then sign in
// through next-auth's credentials callback, or create an API token).
import { z } from "zod";
import { registerUser } from "@graft/core";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";
import { clientAddress, rateLimit } from "@/server/rate-limit";

const Body = z.object({
  email: z.string(),
  password: z.string(),
  name: z.string().optional(),
});

export const POST = withErrors(async (req) => {
  await rateLimit("signUp", clientAddress(req.headers));
  const input = await readJson(req, Body);
  const user = await registerUser(getContext(), input);
  return json({ user }, { status: 201 });
});
