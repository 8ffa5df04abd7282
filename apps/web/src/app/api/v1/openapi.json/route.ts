// GET /api/v1/openapi.json — the machine-readable API description (src/server/openapi.ts).
import { openApiDocument } from "@/server/openapi";
import { json } from "@/server/http";

export function GET(): Response {
  return json(openApiDocument, { headers: { "cache-control": "public, max-age=300" } });
}
