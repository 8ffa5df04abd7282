/** Input rules for publishing: slugs, tags, listing terms, semver, card sizes. */
import { z } from "zod";
import { isSemver } from "../../lib/semver";
import { stagedBlobSchema } from "../../lib/staged";
import { slugSchema, tagSchema } from "../../lib/validate";

export const listingSchema = z
  .object({
    kind: z.enum(["free", "paid", "trade"]),
    priceCents: z.number().int().positive().max(100_000_000).nullish(),
    currency: z
      .string()
      .regex(/^[a-zA-Z]{3}$/, "must be a 3-letter ISO currency code")
      .transform((c) => c.toLowerCase())
      .optional(),
    licence: z.enum(["personal", "commercial"]),
    redistribution: z.boolean(),
  })
  .superRefine((l, ctx) => {
    if (l.kind === "paid" && (l.priceCents === undefined || l.priceCents === null)) {
      ctx.addIssue({ code: "custom", path: ["priceCents"], message: "a paid listing needs a price" });
    }
    if (l.kind !== "paid" && l.priceCents !== undefined && l.priceCents !== null) {
      ctx.addIssue({ code: "custom", path: ["priceCents"], message: `a ${l.kind} listing has no price` });
    }
  });

export type ListingInput = z.input<typeof listingSchema>;

export const uploadSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("task-vector"), file: stagedBlobSchema }),
  z.object({ kind: z.literal("finetuned"), file: stagedBlobSchema }),
  z.object({ kind: z.literal("lora"), adapterConfig: stagedBlobSchema, adapterWeights: stagedBlobSchema }),
]);

export const publishSchema = z.object({
  teamSlug: slugSchema,
  foundationSlug: slugSchema,
  vectorSlug: slugSchema,
  name: z.string().trim().min(1).max(100),
  task: tagSchema,
  tags: z
    .array(tagSchema)
    .max(20, "at most 20 tags")
    .transform((tags) => [...new Set(tags)].sort()),
  summary: z.string().trim().max(300),
  cardMarkdown: z.string().max(100_000),
  version: z.string().refine(isSemver, "must be a semantic version like 1.0.0"),
  changelog: z.string().max(20_000),
  listing: listingSchema.optional(),
  upload: uploadSchema,
});
