/**
 * Test fixtures shared by the feature tests (and usable by the web app's
 * tests via "@graft/core/testing"): a real SQLite database, a real blob store
 * in a temp folder, users, teams, and tiny real safetensors models.
 */
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDb } from "@graft/db";
import { createSafetensorsWriter, extractTaskVector, openCheckpoint, type TaskVectorEncoding } from "@graft/merge";
import { LocalBlobStore, type StagedBlob } from "@graft/storage";
import type { Actor, CoreContext } from "../context";
import { registerUser } from "../features/identity/users";
import { createTeam } from "../features/teams/teams";
import { registerFoundation, type FoundationSummary } from "../features/foundations/foundations";
import { publishVersion, type PublishInput, type PublishResult } from "../features/vectors/publish";

export interface TestContext {
  ctx: CoreContext;
  /** Scratch folder for test files (outside the blob store and models dir). */
  dir: string;
  modelsDir: string;
  blobsDir: string;
  /** The database's URL, for tests that open connections of their own or start other processes (a worker). */
  databaseUrl: string;
  cleanup(): Promise<void>;
}

export async function createTestContext(): Promise<TestContext> {
  const { db, url: databaseUrl, cleanup: dropDb } = await createTestDb();
  const root = await mkdtemp(join(tmpdir(), "graft-core-"));
  const dir = join(root, "work");
  const modelsDir = join(root, "models");
  const blobsDir = join(root, "blobs");
  await Promise.all([mkdir(dir), mkdir(modelsDir), mkdir(blobsDir)]);
  const ctx: CoreContext = { db, blobs: new LocalBlobStore(blobsDir), config: { modelsDir } };
  return {
    ctx,
    dir,
    modelsDir,
    blobsDir,
    databaseUrl,
    async cleanup() {
      await dropDb();
      await rm(root, { recursive: true, force: true });
    },
  };
}

let userCounter = 0;

/** A registered user and the session actor for them. */
export async function makeUser(ctx: CoreContext, name = `user${++userCounter}`): Promise<{ id: string; email: string; actor: Exclude<Actor, null> }> {
  const user = await registerUser(ctx, { email: `${name}@example.com`, password: "correct horse battery", name });
  return { id: user.id, email: user.email, actor: { userId: user.id } };
}

export async function makeTeam(ctx: CoreContext, owner: Actor, slug: string) {
  return createTeam(ctx, owner, { slug, name: slug.toUpperCase() });
}

export interface TensorFixture {
  name: string;
  shape: number[];
  values: number[];
}

/** Writes an F32 safetensors file. */
export async function writeF32Safetensors(path: string, tensors: TensorFixture[], metadata?: Record<string, string>): Promise<string> {
  const writer = await createSafetensorsWriter(
    path,
    tensors.map((t) => ({ name: t.name, dtype: "F32" as const, shape: t.shape })),
    metadata,
  );
  for (const t of tensors) await writer.write(t.name, new Uint8Array(new Float32Array(t.values).buffer));
  await writer.finish();
  return path;
}

export const Q_PROJ = "model.layers.0.self_attn.q_proj.weight";
export const NORM = "model.norm.weight";
export const EMBED = "model.embed_tokens.weight";

/** A tiny "foundation": three F32 tensors, deterministic values shifted by `seed`. */
export function tinyBaseTensors(seed = 0): TensorFixture[] {
  const seq = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + k + seed) * 0.5);
  return [
    { name: EMBED, shape: [6, 4], values: seq(24, 1) },
    { name: Q_PROJ, shape: [4, 4], values: seq(16, 2) },
    { name: NORM, shape: [4], values: seq(4, 3).map((x) => 1 + x) },
  ];
}

/** The base tensors plus `scale` × a fixed delta pattern: a "fine-tuned" checkpoint. */
export function finetunedTensors(base: TensorFixture[], scale = 0.01): TensorFixture[] {
  return base.map((t) => ({ ...t, values: t.values.map((v, i) => v + scale * (((i * 7) % 5) - 2)) }));
}

