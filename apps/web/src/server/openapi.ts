// The OpenAPI 3.1 description of /api/v1, written by hand next to the routes
// it documents. A test walks src/app/api/v1 and checks that every route file
// and exported method appears here, so the two cannot drift apart silently.

import { equipPaths, equipSchemas } from "./openapi-equip";

type Schema = Record<string, unknown>;

interface Operation {
  summary: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: Schema[];
  requestBody?: Schema;
  responses: Record<string, Schema>;
}

type Method = "get" | "post" | "put" | "patch" | "delete";

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  components: { securitySchemes: Record<string, Schema>; schemas: Record<string, Schema>; responses: Record<string, Schema> };
  paths: Record<string, Partial<Record<Method, Operation>>>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Schema, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { "application/json": { schema } },
});
const ok = (schema: Schema, description = "OK") => ({ description, content: { "application/json": { schema } } });
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)) => ({ type: "object", properties, required });
const str = { type: "string" };
const int = { type: "integer" };
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
const pathParam = (name: string, description: string) => ({ name, in: "path", required: true, description, schema: str });
const query = (name: string, description: string, schema: Schema = str) => ({ name, in: "query", required: false, description, schema });

type Security = Record<string, string[]>[];
const signedIn: Security = [{ bearer: [] }, { session: [] }];
const optionalAuth: Security = [{}, { bearer: [] }, { session: [] }];

