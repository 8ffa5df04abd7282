/**
 * Input validation at the service boundary: zod schemas for the shared value
 * types (slugs, tags, emails) and a parse helper that throws INVALID.
 */
import { z } from "zod";
import { DomainError, formatZodIssues } from "../errors";

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new DomainError("INVALID", formatZodIssues(result.error), {
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    });
  }
  return result.data;
}

/** Team, foundation and vector slugs: lowercase, 2–39 chars, URL-safe. */
export const SLUG_RE = /^[a-z0-9][a-z0-9-]{1,38}$/;
export const slugSchema = z.string().regex(SLUG_RE, "must be 2–39 lowercase letters, digits or dashes, not starting with a dash");

/** Tags and task categories: lowercase words joined by dashes. */
export const TAG_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(TAG_RE, "must be 1–32 lowercase letters, digits or dashes");

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email("must be a valid email address"));

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const idSchema = z.string().min(1).max(64);