/** Registers a tiny foundation from a file inside modelsDir. */
export async function registerTinyFoundation(
  t: TestContext,
  actor: Actor,
  teamSlug: string,
  slug = "tiny-base",
  seed = 0,
): Promise<{ foundation: FoundationSummary; path: string }> {
  const path = await writeF32Safetensors(join(t.modelsDir, `${slug}.safetensors`), tinyBaseTensors(seed));
  const foundation = await registerFoundation(t.ctx, actor, {
    teamSlug,
    slug,
    name: `Tiny ${slug}`,
    architecture: "llama",
    licence: "apache-2.0",
    source: { kind: "path", path: `${slug}.safetensors` },
  });
  return { foundation, path };
}

/** Extracts a task vector file (base → finetuned) with the merge library. */
export async function makeTaskVectorFile(basePath: string, finetunedPath: string, out: string, encoding: TaskVectorEncoding = { kind: "dense" }): Promise<string> {
  const base = await openCheckpoint(basePath);
  const ft = await openCheckpoint(finetunedPath);
  try {
    await extractTaskVector({ base, finetuned: ft, out, encoding });
  } finally {
    await Promise.all([base.close(), ft.close()]);
  }
  return out;
}

/** A PEFT LoRA adapter for Q_PROJ (rank 2): returns the two file paths. */
export async function writeLoraAdapter(dir: string, opts: { module?: string; rows?: number; cols?: number } = {}): Promise<{ config: string; weights: string }> {
  await mkdir(dir, { recursive: true });
  const module = opts.module ?? "model.layers.0.self_attn.q_proj";
  const rows = opts.rows ?? 4;
  const cols = opts.cols ?? 4;
  const r = 2;
  const config = join(dir, "adapter_config.json");
  await writeFile(config, JSON.stringify({ peft_type: "LORA", r, lora_alpha: 4, target_modules: ["q_proj"], bias: "none" }));
  const weights = await writeF32Safetensors(join(dir, "adapter_model.safetensors"), [
    { name: `base_model.model.${module}.lora_A.weight`, shape: [r, cols], values: Array.from({ length: r * cols }, (_, i) => 0.1 * ((i % 3) - 1)) },
    { name: `base_model.model.${module}.lora_B.weight`, shape: [rows, r], values: Array.from({ length: rows * r }, (_, i) => 0.05 * ((i % 4) - 1.5)) },
  ]);
  return { config, weights };
}

/** Streams a file into the blob store's staging area, as the web app does with uploads. */
export function stageFile(ctx: CoreContext, path: string, maxBytes?: number): Promise<StagedBlob> {
  return ctx.blobs.stage(createReadStream(path), { maxBytes });
}

export function stageBytes(ctx: CoreContext, bytes: Uint8Array): Promise<StagedBlob> {
  return ctx.blobs.stage(
    (async function* () {
      yield bytes;
    })(),
  );
}

let publishCounter = 0;

/**
 * Publishes a small dense task vector against the tiny foundation registered
 * with registerTinyFoundation (files under t.dir; content differs per call).
 */
export async function publishTestVector(
  t: TestContext,
  actor: Actor,
  over: Partial<PublishInput> & { baseSeed?: number } = {},
): Promise<PublishResult> {
  const n = ++publishCounter;
  const { baseSeed = 0, ...rest } = over;
  const base = tinyBaseTensors(baseSeed);
  const bp = await writeF32Safetensors(join(t.dir, `pub-base-${n}.safetensors`), base);
  const ft = await writeF32Safetensors(join(t.dir, `pub-ft-${n}.safetensors`), finetunedTensors(base, 0.001 * n));
  const tv = await makeTaskVectorFile(bp, ft, join(t.dir, `pub-tv-${n}.safetensors`));
  const file = await stageFile(t.ctx, tv);
  return publishVersion(t.ctx, actor, {
    teamSlug: "acme",
    foundationSlug: "tiny-base",
    vectorSlug: "vec",
    name: "Vector",
    task: "classification",
    tags: [],
    summary: "",
    cardMarkdown: "",
    version: "1.0.0",
    changelog: "",
    listing: { kind: "free", licence: "personal", redistribution: false },
    upload: { kind: "task-vector", file },
    ...rest,
  });
}
