// The authorization matrix of the REST API: every route file under
// src/app/api/v1 and every HTTP method it exports must have an entry in MATRIX
// below (the first test fails otherwise, so a new route cannot ship without
// deciding who may call it), and every entry is called as each role against
// a seeded fixture over real HTTP, asserting the status per role.
//
// Roles:
//   anonymous      no credentials
//   stranger       signed-in user (session cookie) outside the team
//   strangerToken  the stranger's API token with every scope (read + publish)
//   buyer          signed-in user outside the team who bought the paid vector
//                  (a purchase entitlement); unless an entry says otherwise,
//                  expected to fare exactly as the stranger
//   member         session of a team member (role "member")
//   owner          session of the team's owner
//   readToken      the owner's API token with only the "read" scope
//   revokedToken   one of the owner's API tokens, revoked
//
// Fixture: one team (owner + member), a foundation, a free, a paid, an
// unlisted and a yanked vector (one version each), a stranger, a buyer. State-changing
// calls act on throwaway objects made for that single call (fresh users,
// members, tokens, vectors, checkpoints), so the cases do not depend on order.
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "@graft/db";
import { WEB_DIR } from "../build";
import { startServer, type TestServer } from "../server";
import { ApiClient, multipart, unique, type ApiResult } from "../client";
import { foundationTensors, writeCheckpoint, writeFixtures, type FixtureSet } from "../fixtures";

const API_DIR = path.join(WEB_DIR, "src", "app", "api", "v1");
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** "METHOD /api/v1/…" for every exported handler of every route file on disk (dynamic segments as in the folder names). */
function routesOnDisk(dir = API_DIR, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) routesOnDisk(full, out);
    else if (/^route\.(ts|tsx|js|mjs)$/.test(entry.name)) {
      const route = "/api/v1/" + path.relative(API_DIR, dir).split(path.sep).join("/");
      const source = readFileSync(full, "utf8");
      const exported = new Set<string>();
      for (const m of source.matchAll(/export\s+(?:const|let|var|async\s+function|function)\s+([A-Z]+)\b/g)) exported.add(m[1]!);
      for (const m of source.matchAll(/export\s*\{([^}]*)\}/g)) {
        for (const part of m[1]!.split(",")) exported.add(part.trim().split(/\s+as\s+/).pop()!.trim());
      }
      const methods = HTTP_METHODS.filter((x) => exported.has(x));
      if (methods.length === 0) throw new Error(`${full} exports no HTTP method`);
      for (const method of methods) out.push(`${method} ${route.replace(/\/$/, "")}`);
    }
  }
  return out;
}

const ROLES = ["anonymous", "stranger", "strangerToken", "buyer", "member", "owner", "readToken", "revokedToken"] as const;
type Role = (typeof ROLES)[number];
type Expect = Record<Role, number>;

/** Every role gets `status`, except those overridden. */
const every = (status: number, over: Partial<Expect> = {}): Expect =>
  Object.fromEntries(ROLES.map((r) => [r, over[r] ?? (r === "buyer" ? over.stranger : undefined) ?? status])) as Expect;
/** Public reads: everyone, but a present, revoked token is refused. */
const publicRead = (over: Partial<Expect> = {}) => every(200, { revokedToken: 401, ...over });
/** Any signed-in caller with a session or a valid token. */
const signedIn = (status: number, over: Partial<Expect> = {}) => every(status, { anonymous: 401, revokedToken: 401, ...over });
/** Team-scoped writes: read-only tokens and outsiders get 403, anonymous and revoked tokens 401. */
const teamWrite = (allowed: Partial<Expect>): Expect =>
  every(403, { anonymous: 401, revokedToken: 401, ...allowed });

interface Req {
  path: string;
  /** JSON, or a FormData built fresh for this call. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Scenario {
  name: string;
  expect: Expect;
  /** Builds the request for one role; may create throwaway objects with the owner's credentials. */
  request(role: Role): Promise<Req> | Req;
  /** Extra assertions on a 2xx response whose status was as expected (what the role may see). */
  check?(role: Role, res: ApiResult): void;
}

/** Roles that act for a member of the seeded team. */
const TEAM_ROLES: readonly Role[] = ["member", "owner", "readToken"];
const inTeam = (role: Role) => TEAM_ROLES.includes(role);
const slugsOf = (items: { slug: string }[]) => items.map((i) => i.slug);

// ---- the seeded fixture ---------------------------------------------------------------------

let server: TestServer;
let dir: string;
let fx: FixtureSet;
const clients = {} as Record<Role, ApiClient>;
let ownerToken: ApiClient;
let team: string;
let foundation: string;
const vectors = {} as Record<"free" | "paid" | "unlisted" | "yanked", { slug: string; versionId: string }> & { paidId: string };
let seed = 1000;

