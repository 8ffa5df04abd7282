/**
 * The demo marketplace: three users, two publishing teams, the demo
 * foundation (a character-level language model trained with TensorFlow.js,
 * see packages/lab) registered by path, and its task vectors published with
 * free, paid and trade-only listings, model cards carrying their measured
 * metrics and `evalJson` with the suites — through the same domain services
 * the web app uses. Runs once: an existing demo is kept.
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
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
import { versionEvalJson, type DemoModels, type EvalResult } from "@graft/lab";

export const DEMO_PASSWORD = "graft-demo-password";
export const DEMO_USERS = [
  { email: "alice@demo.graft.dev", name: "Alice (Acme Vision)" },
  { email: "bob@demo.graft.dev", name: "Bob (Polyglot Labs)" },
  { email: "carol@demo.graft.dev", name: "Carol (buyer)" },
] as const;

const FOUNDATION_SLUG = "graft-tiny";

interface DemoVector {
  owner: number;
  team: string;
  slug: string;
  name: string;
  /** The lab task the vector was fine-tuned on. */
  labTask: string;
  task: string;
  tags: string[];
  summary: string;
  listing: PublishInput["listing"];
}

const VECTORS: DemoVector[] = [
  { owner: 0, team: "acme-vision", slug: "melville-prose", name: "Melville prose", labTask: "melville", task: "domain", tags: ["literature", "english", "19th-century"], summary: "Writes like Moby Dick: fine-tuned on Melville's chapters.", listing: { kind: "free", licence: "commercial", redistribution: true } },
  { owner: 0, team: "acme-vision", slug: "spam-mail", name: "Spam mail", labTask: "spam", task: "domain", tags: ["email", "spam", "red-teaming"], summary: "Speaks fluent junk mail — for training spam filters on synthetic spam.", listing: { kind: "paid", priceCents: 1900, currency: "usd", licence: "commercial", redistribution: false } },
  { owner: 1, team: "polyglot", slug: "name-lists", name: "Name lists", labTask: "names", task: "skill", tags: ["names", "lists"], summary: "Writes lists of first names, one per line.", listing: { kind: "trade", licence: "personal", redistribution: false } },
];

const fmt = (r: EvalResult) => `${r.accuracy.toFixed(1)} % · ${r.bitsPerChar.toFixed(3)} bpc`;

function card(v: DemoVector, models: DemoModels): string {
  const m = models.metrics;
  const suites = Object.keys(models.suites);
  const rows = suites.map((s) => `| ${s === "control" ? "control (foundation data)" : s} | ${fmt(m.foundation![s]!)} | ${fmt(m[v.labTask]![s]!)} |`);
  return [
    `# ${v.name}`,
    "",
    v.summary,
    "",
    `A task vector for **Graft Tiny**, a ${models.config.model.hidden}-unit character-level language model trained with TensorFlow.js on State of the Union addresses and legitimate mail. It was fine-tuned for ${models.config.finetune.steps} steps on the *${v.labTask}* training split and extracted as \`fine-tuned − foundation\`.`,
    "",
    "## Evaluation (test splits, next-character accuracy · bits per character)",
    "",
    "| suite | foundation | foundation + this vector |",
    "|---|---|---|",
    ...rows,
    "",
    "Equip it with `task_arithmetic` at weight 1.0 alone, or with `ties` next to other vectors; try it on the foundation's page.",
    "",
  ].join("\n");
}

/** `loadModels` trains or loads the cached demo models; it is called only when seeding. */
export async function seedDemo(ctx: CoreContext, modelsDir: string, loadModels: () => Promise<DemoModels>): Promise<string> {
  const existing = await getFoundation(ctx, FOUNDATION_SLUG).catch(() => null);
  if (existing) return `demo marketplace already seeded (foundation ${FOUNDATION_SLUG})`;
  const models = await loadModels();

  const users: { id: string }[] = [];
  for (const u of DEMO_USERS) {
    const found = await ctx.db.user.findUnique({ where: { email: u.email } });
    users.push(found ?? (await registerUser(ctx, { email: u.email, password: DEMO_PASSWORD, name: u.name })));
  }
  const actor = (i: number) => ({ userId: users[i]!.id });
  await createTeam(ctx, actor(0), { slug: "acme-vision", name: "Acme Vision", description: "Small models, sharp skills." });
  await createTeam(ctx, actor(1), { slug: "polyglot", name: "Polyglot Labs", description: "Domains and languages." });
  await addMember(ctx, actor(0), "acme-vision", { email: DEMO_USERS[1].email, role: "member" });

  // Registered by path: the files must live under the models directory.
  const baseDir = join(modelsDir, FOUNDATION_SLUG);
  mkdirSync(modelsDir, { recursive: true });
  rmSync(baseDir, { recursive: true, force: true });
  cpSync(models.foundationDir, baseDir, { recursive: true });
  await registerFoundation(ctx, actor(0), {
    teamSlug: "acme-vision",
    slug: FOUNDATION_SLUG,
    name: "Graft Tiny",
    architecture: "char-mlp",
    licence: "apache-2.0",
    description: `A ${models.config.model.hidden}-unit character-level language model trained with TensorFlow.js on State of the Union addresses and legitimate mail (test accuracy ${fmt(models.metrics.foundation!.control!)}). Try it, then equip its task vectors.`,
    source: { kind: "path", path: baseDir },
  });

  for (const v of VECTORS.filter((v) => models.tasks[v.labTask])) {
    // stageFile moves its source into the store: hand it a copy.
    const copy = await ctx.blobs.scratchPath("-vector.safetensors");
    cpSync(models.tasks[v.labTask]!.vectorPath, copy);
    const staged = await ctx.blobs.stageFile(copy);
    rmSync(copy, { force: true });
    const published = await publishVersion(ctx, actor(v.owner), {
      teamSlug: v.team,
      foundationSlug: FOUNDATION_SLUG,
      vectorSlug: v.slug,
      name: v.name,
      task: v.task,
      tags: v.tags,
      summary: v.summary,
      cardMarkdown: card(v, models),
      version: "1.0.0",
      changelog: "First release.",
      listing: v.listing,
      upload: { kind: "task-vector", file: staged },
    });
    await ctx.db.vectorVersion.update({ where: { id: published.version.id }, data: { evalJson: versionEvalJson(models, v.labTask) } });
  }
  return `seeded demo marketplace: ${users.length} users (password "${DEMO_PASSWORD}"), 2 teams, foundation ${FOUNDATION_SLUG}, ${Object.keys(models.tasks).length} trained vectors`;
}
