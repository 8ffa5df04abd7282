/**
 * `pnpm bench:sketch`: how close the publish-time sketch estimates are to the
 * exact interference analysis, on the demo marketplace's vectors (trained on
 * first use, then cached). Seeds the demo into a temporary database and blob store, then compares every pair of
 * published versions (cosine, top-k overlap, sign conflicts, verdict) and the
 * time each takes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { analyseInterference, estimateInterference, type VectorSketch } from "@graft/merge";
import { createTestDb } from "@graft/db";
import { LocalBlobStore } from "@graft/storage";
import { seedDemo } from "../demo/seed";
import { demoModels } from "../demo/train";

const root = await mkdtemp(join(tmpdir(), "graft-sketch-bench-"));
const { db, cleanup } = await createTestDb();
try {
  const ctx = { db, blobs: new LocalBlobStore(join(root, "blobs")), config: { modelsDir: join(root, "models") } };
  await seedDemo(ctx, ctx.config.modelsDir, () => demoModels(() => {}));
  const versions = await db.vectorVersion.findMany({
    where: { yankedAt: null },
    include: { vector: { include: { team: true } } },
    orderBy: [{ vector: { slug: "asc" } }, { version: "asc" }],
  });
  const labels = versions.map((v) => `${v.vector.team.slug}/${v.vector.slug}@${v.version}`);
  const paths = await Promise.all(versions.map((v) => ctx.blobs.localPath(v.blobHash)));
  const sketches = versions.map((v) => JSON.parse(v.sketchJson!) as VectorSketch);

  let t = performance.now();
  const exact = await analyseInterference(paths);
  const exactMs = performance.now() - t;
  t = performance.now();
  const est = estimateInterference(sketches, labels);
  const estMs = performance.now() - t;

  const f = (x: number) => x.toFixed(3);
  const rows = exact.pairs.map((p, i) => {
    const e = est.pairs[i]!;
    return `| ${e.label} | ${f(p.cosine)} / ${f(e.cosine)} | ${f(p.overlap)} / ${f(e.overlap)} | ${f(p.signConflictRate)} / ${f(e.signConflictRate)} | ${p.verdict.level}${p.verdict.level === e.verdict.level ? "" : ` / ${e.verdict.level}`} |`;
  });
  const maxErr = (key: "cosine" | "overlap" | "signConflictRate") => Math.max(...exact.pairs.map((p, i) => Math.abs(p[key] - est.pairs[i]![key])));
  const agree = exact.pairs.filter((p, i) => p.verdict.level === est.pairs[i]!.verdict.level).length;
  const bytes = sketches.reduce((s, k) => s + JSON.stringify(k).length, 0) / sketches.length;
  console.log(`${versions.length} versions, ${exact.pairs.length} pairs, ${exact.elements.toLocaleString("en")} parameters per vector`);
  console.log("");
  console.log("| pair | cosine exact / est. | top-20% overlap exact / est. | sign conflicts exact / est. | verdict |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log("");
  console.log(`largest error: cosine ${f(maxErr("cosine"))}, overlap ${f(maxErr("overlap"))}, sign conflicts ${f(maxErr("signConflictRate"))}; verdicts agree on ${agree}/${exact.pairs.length} pairs`);
  console.log(`exact analysis ${exactMs.toFixed(0)} ms (reads every weight); estimate ${estMs.toFixed(1)} ms; sketch ≈ ${(bytes / 1024).toFixed(0)} KiB of JSON per version`);
} finally {
  await db.$disconnect();
  await cleanup();
  await rm(root, { recursive: true, force: true });
}