async function expectStatus(res: ApiResult, status: number, what: string): Promise<ApiResult> {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** A new account nobody has signed in with. */
async function freshUser(): Promise<{ id: string; email: string }> {
  const email = `${unique("throwaway")}@example.com`;
  const res = await expectStatus(await clients.owner.anonymous().post("/api/v1/auth/signup", { email, password: "correct-horse-battery" }), 201, "signup");
  return { id: res.body.user.id, email };
}

/** A new account added to the team as a plain member. */
async function freshMember(): Promise<string> {
  const u = await freshUser();
  await expectStatus(await clients.owner.post(`/api/v1/teams/${team}/members`, { email: u.email, role: "member" }), 201, "add member");
  return u.id;
}

function publishMeta(slug: string, listing: Record<string, unknown> | undefined) {
  return {
    teamSlug: team,
    foundationSlug: foundation,
    vectorSlug: slug,
    name: slug,
    task: "qa",
    version: "1.0.0",
    listing,
  };
}

const FREE_LISTING = { kind: "free", licence: "commercial", redistribution: false };
const PAID_LISTING = { kind: "paid", priceCents: 900, licence: "personal", redistribution: false };

/** Publishes a new vector (one version) as the owner; returns its version id. */
async function publishVector(slug: string, listing: Record<string, unknown> | undefined): Promise<string> {
  const res = await ownerToken.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(publishMeta(slug, listing)) }, { file: fx.taskVector }));
  await expectStatus(res, 201, `publish ${slug}`);
  return res.body.version.id;
}

/** A checkpoint no foundation has yet (new weights, so a new fingerprint). */
async function freshCheckpoint(inDir: string): Promise<string> {
  seed += 1;
  return writeCheckpoint(path.join(inDir, `${unique("ckpt")}.safetensors`), foundationTensors(seed));
}

async function freshOwnerTokenId(): Promise<string> {
  const res = await expectStatus(await clients.owner.post("/api/v1/tokens", { name: unique("throwaway"), scopes: ["read"] }), 201, "create token");
  return res.body.record.id;
}

beforeAll(async () => {
  // Jobs stay queued (no embedded worker), so cancel/download statuses do not race a merge.
  server = await startServer({ env: { GRAFT_EMBEDDED_WORKER: "0" } });
  dir = await mkdtemp(path.join(tmpdir(), "graft-authz-"));
  fx = await writeFixtures(dir);

  const base = new ApiClient(server.baseUrl);
  clients.anonymous = base.anonymous();
  clients.owner = new ApiClient(server.baseUrl);
  await clients.owner.signUp(`${unique("authz-owner")}@example.com`);
  clients.member = new ApiClient(server.baseUrl);
  const memberEmail = `${unique("authz-member")}@example.com`;
  await clients.member.signUp(memberEmail);
  clients.stranger = new ApiClient(server.baseUrl);
  await clients.stranger.signUp(`${unique("authz-stranger")}@example.com`);
  clients.strangerToken = base.withToken(await clients.stranger.createToken(["read", "publish"], "stranger-full"));
  clients.readToken = base.withToken(await clients.owner.createToken(["read"], "owner-read"));
  ownerToken = base.withToken(await clients.owner.createToken(["read", "publish"], "owner-full"));
  const revoked = await expectStatus(await clients.owner.post("/api/v1/tokens", { name: "to-revoke", scopes: ["read", "publish"] }), 201, "token");
  await expectStatus(await clients.owner.delete(`/api/v1/tokens/${revoked.body.record.id}`), 200, "revoke");
  clients.revokedToken = base.withToken(revoked.body.token);

  team = unique("authz");
  await expectStatus(await clients.owner.post("/api/v1/teams", { slug: team, name: "Authz Lab" }), 201, "team");
  await expectStatus(await clients.owner.post(`/api/v1/teams/${team}/members`, { email: memberEmail, role: "member" }), 201, "member");
  foundation = unique("authz-base");
  await expectStatus(
    await clients.owner.post(
      "/api/v1/foundations",
      await multipart({ teamSlug: team, slug: foundation, name: "Authz Base", architecture: "llama", licence: "mit" }, { file: fx.base }),
    ),
    201,
    "foundation",
  );
  for (const [key, listing] of [
    ["free", FREE_LISTING],
    ["paid", PAID_LISTING],
    ["unlisted", undefined],
    ["yanked", FREE_LISTING],
  ] as const) {
    const slug = `authz-${key}`;
    vectors[key] = { slug, versionId: await publishVector(slug, listing) };
  }
  vectors.paidId = (await expectStatus(await ownerToken.get(`/api/v1/vectors/${team}/${vectors.paid.slug}`), 200, "paid vector")).body.vector.id;
  // The buyer holds a purchase of the paid vector, recorded as the payment webhook records it.
  clients.buyer = new ApiClient(server.baseUrl);
  const buyer = await clients.buyer.signUp(`${unique("authz-buyer")}@example.com`);
  const db = createDb(server.databaseUrl);
  try {
    const purchase = await db.purchase.create({ data: { buyerId: buyer.id, vectorId: vectors.paidId, amountCents: 500, currency: "usd", mode: "test", status: "paid" } });
    await db.entitlement.create({ data: { vectorId: vectors.paidId, userId: buyer.id, source: "purchase", purchaseId: purchase.id } });
  } finally {
    await db.$disconnect();
  }
  await expectStatus(await ownerToken.post(`/api/v1/versions/${vectors.yanked.versionId}/yank`), 200, "yank");
}, 900_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});


