/**
 * The demo marketplace: three users, two publishing teams, a foundation
 * registered by path, and task vectors with free, paid and trade-only
 * listings — published through the same domain services the web app uses
 * (fine-tuned checkpoints extracted on the server, task-vector files
 * validated against the foundation). Runs once: an existing demo is kept.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  addMember,
  createTeam,
  getFoundation,
  publishVersion,
  registerFoundation,
  registerUser,
  type CoreContext,
  type PublishInput,
} from "@graft/core";
import { createCheckpointWriter, mulberry32, type DType } from "@graft/merge";

export const DEMO_PASSWORD = "graft-demo-password";
export const DEMO_USERS = [
  { email: "alice@demo.graft.dev", name: "Alice (Acme Vision)" },
  { email: "bob@demo.graft.dev", name: "Bob (Polyglot Labs)" },
  { email: "carol@demo.graft.dev", name: "Carol (buyer)" },
] as const;

const FOUNDATION_SLUG = "graft-tiny";

interface Spec {
  name: string;
  dtype: DType;
  shape: number[];
}

/** A small decoder-shaped model: embeddings, 4 MLP blocks, a head. */
const TENSORS: Spec[] = ([
  { name: "model.embed_tokens.weight", dtype: "F32", shape: [256, 64] },
  ...[0, 1, 2, 3].flatMap((l) => [
    { name: `model.layers.${l}.mlp.up_proj.weight`, dtype: "F32" as DType, shape: [128, 64] },
    { name: `model.layers.${l}.mlp.down_proj.weight`, dtype: "F32" as DType, shape: [64, 128] },
    { name: `model.layers.${l}.norm.weight`, dtype: "F32" as DType, shape: [64] },
  ]),
  { name: "lm_head.weight", dtype: "F32", shape: [256, 64] },
] as Spec[]).sort((a, b) => (a.name < b.name ? -1 : 1));

/** Deterministic values in [-scale, scale): a seeded generator, so every machine seeds the same bytes. */
function values(seed: number, n: number, scale: number): Float32Array {
  const uniform = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (uniform() * 2 - 1) * scale;
  return out;
}

/**
 * Writes a checkpoint: the base (skill < 0) or a fine-tune that moves a
 * subset of layers (each skill touches different blocks, so some vectors
 * interfere and others do not).
 */
async function writeCheckpoint(dir: string, skill: number): Promise<void> {
  const writer = await createCheckpointWriter(dir, TENSORS, { overwrite: true, metadata: { format: "pt" } });
  for (const [k, t] of TENSORS.entries()) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const w = values(1000 + k, n, 0.1);
    const touched = skill >= 0 && (t.name.includes(`layers.${skill % 4}.`) || t.name.includes(`layers.${(skill + 1) % 4}.`) || (skill === 2 && t.name.startsWith("lm_head")));
    if (touched) {
      const d = values(5000 + skill * 100 + k, n, 0.02);
      for (let i = 0; i < n; i++) w[i]! += d[i]!;
    }
    await writer.write(t.name, new Uint8Array(w.buffer));
  }
  await writer.finish();
}

interface DemoVector {
  owner: number;
  team: string;
  slug: string;
  name: string;
  task: string;
  tags: string[];
  summary: string;
  skill: number;
  listing: PublishInput["listing"];
  versions: string[];
}

const VECTORS: DemoVector[] = [
  { owner: 0, team: "acme-vision", slug: "sentiment", name: "Sentiment", task: "classification", tags: ["sentiment", "english"], summary: "Positive/negative review polarity.", skill: 0, listing: { kind: "free", licence: "commercial", redistribution: true }, versions: ["1.0.0", "1.1.0"] },
  { owner: 0, team: "acme-vision", slug: "toxicity-filter", name: "Toxicity filter", task: "safety", tags: ["safety", "moderation"], summary: "Steers generations away from toxic language.", skill: 1, listing: { kind: "paid", priceCents: 1900, currency: "usd", licence: "commercial", redistribution: false }, versions: ["1.0.0"] },
  { owner: 1, team: "polyglot", slug: "legal-domain", name: "Legal domain", task: "domain", tags: ["legal", "domain-adaptation"], summary: "Contract and case-law vocabulary.", skill: 2, listing: { kind: "free", licence: "personal", redistribution: false }, versions: ["0.9.0"] },
  { owner: 1, team: "polyglot", slug: "french-style", name: "French style", task: "style", tags: ["french", "style"], summary: "Writes in a French register.", skill: 3, listing: { kind: "trade", licence: "personal", redistribution: false }, versions: ["1.0.0"] },
];

export async function seedDemo(ctx: CoreContext, modelsDir: string): Promise<string> {
  const existing = await getFoundation(ctx, FOUNDATION_SLUG).catch(() => null);
  if (existing) return `demo marketplace already seeded (foundation ${FOUNDATION_SLUG})`;

  const users: { id: string }[] = [];
  for (const u of DEMO_USERS) {
    const found = await ctx.db.user.findUnique({ where: { email: u.email } });
    users.push(found ?? (await registerUser(ctx, { email: u.email, password: DEMO_PASSWORD, name: u.name })));
  }
  const actor = (i: number) => ({ userId: users[i]!.id });
  await createTeam(ctx, actor(0), { slug: "acme-vision", name: "Acme Vision", description: "Small models, sharp skills." });
  await createTeam(ctx, actor(1), { slug: "polyglot", name: "Polyglot Labs", description: "Domains and languages." });
  await addMember(ctx, actor(0), "acme-vision", { email: DEMO_USERS[1].email, role: "member" });

  const baseDir = join(modelsDir, FOUNDATION_SLUG);
  mkdirSync(modelsDir, { recursive: true });
  await writeCheckpoint(baseDir, -1);
  await registerFoundation(ctx, actor(0), {
    teamSlug: "acme-vision",
    slug: FOUNDATION_SLUG,
    name: "Graft Tiny",
    architecture: "decoder-mlp",
    licence: "apache-2.0",
    description: "A small decoder-shaped foundation for trying the marketplace end to end.",
    source: { kind: "path", path: baseDir },
  });

  for (const v of VECTORS) {
    for (const [i, version] of v.versions.entries()) {
      const dir = await ctx.blobs.scratchPath("-finetune");
      await writeCheckpoint(dir, v.skill + i * 4);
      const staged = await ctx.blobs.stageFile(join(dir, "model.safetensors"));
      rmSync(dir, { recursive: true, force: true });
      await publishVersion(ctx, actor(v.owner), {
        teamSlug: v.team,
        foundationSlug: FOUNDATION_SLUG,
        vectorSlug: v.slug,
        name: v.name,
        task: v.task,
        tags: v.tags,
        summary: v.summary,
        cardMarkdown: `# ${v.name}\n\n${v.summary}\n\nExtracted from a fine-tune of **Graft Tiny**; equip it with \`task_arithmetic\` at weight 1.0, or with \`ties\` next to other vectors.\n`,
        version,
        changelog: i === 0 ? "First release." : "Retrained with more data.",
        listing: v.listing,
        upload: { kind: "finetuned", file: staged },
      });
    }
  }
  return `seeded demo marketplace: ${users.length} users (password "${DEMO_PASSWORD}"), 2 teams, foundation ${FOUNDATION_SLUG}, ${VECTORS.length} vectors`;
}