export const openApiDocument: OpenApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Graft API",
    version: "1.0.0",
    description:
      "The task-vector exchange. Authenticate with a personal API token (`Authorization: Bearer graft_…`, created at /settings/tokens) " +
      "or the web session cookie. Every error is `{error: {code, message, details?}}`.",
  },
  servers: [{ url: "/api/v1" }],
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer", description: "Personal API token (graft_…) with scopes read and/or publish" },
      session: { type: "apiKey", in: "cookie", name: "next-auth.session-token", description: "Web session (full access)" },
    },
    schemas: {
      Error: obj({ error: obj({ code: str, message: str, details: {} }, ["code", "message"]) }),
      ListingTerms: obj(
        {
          kind: { enum: ["free", "paid", "trade"] },
          priceCents: { type: ["integer", "null"] },
          currency: str,
          licence: { enum: ["personal", "commercial"] },
          redistribution: { type: "boolean" },
          active: { type: "boolean" },
        },
        ["kind", "licence", "redistribution"],
      ),
      LibraryItem: obj({
        vector: { type: "object" },
        source: { enum: ["purchase", "trade", "grant", "owner-team", "free"] },
        viaTeam: { type: ["string", "null"] },
        licence: { type: ["string", "null"] },
        redistribution: { type: ["boolean", "null"] },
        licenceSummary: { type: "array", items: str },
        purchase: { type: ["object", "null"] },
        since: { type: "string", format: "date-time" },
      }),
      ...equipSchemas,
      User: obj({ id: str, email: str, name: { type: ["string", "null"] }, image: { type: ["string", "null"] }, createdAt: { type: "string", format: "date-time" } }),
      ApiToken: obj({
        id: str,
        name: str,
        prefix: str,
        scopes: { type: "array", items: { enum: ["read", "publish"] } },
        createdAt: { type: "string", format: "date-time" },
        lastUsedAt: { type: ["string", "null"], format: "date-time" },
        revokedAt: { type: ["string", "null"], format: "date-time" },
      }),
      Team: obj({ id: str, slug: str, name: str, description: str, createdAt: { type: "string", format: "date-time" } }),
      TeamMember: obj({ userId: str, name: { type: ["string", "null"] }, email: { type: ["string", "null"] }, role: { enum: ["owner", "admin", "member"] } }),
      TeamDetail: {
        allOf: [
          ref("Team"),
          obj({ members: { type: "array", items: ref("TeamMember") }, vectors: { type: "array", items: { type: "object" } }, viewerRole: { type: ["string", "null"] } }),
        ],
      },
      Foundation: obj({
        id: str,
        slug: str,
        name: str,
        architecture: str,
        licence: str,
        description: str,
        fingerprint: { type: "string", description: "sha256:… over tensor names, dtypes, shapes and bytes" },
        parameterCount: int,
        tensorCount: int,
        totalBytes: int,
        source: { enum: ["upload", "path"] },
        vectorCount: int,
      }),
      Listing: obj({
        kind: { enum: ["free", "paid", "trade"] },
        priceCents: { type: ["integer", "null"] },
        currency: str,
        licence: { enum: ["personal", "commercial"] },
        redistribution: { type: "boolean" },
      }),
      VectorSummary: obj({
        id: str,
        slug: str,
        name: str,
        task: str,
        summary: str,
        tags: { type: "array", items: str },
        team: obj({ slug: str, name: str }),
        foundation: obj({ slug: str, name: str }),
        downloads: int,
        listing: { oneOf: [ref("Listing"), { type: "null" }] },
      }),
      Version: obj({
        id: str,
        version: { type: "string", description: "semver" },
        changelog: str,
        sha256: str,
        encoding: { enum: ["dense", "sparse", "lowrank"] },
        sourceKind: { enum: ["task-vector", "finetuned", "lora"] },
        sizeBytes: int,
        tensorCount: int,
        normStats: obj({ l2: { type: "number" }, maxAbs: { type: "number" } }, ["l2", "maxAbs"]),
        yanked: { type: "boolean" },
        createdAt: { type: "string", format: "date-time" },
      }),
      TradeOffer: obj({
        id: str,
        status: { enum: ["open", "accepted", "declined", "countered", "withdrawn", "expired"] },
        message: str,
        from: obj({ id: str, slug: str, name: str }),
        to: obj({ id: str, slug: str, name: str }),
        offered: { type: "array", description: "vectors of `from`, given to `to` on acceptance", items: obj({ id: str, slug: str, name: str, team: obj({ slug: str, name: str }) }) },
        requested: { type: "array", description: "vectors of `to`, given to `from` on acceptance", items: obj({ id: str, slug: str, name: str, team: obj({ slug: str, name: str }) }) },
        counterOfId: { type: ["string", "null"] },
        expiresAt: { type: "string", format: "date-time" },
        respondedAt: { type: ["string", "null"], format: "date-time" },
        createdAt: { type: "string", format: "date-time" },
        viewer: obj({ canAnswer: { type: "boolean" }, canWithdraw: { type: "boolean" } }),
      }),
      TradeTerms: obj(
        {
          offered: { type: "array", items: str, description: "slugs of the proposing team's vectors" },
          requested: { type: "array", items: str, description: "slugs of the other team's listed vectors" },
          message: str,
          expiresInDays: { type: "integer", minimum: 1, maximum: 30, default: 7 },
        },
        ["offered", "requested"],
      ),
      Review: obj({ id: str, rating: { type: "integer", minimum: 1, maximum: 5 }, body: str, user: obj({ id: str, name: { type: ["string", "null"] } }), createdAt: { type: "string", format: "date-time" } }),
      PublishMeta: obj(
        {
          teamSlug: str,
          foundationSlug: str,
          vectorSlug: str,
          name: str,
          task: str,
          tags: { type: "array", items: str },
          summary: str,
          cardMarkdown: str,
          version: str,
          changelog: str,
          kind: { enum: ["task-vector", "finetuned"], default: "task-vector", description: "what `file` holds" },
          listing: ref("Listing"),
        },
        ["teamSlug", "foundationSlug", "vectorSlug", "name", "task", "version"],
      ),
    },
    responses: {
      E400: ok(ref("Error"), "Malformed request"),
      E401: ok(ref("Error"), "Not signed in, or invalid/revoked token"),
      E403: ok(ref("Error"), "Not allowed (role, token scope or entitlement)"),
      E404: ok(ref("Error"), "Not found"),
      E409: ok(ref("Error"), "Conflict (taken slug, existing version, last owner, stale or answered trade offer)"),
      E413: ok(ref("Error"), "Upload larger than GRAFT_MAX_UPLOAD_BYTES"),
      E415: ok(ref("Error"), "Unsupported content"),
      E416: ok(ref("Error"), "Range not satisfiable"),
      E422: ok(ref("Error"), "Rejected content: invalid safetensors, foundation mismatch (details.mismatches), bad values"),
    },
  },
  paths: {
    "/auth/signup": {
      post: {
        summary: "Create an email/password account",
        tags: ["identity"],
        requestBody: jsonBody(obj({ email: str, password: { type: "string", minLength: 8 }, name: str }, ["email", "password"])),
        responses: { "201": ok(obj({ user: ref("User") }), "Created"), ...err(400, 409, 422) },
      },
    },
    "/me": {
      get: {
        summary: "The caller, its token scopes (null for sessions) and teams",
        tags: ["identity"],
        security: signedIn,
        responses: {
          "200": ok(obj({ user: ref("User"), scopes: { type: ["array", "null"], items: str }, teams: { type: "array", items: ref("Team") } })),
          ...err(401),
        },
      },
    },
    "/tokens": {
      get: {
        summary: "List your API tokens (session only)",
        tags: ["tokens"],
        security: [{ session: [] }],
        responses: { "200": ok(obj({ tokens: { type: "array", items: ref("ApiToken") } })), ...err(401, 403) },
      },
      post: {
        summary: "Create an API token; the secret is returned once",
        tags: ["tokens"],
        security: [{ session: [] }],
        requestBody: jsonBody(obj({ name: str, scopes: { type: "array", items: { enum: ["read", "publish"] } } }, ["name"])),
        responses: { "201": ok(obj({ token: str, record: ref("ApiToken") }), "Created"), ...err(400, 401, 403, 422) },
      },
    },
    "/tokens/{id}": {
      delete: {
        summary: "Revoke an API token",
        tags: ["tokens"],
        security: [{ session: [] }],
        parameters: [pathParam("id", "token id")],
        responses: { "200": ok(obj({ record: ref("ApiToken") })), ...err(401, 403, 404) },
      },
    },
    "/teams": {
      get: {
        summary: "Teams you belong to, with your role",
        tags: ["teams"],
        security: signedIn,
        responses: { "200": ok(obj({ teams: { type: "array", items: ref("Team") } })), ...err(401) },
      },
      post: {
        summary: "Create a team (you become owner); tokens need `publish`",
        tags: ["teams"],
        security: signedIn,
        requestBody: jsonBody(obj({ slug: str, name: str, description: str }, ["slug", "name"])),
        responses: { "201": ok(obj({ team: ref("Team") }), "Created"), ...err(400, 401, 403, 409, 422) },
      },
    },
    "/teams/{slug}": {
      get: {
        summary: "A team with members and vectors (members see emails and unlisted vectors)",
        tags: ["teams"],
        security: optionalAuth,
        parameters: [pathParam("slug", "team slug")],
        responses: { "200": ok(obj({ team: ref("TeamDetail") })), ...err(404) },
      },
    },
    "/teams/{slug}/members": {
      post: {
        summary: "Add an existing user by email (admins; owners for the owner role)",
        tags: ["teams"],
        security: signedIn,
        parameters: [pathParam("slug", "team slug")],
        requestBody: jsonBody(obj({ email: str, role: { enum: ["owner", "admin", "member"], default: "member" } }, ["email"])),
        responses: { "201": ok(obj({ member: ref("TeamMember") }), "Created"), ...err(400, 401, 403, 404, 409, 422) },
      },
    },
    "/teams/{slug}/members/{userId}": {
      patch: {
        summary: "Change a member's role",
        tags: ["teams"],
        security: signedIn,
        parameters: [pathParam("slug", "team slug"), pathParam("userId", "member's user id")],
        requestBody: jsonBody(obj({ role: { enum: ["owner", "admin", "member"] } })),
        responses: { "200": ok(obj({ member: ref("TeamMember") })), ...err(400, 401, 403, 404, 409) },
      },
      delete: {
        summary: "Remove a member (or leave the team with your own id)",
        tags: ["teams"],
        security: signedIn,
        parameters: [pathParam("slug", "team slug"), pathParam("userId", "member's user id")],
        responses: { "204": { description: "Removed" }, ...err(401, 403, 404, 409) },
      },
    },
    "/foundations": {
      get: {
        summary: "Every registered foundation model",
        tags: ["registry"],
        responses: { "200": ok(obj({ foundations: { type: "array", items: ref("Foundation") } })) },
      },
      post: {
        summary: "Register a foundation: upload a .safetensors file, or name a checkpoint under GRAFT_MODELS_DIR (team admins)",
        tags: ["registry"],
        security: signedIn,
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: obj(
                { file: { type: "string", format: "binary" }, teamSlug: str, slug: str, name: str, architecture: str, licence: str, description: str },
                ["file", "teamSlug", "slug", "name", "architecture", "licence"],
              ),
            },
            "application/json": {
              schema: obj({ path: str, teamSlug: str, slug: str, name: str, architecture: str, licence: str, description: str }, [
                "path",
                "teamSlug",
                "slug",
                "name",
                "architecture",
                "licence",
              ]),
            },
          },
        },
        responses: { "201": ok(obj({ foundation: ref("Foundation") }), "Registered"), ...err(400, 401, 403, 404, 409, 413, 422) },
      },
    },
    "/foundations/{slug}": {
      get: {
        summary: "A foundation and its model tree (vectors registered against it)",
        tags: ["registry"],
        security: optionalAuth,
        parameters: [pathParam("slug", "foundation slug")],
        responses: {
          "200": ok(obj({ foundation: { allOf: [ref("Foundation"), obj({ vectors: { type: "array", items: ref("VectorSummary") } })] } })),
          ...err(404),
        },
      },
    },
    "/foundations/{slug}/generate": {
      post: {
        summary: "Try it: text from the foundation and, side by side, from the foundation equipped in memory with entitled vector versions (small demo-family models only)",
        tags: ["registry"],
        security: signedIn,
        parameters: [pathParam("slug", "foundation slug")],
        requestBody: jsonBody(
          obj(
            {
              prompt: { type: "string", maxLength: 500 },
              maxChars: { type: "integer", minimum: 1, maximum: 400, default: 160 },
              temperature: { type: "number", minimum: 0, maximum: 2, default: 0, description: "0 = greedy; otherwise seeded sampling" },
              seed: { type: "integer", minimum: 0, default: 0 },
              vectors: { type: "array", maxItems: 8, items: obj({ versionId: { type: "string" }, weight: { type: "number", minimum: -2, maximum: 2 } }, ["versionId", "weight"]) },
            },
            ["prompt"],
          ),
        ),
        responses: {
          "200": ok(obj({ base: { type: "string" }, equipped: { type: "string", nullable: true }, vectors: { type: "array", items: obj({ versionId: { type: "string" }, vector: { type: "string" }, version: { type: "string" }, weight: { type: "number" } }) } })),
          ...err(400, 401, 403, 404, 415, 422),
          "413": ok(ref("Error"), "Foundation too large to run inside a request"),
        },
      },
    },
    "/vectors": {
      get: {
        summary: "Search the catalog",
        tags: ["catalog"],
        security: optionalAuth,
        parameters: [
          query("q", "full-text query over name, summary, card, task and tags"),
          query("foundation", "foundation slug"),
          query("task", "task category"),
          query("tags", "comma-separated tags (all must match)"),
          query("licence", "personal | commercial"),
          query("listing", "listing kind: free | paid | trade"),
          query("maxPriceCents", "maximum price in cents (free and trade listings always pass)", int),
          query("sort", "new | downloads | rating", { enum: ["new", "downloads", "rating"] }),
          query("page", "1-based page", int),
          query("pageSize", "results per page (max 100)", int),
        ],
        responses: {
          "200": ok(obj({ items: { type: "array", items: ref("VectorSummary") }, total: int, page: int, pageSize: int })),
          ...err(400),
        },
      },
    },
    "/vectors/{team}/{slug}": {
      get: {
        summary: "A vector: card, listing, foundation compatibility and versions",
        tags: ["catalog"],
        security: optionalAuth,
        parameters: [pathParam("team", "team slug"), pathParam("slug", "vector slug")],
        responses: { "200": ok(obj({ vector: { type: "object" } })), ...err(404) },
      },
    },
    "/vectors/publish": {
      post: {
        summary: "Publish a version (creates the vector on first publish); streamed multipart upload",
        tags: ["registry"],
        security: signedIn,
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                properties: {
                  meta: { type: "string", contentMediaType: "application/json", contentSchema: ref("PublishMeta") },
                  file: { type: "string", format: "binary", description: "task vector (or fine-tuned checkpoint with meta.kind=finetuned)" },
                  adapter_config: { type: "string", format: "binary", description: "PEFT adapter_config.json (LoRA)" },
                  adapter_model: { type: "string", format: "binary", description: "PEFT adapter_model.safetensors (LoRA)" },
                },
                required: ["meta"],
              },
            },
          },
        },
        responses: {
          "201": ok(obj({ vector: obj({ id: str, slug: str, teamSlug: str, foundationSlug: str, created: { type: "boolean" } }), version: ref("Version") }), "Published"),
          ...err(400, 401, 403, 404, 409, 413, 415, 422),
        },
      },
    },
    "/versions/{id}/yank": {
      post: {
        summary: "Yank a version (members of the owner team)",
        tags: ["registry"],
        security: signedIn,
        parameters: [pathParam("id", "version id")],
        responses: { "200": ok(obj({ version: ref("Version") })), ...err(401, 403, 404) },
      },
    },
    "/versions/{id}/download": {
      get: {
        summary: "Download a version's task-vector file (Range supported; ETag = sha256)",
        tags: ["registry"],
        security: optionalAuth,
        parameters: [pathParam("id", "version id"), { name: "Range", in: "header", required: false, schema: { type: "string", example: "bytes=0-1023" } }],
        responses: {
          "200": { description: "The whole file", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
          "206": { description: "A byte range", content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
          ...err(401, 403, 404, 416),
        },
      },
    },
    "/trades": {
      get: {
        summary: "Trade offers of the caller's teams: incoming or outgoing open offers, or the history of closed ones",
        tags: ["trades"],
        security: signedIn,
        parameters: [query("box", "incoming (default) | outgoing | history"), query("team", "only this team (slug)"), query("limit", "1–200 (default 50)", int)],
        responses: { "200": ok(obj({ offers: { type: "array", items: ref("TradeOffer") } })), ...err(400, 401, 404, 422) },
      },
      post: {
        summary: "Propose a trade: some of fromTeam's vectors for some of toTeam's (admin of fromTeam)",
        tags: ["trades"],
        security: signedIn,
        requestBody: jsonBody({ allOf: [ref("TradeTerms"), obj({ fromTeam: str, toTeam: str })] }),
        responses: { "201": ok(obj({ offer: ref("TradeOffer") }), "Proposed"), ...err(400, 401, 403, 404, 422) },
      },
    },
    "/trades/{id}": {
      get: {
        summary: "One trade offer (members of either team)",
        tags: ["trades"],
        security: signedIn,
        parameters: [pathParam("id", "trade offer id")],
        responses: { "200": ok(obj({ offer: ref("TradeOffer") })), ...err(401, 404) },
      },
    },
    "/trades/{id}/accept": {
      post: {
        summary: "Accept an open offer: both teams' entitlements are created at once (admin of the receiving team); 409 when stale or already answered",
        tags: ["trades"],
        security: signedIn,
        parameters: [pathParam("id", "trade offer id")],
        responses: { "200": ok(obj({ offer: ref("TradeOffer") })), ...err(401, 403, 404, 409) },
      },
    },
    "/trades/{id}/decline": {
      post: {
        summary: "Decline an open offer (admin of the receiving team)",
        tags: ["trades"],
        security: signedIn,
        parameters: [pathParam("id", "trade offer id")],
        responses: { "200": ok(obj({ offer: ref("TradeOffer") })), ...err(401, 403, 404, 409) },
      },
    },
    "/trades/{id}/withdraw": {
      post: {
        summary: "Withdraw an open offer (admin of the proposing team)",
        tags: ["trades"],
        security: signedIn,
        parameters: [pathParam("id", "trade offer id")],
        responses: { "200": ok(obj({ offer: ref("TradeOffer") })), ...err(401, 403, 404, 409) },
      },
    },
    "/trades/{id}/counter": {
      post: {
        summary: "Close an open offer as countered and propose other terms back (admin of the receiving team); answers the new offer",
        tags: ["trades"],
        security: signedIn,
        parameters: [pathParam("id", "trade offer id")],
        requestBody: jsonBody(ref("TradeTerms"), "offered: the countering team's vectors; requested: the original proposer's"),
        responses: { "201": ok(obj({ offer: ref("TradeOffer") }), "The counter-offer"), ...err(400, 401, 403, 404, 409, 422) },
      },
    },
    "/vectors/{team}/{slug}/reviews": {
      get: {
        summary: "A vector's reviews, newest first, with the average and whether the caller may review",
        tags: ["reviews"],
        security: optionalAuth,
        parameters: [pathParam("team", "team slug"), pathParam("slug", "vector slug"), query("limit", "1–100 (default 20)", int), query("offset", "reviews to skip", int)],
        responses: {
          "200": ok(
            obj({
              reviews: { type: "array", items: ref("Review") },
              total: int,
              average: { type: ["number", "null"] },
              viewer: obj({ canReview: { type: "boolean" }, reason: str, mine: { oneOf: [ref("Review"), { type: "null" }] } }, ["canReview", "mine"]),
            }),
          ),
          ...err(400, 401, 404, 422),
        },
      },
      post: {
        summary: "Write or replace the caller's review (users entitled to the vector; free vectors once downloaded; not the owner team)",
        tags: ["reviews"],
        security: signedIn,
        parameters: [pathParam("team", "team slug"), pathParam("slug", "vector slug")],
        requestBody: jsonBody(obj({ rating: { type: "integer", minimum: 1, maximum: 5 }, body: str }, ["rating"])),
        responses: { "200": ok(obj({ review: ref("Review") })), ...err(400, 401, 403, 404, 422) },
      },
    },
    // ---- selling ----
    "/vectors/{team}/{slug}/listing": {
      put: {
        summary: "Set a vector's listing terms: free, paid (priceCents + currency) or trade; licence and redistribution (owner-team members)",
        tags: ["commerce"],
        security: signedIn,
        parameters: [pathParam("team", "team slug"), pathParam("slug", "vector slug")],
        requestBody: jsonBody(ref("ListingTerms")),
        responses: { "200": ok(obj({ listing: ref("ListingTerms") })), ...err(400, 401, 403, 404, 422) },
      },
    },
    "/checkout": {
      post: {
        summary: "Buy a paid listing (browser session): a Stripe Checkout URL, or a completed purchase in test-payment mode",
        tags: ["commerce"],
        security: [{ session: [] }],
        requestBody: jsonBody(obj({ vectorId: str })),
        responses: {
          "201": ok(
            obj({
              checkout: {
                oneOf: [
                  obj({ mode: { const: "stripe" }, purchaseId: str, checkoutUrl: str, sessionId: str }),
                  obj({ mode: { const: "test" }, purchaseId: str, status: { const: "paid" } }),
                ],
              },
            }),
            "Checkout started (stripe) or completed (test)",
          ),
          ...err(400, 401, 403, 404, 409, 422),
        },
      },
    },
    "/webhooks/stripe": {
      post: {
        summary: "Stripe event deliveries (signature in Stripe-Signature over the raw body); each event is handled once",
        tags: ["commerce"],
        parameters: [{ name: "Stripe-Signature", in: "header", required: true, schema: str }],
        requestBody: jsonBody({ type: "object" }, "A Stripe event"),
        responses: {
          "200": ok(obj({ received: { type: "boolean" }, eventId: str, type: str, result: { enum: ["processed", "duplicate", "ignored"] }, detail: str }, ["received", "eventId", "type", "result"])),
          ...err(400, 409),
        },
      },
    },
    "/library": {
      get: {
        summary: "Everything the caller may use, with the licence and the source of each (purchase, trade, grant, owner team, free)",
        tags: ["commerce"],
        security: signedIn,
        responses: { "200": ok(obj({ items: { type: "array", items: ref("LibraryItem") } })), ...err(401, 403) },
      },
    },
    "/teams/{slug}/seller": {
      get: {
        summary: "Seller dashboard: sales, revenue and fees per day and currency, onboarding state, recent sales and refunds (team admins)",
        tags: ["commerce"],
        security: signedIn,
        parameters: [pathParam("slug", "team slug")],
        responses: { "200": ok(obj({ dashboard: { type: "object" } })), ...err(401, 403, 404) },
      },
    },
    "/teams/{slug}/seller/onboarding": {
      post: {
        summary: "Create the team's Stripe Express account if needed and return an onboarding link (team admins)",
        tags: ["commerce"],
        security: signedIn,
        parameters: [pathParam("slug", "team slug")],
        responses: {
          "201": ok(obj({ onboarding: obj({ url: str, seller: obj({ connected: { type: "boolean" }, stripeAccountId: { type: ["string", "null"] }, chargesEnabled: { type: "boolean" }, payoutsEnabled: { type: "boolean" }, detailsSubmitted: { type: "boolean" } }) }) }), "Onboarding link"),
          ...err(401, 403, 404, 409),
        },
      },
    },
    "/purchases/{id}/refund": {
      post: {
        summary: "Refund a sale (admins of the selling team); the buyer's access ends",
        tags: ["commerce"],
        security: signedIn,
        parameters: [pathParam("id", "purchase id")],
        responses: { "200": ok(obj({ refund: obj({ purchaseId: str, status: { const: "refunded" } }) })), ...err(401, 403, 404, 409) },
      },
    },
    ...equipPaths,
    "/openapi.json": {
      get: {
        summary: "This document",
        tags: ["meta"],
        responses: { "200": ok({ type: "object" }) },
      },
    },
  },
};