// Trades and reviews need a second team: a partner (its own owner) with a trade-only vector.
let partner: Promise<{ client: ApiClient; team: string; vector: string }> | undefined;
function tradePartner() {
  partner ??= (async () => {
    const client = new ApiClient(server.baseUrl);
    await client.signUp(`${unique("authz-partner")}@example.com`);
    const slug = unique("partner");
    await expectStatus(await client.post("/api/v1/teams", { slug, name: "Partner" }), 201, "partner team");
    const meta = { ...publishMeta("partner-vec", { kind: "trade", licence: "commercial", redistribution: false }), teamSlug: slug };
    await expectStatus(await client.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file: fx.taskVector2 })), 201, "partner publish");
    return { client, team: slug, vector: "partner-vec" };
  })();
  return partner;
}
/** A fresh open offer from the partner to the team (toward: team) or from the team to the partner; returns its id. */
async function freshOffer(toward: "team" | "partner"): Promise<string> {
  const p = await tradePartner();
  const res =
    toward === "team"
      ? await p.client.post("/api/v1/trades", { fromTeam: p.team, toTeam: team, offered: [p.vector], requested: [vectors.paid.slug] })
      : await ownerToken.post("/api/v1/trades", { fromTeam: team, toTeam: p.team, offered: [vectors.free.slug], requested: [p.vector] });
  return (await expectStatus(res, 201, "offer")).body.offer.id;
}
let standingOfferId: string | undefined;
/** One open offer to the team, made once and left open (for the read cases). */
async function standingOffer(): Promise<string> {
  standingOfferId ??= await freshOffer("team");
  return standingOfferId;
}
/** Offers are private to the two teams: others are told they do not exist. */
const tradeAnswer = (status: number) => signedIn(404, { member: 403, readToken: 403, owner: status });

/** A registry recipe over seeded vectors. */
const recipeOf = (...keys: ("free" | "paid" | "unlisted" | "yanked")[]) =>
  `merge_method: task_arithmetic\nbase_model: ${foundation}\nmodels:\n${keys.map((k) => `  - model: ${team}/${vectors[k].slug}@1.0.0\n    parameters: { weight: 0.5 }\n`).join("")}`;

/** A (queued, or cancelled) merge job of the owner. */
async function ownerJob(cancelled = false): Promise<string> {
  const id = (await expectStatus(await ownerToken.post("/api/v1/jobs", { yaml: recipeOf("free") }), 201, "submit job")).body.job.id;
  if (cancelled) await expectStatus(await ownerToken.post(`/api/v1/jobs/${id}/cancel`), 200, "cancel job");
  return id;
}

async function ownerRecipe(share: boolean): Promise<{ id: string; shareSlug: string | null }> {
  return (await expectStatus(await ownerToken.post("/api/v1/recipes", { name: unique("r"), yaml: recipeOf("free"), share }), 201, "save recipe")).body.recipe;
}

/** The owner's own jobs and recipes: the owner's session and token only; everyone else signed in gets 404. */
const ownerOnly = (status: number) => signedIn(404, { owner: status, readToken: status });

// ---- the matrix -------------------------------------------------------------------------------
//                                  anonymous stranger strangerToken member owner readToken revokedToken

