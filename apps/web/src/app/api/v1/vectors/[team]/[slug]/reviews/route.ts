// GET/POST /api/v1/vectors/:team/:slug/reviews — a vector's reviews (public for
// listed vectors); write or replace the caller's review (entitled users only).
import { z } from "zod";
import { listReviews, writeReview } from "@graft/core";
import { getActor, requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, readQuery, withErrors } from "@/server/http";

const Query = z.object({ limit: z.coerce.number().int().optional(), offset: z.coerce.number().int().optional() });
const Body = z.object({ rating: z.number(), body: z.string().optional() });

export const GET = withErrors<{ team: string; slug: string }>(async (req, { params }) => {
  const { team, slug } = await params;
  const result = await listReviews(getContext(), await getActor(req), team, slug, readQuery(req.nextUrl, Query));
  return json(result);
});

export const POST = withErrors<{ team: string; slug: string }>(async (req, { params }) => {
  const { team, slug } = await params;
  const actor = await requireActor(req);
  const review = await writeReview(getContext(), actor, team, slug, await readJson(req, Body));
  return json({ review });
});