const MATRIX: Record<string, Scenario[]> = {
  "POST /api/v1/auth/signup": [
    {
      name: "sign up a new account (open to all; a revoked token is not even looked at)",
      expect: every(201),
      request: () => ({ path: "/api/v1/auth/signup", body: { email: `${unique("signup")}@example.com`, password: "correct-horse-battery" } }),
    },
  ],
  "GET /api/v1/foundations": [
    { name: "list foundations (public; the route never resolves the caller)", expect: every(200), request: () => ({ path: "/api/v1/foundations" }) },
  ],
  "POST /api/v1/foundations": [
    {
      name: "register an uploaded checkpoint in the team (admin role)",
      expect: teamWrite({ owner: 201 }),
      request: async () => ({
        path: "/api/v1/foundations",
        body: await multipart(
          { teamSlug: team, slug: unique("f-up"), name: "Throwaway", architecture: "llama", licence: "mit" },
          { file: await freshCheckpoint(dir) },
        ),
      }),
    },
    {
      name: "register a checkpoint by server path in the team (admin role)",
      expect: teamWrite({ owner: 201 }),
      request: async () => {
        const file = await freshCheckpoint(server.modelsDir);
        return {
          path: "/api/v1/foundations",
          body: { teamSlug: team, slug: unique("f-path"), name: "Throwaway", architecture: "llama", licence: "mit", path: path.basename(file) },
        };
      },
    },
  ],
  "GET /api/v1/foundations/[slug]": [
    {
      name: "a foundation and its model tree (unlisted and yanked-only vectors for the team only)",
      expect: publicRead(),
      request: () => ({ path: `/api/v1/foundations/${foundation}` }),
      check(role, res) {
        const seen = slugsOf(res.body.foundation.vectors);
        expect(seen).toEqual(expect.arrayContaining([vectors.free.slug, vectors.paid.slug]));
        for (const hidden of [vectors.unlisted.slug, vectors.yanked.slug]) expect(seen.includes(hidden), `${role} sees ${hidden}`).toBe(inTeam(role));
      },
    },
    { name: "an unknown foundation", expect: every(404, { revokedToken: 401 }), request: () => ({ path: "/api/v1/foundations/no-such-foundation" }) },
  ],
  "POST /api/v1/foundations/[slug]/generate": [
    {
      name: "try the foundation equipped with the paid vector (entitled callers reach the model, which is not of the runnable family: 415)",
      expect: signedIn(415, { stranger: 403, strangerToken: 403, buyer: 415 }),
      request: () => ({ path: `/api/v1/foundations/${foundation}/generate`, body: { prompt: "the ", vectors: [{ versionId: vectors.paid.versionId, weight: 1 }] } }),
    },
    { name: "an unknown foundation", expect: signedIn(404), request: () => ({ path: "/api/v1/foundations/no-such-foundation/generate", body: { prompt: "the " } }) },
  ],
  "GET /api/v1/me": [
    {
      name: "the caller, with its token's scopes (null for sessions)",
      expect: signedIn(200),
      request: () => ({ path: "/api/v1/me" }),
      check(role, res) {
        const scopes = { strangerToken: ["read", "publish"], readToken: ["read"] } as Partial<Record<Role, string[]>>;
        expect(res.body.scopes).toEqual(scopes[role] ?? null);
        expect(res.body.teams.some((t: { slug: string }) => t.slug === team)).toBe(inTeam(role));
      },
    },
  ],
  "GET /api/v1/openapi.json": [{ name: "the API description (public, static)", expect: every(200), request: () => ({ path: "/api/v1/openapi.json" }) }],
  "PATCH /api/v1/teams/[slug]/members/[userId]": [
    {
      name: "promote a (throwaway) member to admin (admin role)",
      expect: teamWrite({ owner: 200 }),
      request: async () => ({ path: `/api/v1/teams/${team}/members/${await freshMember()}`, body: { role: "admin" } }),
    },
  ],
  "DELETE /api/v1/teams/[slug]/members/[userId]": [
    {
      name: "remove a (throwaway) member (admin role)",
      expect: teamWrite({ owner: 204 }),
      request: async () => ({ path: `/api/v1/teams/${team}/members/${await freshMember()}` }),
    },
  ],
  "POST /api/v1/teams/[slug]/members": [
    {
      name: "add a (throwaway) user as member (admin role)",
      expect: teamWrite({ owner: 201 }),
      request: async () => ({ path: `/api/v1/teams/${team}/members`, body: { email: (await freshUser()).email, role: "member" } }),
    },
  ],
  "GET /api/v1/teams/[slug]": [
    {
      name: "a team's page (emails, role and unlisted vectors for members only)",
      expect: publicRead(),
      request: () => ({ path: `/api/v1/teams/${team}` }),
      check(role, res) {
        const t = res.body.team;
        expect(t.viewerRole).toBe({ member: "member", owner: "owner", readToken: "owner" }[role as string] ?? null);
        expect(t.members.every((m: { email: string | null }) => (m.email !== null) === inTeam(role)), `${role} sees emails`).toBe(true);
        expect(slugsOf(t.vectors).includes(vectors.unlisted.slug), `${role} sees the unlisted vector`).toBe(inTeam(role));
      },
    },
    { name: "an unknown team", expect: every(404, { revokedToken: 401 }), request: () => ({ path: "/api/v1/teams/no-such-team" }) },
  ],
  "GET /api/v1/teams": [{ name: "the caller's teams", expect: signedIn(200), request: () => ({ path: "/api/v1/teams" }) }],
  "POST /api/v1/teams": [
    {
      name: "create a (throwaway) team (publish scope for tokens)",
      expect: signedIn(201, { readToken: 403 }),
      request: () => ({ path: "/api/v1/teams", body: { slug: unique("t"), name: "Throwaway" } }),
    },
  ],
  "DELETE /api/v1/tokens/[id]": [
    {
      name: "revoke a (throwaway) token of the owner (sessions only; other users' tokens are not found)",
      expect: signedIn(404, { owner: 200, strangerToken: 403, readToken: 403 }),
      request: async () => ({ path: `/api/v1/tokens/${await freshOwnerTokenId()}` }),
    },
  ],
  "GET /api/v1/tokens": [
    { name: "list the caller's tokens (sessions only)", expect: signedIn(200, { strangerToken: 403, readToken: 403 }), request: () => ({ path: "/api/v1/tokens" }) },
  ],
  "POST /api/v1/tokens": [
    {
      name: "create a token (sessions only)",
      expect: signedIn(201, { strangerToken: 403, readToken: 403 }),
      request: () => ({ path: "/api/v1/tokens", body: { name: unique("tok"), scopes: ["read"] } }),
    },
  ],
  "GET /api/v1/vectors/[team]/[slug]": [
    { name: "a free listed vector", expect: publicRead(), request: () => ({ path: `/api/v1/vectors/${team}/${vectors.free.slug}` }) },
    {
      name: "a paid listed vector (downloadable by the team and its buyers)",
      expect: publicRead(),
      request: () => ({ path: `/api/v1/vectors/${team}/${vectors.paid.slug}` }),
      check(role, res) {
        expect(res.body.vector.versions.map((v: { canDownload: boolean }) => v.canDownload)).toEqual([inTeam(role) || role === "buyer"]);
        // A read-only token of a team member may see, but not publish or yank.
        expect(res.body.vector.viewer.canManage).toBe(inTeam(role) && role !== "readToken");
      },
    },
    {
      name: "an unlisted vector (team only; others get 404)",
      expect: publicRead({ anonymous: 404, stranger: 404, strangerToken: 404 }),
      request: () => ({ path: `/api/v1/vectors/${team}/${vectors.unlisted.slug}` }),
    },
    { name: "an unknown vector", expect: every(404, { revokedToken: 401 }), request: () => ({ path: `/api/v1/vectors/${team}/no-such-vector` }) },
  ],
  "POST /api/v1/vectors/publish": [
    {
      name: "publish a (throwaway) vector in the team (member role, publish scope)",
      expect: teamWrite({ member: 201, owner: 201 }),
      request: async () => ({
        path: "/api/v1/vectors/publish",
        body: await multipart({ meta: JSON.stringify(publishMeta(unique("v"), FREE_LISTING)) }, { file: fx.taskVector }),
      }),
    },
  ],
  "GET /api/v1/vectors": [
    {
      name: "catalog search (public, the same for everyone; the route never resolves the caller)",
      expect: every(200),
      request: () => ({ path: "/api/v1/vectors?q=authz&pageSize=100" }),
      check(_role, res) {
        const seen = slugsOf(res.body.items);
        expect(seen).toEqual(expect.arrayContaining([vectors.free.slug, vectors.paid.slug]));
        expect(seen).not.toContain(vectors.unlisted.slug);
        expect(seen).not.toContain(vectors.yanked.slug);
      },
    },
  ],
  "GET /api/v1/versions/[id]/download": [
    { name: "a free version", expect: publicRead(), request: () => ({ path: `/api/v1/versions/${vectors.free.versionId}/download` }) },
    {
      name: "a paid version (team or entitlement; anonymous is asked to sign in)",
      expect: publicRead({ anonymous: 401, stranger: 403, strangerToken: 403, buyer: 200 }),
      request: () => ({ path: `/api/v1/versions/${vectors.paid.versionId}/download` }),
    },
    {
      name: "a version of an unlisted vector (team only)",
      expect: publicRead({ anonymous: 401, stranger: 403, strangerToken: 403 }),
      request: () => ({ path: `/api/v1/versions/${vectors.unlisted.versionId}/download` }),
    },
    {
      name: "a yanked version of a free vector (team only)",
      expect: publicRead({ anonymous: 403, stranger: 403, strangerToken: 403 }),
      request: () => ({ path: `/api/v1/versions/${vectors.yanked.versionId}/download` }),
    },
    { name: "an unknown version", expect: every(404, { revokedToken: 401 }), request: () => ({ path: "/api/v1/versions/no-such-version/download" }) },
  ],
  "GET /api/v1/jobs": [{ name: "the caller's merge jobs", expect: signedIn(200), request: () => ({ path: "/api/v1/jobs" }) }],
  "POST /api/v1/jobs": [
    { name: "merge a free version (anyone signed in)", expect: signedIn(201), request: () => ({ path: "/api/v1/jobs", body: { yaml: recipeOf("free") } }) },
    {
      name: "merge a paid version (team or entitlement only)",
      expect: signedIn(201, { stranger: 403, strangerToken: 403, buyer: 201 }),
      request: () => ({ path: "/api/v1/jobs", body: { yaml: recipeOf("free", "paid") } }),
    },
  ],
  "GET /api/v1/jobs/[id]": [{ name: "a job of the owner", expect: ownerOnly(200), request: async () => ({ path: `/api/v1/jobs/${await ownerJob()}` }) }],
  "POST /api/v1/jobs/[id]/cancel": [
    { name: "cancel a queued job of the owner", expect: ownerOnly(200), request: async () => ({ path: `/api/v1/jobs/${await ownerJob()}/cancel` }) },
  ],
  "GET /api/v1/jobs/[id]/events": [
    {
      name: "the event stream of a (cancelled, so finished) job of the owner",
      expect: ownerOnly(200),
      request: async () => ({ path: `/api/v1/jobs/${await ownerJob(true)}/events` }),
      check(_role, res) {
        expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
        expect(String(res.body)).toMatch(/^event: job\ndata: \{.*"status":"cancelled"/);
      },
    },
  ],
  "GET /api/v1/jobs/[id]/download": [
    { name: "the result of a job that has not run (409 for the owner)", expect: ownerOnly(409), request: async () => ({ path: `/api/v1/jobs/${await ownerJob()}/download` }) },
  ],
  "POST /api/v1/jobs/[id]/generate": [
    { name: "try a job that did not finish (409 for the owner)", expect: ownerOnly(409), request: async () => ({ path: `/api/v1/jobs/${await ownerJob(true)}/generate`, body: { prompt: "the " } }) },
  ],
  "POST /api/v1/equip/preview": [
    {
      name: "interference preview of a free and a paid version (team or entitlement only)",
      expect: signedIn(200, { stranger: 403, strangerToken: 403, buyer: 200 }),
      request: () => ({ path: "/api/v1/equip/preview", body: { foundation, refs: [`${team}/${vectors.free.slug}@1.0.0`, `${team}/${vectors.paid.slug}@1.0.0`] } }),
    },
  ],
  "GET /api/v1/equip/library": [
    {
      name: "the versions the caller may merge",
      expect: signedIn(200),
      request: () => ({ path: `/api/v1/equip/library?foundation=${foundation}` }),
      check(role, res) {
        const refs = res.body.versions.map((v: { ref: string }) => v.ref);
        expect(refs).toContain(`${team}/${vectors.free.slug}@1.0.0`);
        expect(refs.includes(`${team}/${vectors.paid.slug}@1.0.0`), `${role} sees the paid version`).toBe(inTeam(role) || role === "buyer");
      },
    },
  ],
  "POST /api/v1/equip/recipe": [
    { name: "YAML to builder choices (pure conversion; the route never resolves the caller)", expect: every(200), request: () => ({ path: "/api/v1/equip/recipe", body: { yaml: recipeOf("free") } }) },
  ],
  "GET /api/v1/recipes": [{ name: "the caller's saved recipes", expect: signedIn(200), request: () => ({ path: "/api/v1/recipes" }) }],
  "POST /api/v1/recipes": [{ name: "save a recipe", expect: signedIn(201), request: () => ({ path: "/api/v1/recipes", body: { name: unique("r"), yaml: recipeOf("free") } }) }],
  "GET /api/v1/recipes/[id]": [
    { name: "a shared recipe by its slug (public)", expect: publicRead(), request: async () => ({ path: `/api/v1/recipes/${(await ownerRecipe(true)).shareSlug}` }) },
    { name: "a private recipe by id (its owner only)", expect: every(404, { owner: 200, readToken: 200, revokedToken: 401 }), request: async () => ({ path: `/api/v1/recipes/${(await ownerRecipe(false)).id}` }) },
  ],
  "POST /api/v1/versions/[id]/yank": [
    {
      name: "yank a (throwaway) version (member role, publish scope)",
      expect: teamWrite({ member: 200, owner: 200 }),
      request: async () => ({ path: `/api/v1/versions/${await publishVector(unique("y"), FREE_LISTING)}/yank` }),
    },
  ],
  "GET /api/v1/trades": [
    {
      name: "the caller's teams' incoming offers (team members see the team's)",
      expect: signedIn(200),
      request: async () => {
        await standingOffer();
        return { path: "/api/v1/trades?box=incoming" };
      },
      check(role, res) {
        expect(res.body.offers.some((o: { id: string }) => o.id === standingOfferId)).toBe(inTeam(role));
      },
    },
  ],
  "POST /api/v1/trades": [
    {
      name: "propose a trade from the team (admin role, publish scope)",
      expect: teamWrite({ owner: 201 }),
      request: async () => {
        const p = await tradePartner();
        return { path: "/api/v1/trades", body: { fromTeam: team, toTeam: p.team, offered: [vectors.free.slug], requested: [p.vector] } };
      },
    },
  ],
  "GET /api/v1/trades/[id]": [
    {
      name: "one offer (members of either team; others get 404)",
      expect: signedIn(404, { member: 200, owner: 200, readToken: 200 }),
      request: async () => ({ path: `/api/v1/trades/${await standingOffer()}` }),
    },
  ],
  "POST /api/v1/trades/[id]/accept": [
    { name: "accept a (throwaway) offer to the team (admin role)", expect: tradeAnswer(200), request: async () => ({ path: `/api/v1/trades/${await freshOffer("team")}/accept` }) },
  ],
  "POST /api/v1/trades/[id]/decline": [
    { name: "decline a (throwaway) offer to the team (admin role)", expect: tradeAnswer(200), request: async () => ({ path: `/api/v1/trades/${await freshOffer("team")}/decline` }) },
  ],
  "POST /api/v1/trades/[id]/counter": [
    {
      name: "counter a (throwaway) offer to the team (admin role)",
      expect: tradeAnswer(201),
      request: async () => ({
        path: `/api/v1/trades/${await freshOffer("team")}/counter`,
        body: { offered: [vectors.free.slug], requested: [(await tradePartner()).vector] },
      }),
    },
  ],
  "POST /api/v1/trades/[id]/withdraw": [
    { name: "withdraw a (throwaway) offer from the team (admin role)", expect: tradeAnswer(200), request: async () => ({ path: `/api/v1/trades/${await freshOffer("partner")}/withdraw` }) },
  ],
  "GET /api/v1/vectors/[team]/[slug]/reviews": [
    { name: "a listed vector's reviews (public)", expect: publicRead(), request: () => ({ path: `/api/v1/vectors/${team}/${vectors.free.slug}/reviews` }) },
    {
      name: "an unlisted vector's reviews (team only)",
      expect: publicRead({ anonymous: 404, stranger: 404, strangerToken: 404 }),
      request: () => ({ path: `/api/v1/vectors/${team}/${vectors.unlisted.slug}/reviews` }),
    },
  ],
  "POST /api/v1/vectors/[team]/[slug]/reviews": [
    {
      name: "review a free vector after downloading it (not the owner team; publish scope)",
      expect: signedIn(403, { stranger: 200, strangerToken: 200 }),
      request: async (role) => {
        await clients[role].get(`/api/v1/versions/${vectors.free.versionId}/download`);
        return { path: `/api/v1/vectors/${team}/${vectors.free.slug}/reviews`, body: { rating: 4, body: `from ${role}` } };
      },
    },
  ],
  // Selling (this server runs as production without Stripe keys: paid checkout and onboarding are refused with 409).
  "PUT /api/v1/vectors/[team]/[slug]/listing": [
    {
      name: "set the listing terms of a (throwaway) vector (member role, publish scope)",
      expect: teamWrite({ member: 200, owner: 200 }),
      request: async () => {
        const slug = unique("l");
        await publishVector(slug, FREE_LISTING);
        return { path: `/api/v1/vectors/${team}/${slug}/listing`, body: PAID_LISTING };
      },
    },
  ],
  "POST /api/v1/checkout": [
    {
      name: "buy the paid vector (sessions only; own team or no Stripe in production: 409)",
      expect: signedIn(409, { strangerToken: 403, readToken: 403 }),
      request: () => ({ path: "/api/v1/checkout", body: { vectorId: vectors.paidId } }),
    },
  ],
  "POST /api/v1/webhooks/stripe": [
    { name: "a Stripe delivery on a server without Stripe keys (the caller is never resolved)", expect: every(409), request: () => ({ path: "/api/v1/webhooks/stripe", body: {} }) },
  ],
  "GET /api/v1/library": [{ name: "the caller's library", expect: signedIn(200), request: () => ({ path: "/api/v1/library" }) }],
  "GET /api/v1/teams/[slug]/seller": [
    { name: "the seller dashboard (admin role)", expect: teamWrite({ owner: 200, readToken: 200 }), request: () => ({ path: `/api/v1/teams/${team}/seller` }) },
  ],
  "POST /api/v1/teams/[slug]/seller/onboarding": [
    {
      name: "start Stripe onboarding (admin role, publish scope; no Stripe keys: 409)",
      expect: teamWrite({ owner: 409 }),
      request: () => ({ path: `/api/v1/teams/${team}/seller/onboarding` }),
    },
  ],
  "POST /api/v1/purchases/[id]/refund": [
    {
      name: "refund an unknown purchase (publish scope checked first)",
      expect: signedIn(404, { readToken: 403 }),
      request: () => ({ path: "/api/v1/purchases/no-such-purchase/refund" }),
    },
  ],
};

function methodOf(key: string): string {
  return key.split(" ")[0]!;
}

async function call(role: Role, method: string, req: Req): Promise<ApiResult> {
  return clients[role].request(method, req.path, req.body, req.headers);
}

// ---- the tests --------------------------------------------------------------------------------

describe("authorization matrix", () => {
  it("has an entry for every route file and exported method under src/app/api/v1, and no stale ones", () => {
    const onDisk = routesOnDisk().sort();
    expect(onDisk.length).toBeGreaterThanOrEqual(20);
    const inTable = Object.keys(MATRIX).sort();
    expect(onDisk.filter((k) => !(k in MATRIX)), "routes without an entry in MATRIX").toEqual([]);
    expect(inTable.filter((k) => !onDisk.includes(k)), "MATRIX entries without a route").toEqual([]);
    for (const [key, scenarios] of Object.entries(MATRIX)) {
      expect(scenarios.length, key).toBeGreaterThan(0);
      for (const s of scenarios) expect(Object.keys(s.expect).sort(), `${key}: ${s.name}`).toEqual([...ROLES].sort());
    }
  });

  for (const [key, scenarios] of Object.entries(MATRIX)) {
    describe(key, () => {
      for (const scenario of scenarios) {
        it(scenario.name, async () => {
          const actual = {} as Expect;
          const bodies: string[] = [];
          for (const role of ROLES) {
            const res = await call(role, methodOf(key), await scenario.request(role));
            actual[role] = res.status;
            if (res.status !== scenario.expect[role]) bodies.push(`${role}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
            else if (scenario.check && res.status < 300) {
              try {
                scenario.check(role, res);
              } catch (e) {
                throw new Error(`${key} as ${role}: ${(e as Error).message}\nbody: ${JSON.stringify(res.body).slice(0, 500)}`);
              }
            }
          }
          expect(actual, bodies.join("\n")).toEqual(scenario.expect);
        });
      }
    });
  }
});

describe("around the matrix", () => {
  it("answers 405 to methods a route file does not export", async () => {
    const byRoute = new Map<string, Set<string>>();
    for (const key of routesOnDisk()) {
      const [method, route] = key.split(" ") as [string, string];
      byRoute.set(route, (byRoute.get(route) ?? new Set()).add(method));
    }
    const concrete = (route: string) =>
      route.replace("[slug]/members/[userId]", `${team}/members/nobody`).replace("[team]/[slug]", `${team}/${vectors.free.slug}`).replace(/\[[^\]]+\]/g, "x");
    const wrong: string[] = [];
    for (const [route, methods] of byRoute) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"].filter((m) => !methods.has(m))) {
        const res = await clients.owner.request(method, concrete(route), {});
        if (res.status !== 405) wrong.push(`${method} ${route}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("refuses cookie-authenticated writes from another origin, but not token-authenticated ones", async () => {
    const evil = { origin: "http://evil.example" };
    const body = () => ({ path: "/api/v1/teams", body: { slug: unique("xo"), name: "Cross origin" }, headers: evil });
    const asSession = await call("owner", "POST", body());
    expect(asSession.status).toBe(403);
    expect(asSession.body.error.code).toBe("FORBIDDEN");
    expect((await call("owner", "POST", { ...body(), headers: { origin: server.baseUrl } })).status).toBe(201);
    expect((await ownerToken.request("POST", "/api/v1/teams", { slug: unique("xo"), name: "Cross origin" }, evil)).status).toBe(201);
    // Reads are not origin-checked.
    expect((await call("owner", "GET", { path: "/api/v1/me", headers: evil })).status).toBe(200);
  });

  it("answers 401 to a malformed or unknown Authorization header, even with a valid session", async () => {
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer graft_unknown", "Bearer not-a-graft-token"]) {
      const res = await clients.owner.get("/api/v1/me", { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHENTICATED");
    }
  });
});
