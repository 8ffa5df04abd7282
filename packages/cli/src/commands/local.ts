/**
 * Commands that work on local files only: inspect, fingerprint, extract,
 * import-lora, merge, interference. Each is a thin layer over @graft/merge.
 */
import { stat } from "node:fs/promises";
import type { Command } from "commander";
import {
  analyseInterference,
  extractTaskVector,
  fingerprintCheckpoint,
  formatInterferenceTable,
  importPeftAdapter,
  isTaskVectorFile,
  loadRecipeFile,
  openCheckpoint,
  openTaskVector,
  planMerge,
  runMerge,
  TensorHashCache,
  type DType,
  type PeftImportEncoding,
  type TaskVectorEncoding,
} from "@graft/merge";
import { CliError, parseNumber, parseSize } from "../errors";
import { createProgress, formatBytes, formatCount, table } from "../output";

interface JsonFlag {
  json?: boolean;
}

function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export function registerLocalCommands(program: Command): void {
  program
    .command("inspect")
    .description("show a checkpoint's or task vector's tensors, dtypes, shapes, parameter count, size and metadata")
    .argument("<path>", "a .safetensors file, a sharded index, or a Hugging Face model directory")
    .option("--fingerprint", "also compute the content fingerprint (reads every byte)")
    .option("--tensors <n>", "how many tensors to list (0 for all)", "20")
    .option("--json", "machine-readable output")
    .action(inspect);

  program
    .command("fingerprint")
    .description("compute the foundation fingerprint of a checkpoint (stable across sharding and file order)")
    .argument("<path>")
    .option("--json", "machine-readable output")
    .action(async (path: string, opts: JsonFlag) => {
      const reader = await openCheckpoint(path);
      try {
        const total = reader.tensors.reduce((a, t) => a + t.byteLength, 0);
        const progress = createProgress("fingerprint", !!opts.json);
        const { fingerprint } = await fingerprintCheckpoint(reader, (p) => progress.update(p.bytesDone, total, p.name));
        progress.stop();
        print(opts.json, { path, fingerprint }, () => fingerprint);
      } finally {
        await reader.close();
      }
    });

  program
    .command("extract")
    .description("extract a task vector: tau = finetuned - base")
    .requiredOption("--base <path>", "the foundation checkpoint")
    .requiredOption("--finetuned <path>", "the fine-tuned checkpoint")
    .requiredOption("-o, --out <file>", "output task-vector file (.safetensors)")
    .option("--encoding <kind>", "dense | sparse | lowrank", "dense")
    .option("--density <d>", "sparse: fraction of entries kept (top-k by magnitude)", "0.1")
    .option("--rank <r>", "lowrank: rank of each 2-D tensor's truncated SVD", "16")
    .option("--dtype <dtype>", "dtype of the stored deltas: F32 | F16 | BF16 (default: the base's)")
    .option("--json", "machine-readable output")
    .action(extract);

  program
    .command("merge")
    .description("merge models and task vectors from a mergekit-compatible YAML recipe")
    .argument("<recipe>", "YAML recipe (models, base_model, merge_method, parameters, dtype, random_seed)")
    .option("-o, --out <dir>", "output directory (Hugging Face layout)")
    .option("--shard-size <size>", "maximum shard size, e.g. 5GB, 500MB", "5GB")
    .option("--overwrite", "replace a non-empty output directory once the new one is complete")
    .option("--dry-run", "validate the recipe and inputs and print the plan without reading tensor data")
    .option("--no-hash-cache", "hash every input byte, ignoring the tensor hashes remembered from earlier merges ($GRAFT_HASH_CACHE, default ~/.cache/graft/hashes)")
    .option("--json", "machine-readable output")
    .action(merge);

  program
    .command("interference")
    .description("pairwise cosine similarity, top-k overlap and sign conflicts between task vectors")
    .argument("<vectors...>", "two or more task-vector files made against the same foundation")
    .option("--top <fraction>", "fraction of entries per tensor in each top-k mask", "0.2")
    .option("--json", "machine-readable output")
    .action(interference);

  program
    .command("import-lora")
    .description("turn a PEFT LoRA adapter into a task vector: delta = (alpha / r) * B * A")
    .requiredOption("--base <path>", "the foundation checkpoint the adapter was trained on")
    .requiredOption("--adapter <dir>", "directory with adapter_config.json and adapter_model.safetensors")
    .requiredOption("-o, --out <file>", "output task-vector file")
    .option("--encoding <kind>", "lowrank (lossless, the adapter's own rank) | dense", "lowrank")
    .option("--json", "machine-readable output")
    .action(importLora);
}

async function inspect(path: string, opts: JsonFlag & { fingerprint?: boolean; tensors: string }): Promise<void> {
  const limit = parseNumber(opts.tensors, "--tensors", 0, Number.MAX_SAFE_INTEGER);
  const isFile = (await stat(path).catch(() => null))?.isFile() ?? false;
  if (isFile && path.endsWith(".safetensors") && (await isTaskVectorFile(path))) {
    const tv = await openTaskVector(path);
    try {
      const fileSize = (await stat(path)).size;
      const covered = tv.coveredTensors;
      const value = {
        path,
        kind: "task-vector",
        foundationFingerprint: tv.fingerprint,
        encoding: tv.encoding,
        encodingParams: tv.encodingParams,
        reconstructionError: tv.error,
        deltaDtype: tv.deltaDtype,
        coveredTensors: covered.length,
        foundationTensors: Object.keys(tv.manifest).length,
        sizeBytes: fileSize,
        provenance: tv.provenance,
      };
      print(opts.json, value, () =>
        [
          `${path}: task vector`,
          `  foundation   ${tv.fingerprint}`,
          `  encoding     ${tv.encoding} ${JSON.stringify(tv.encodingParams)}`,
          `  error        ${tv.error ? `relative Frobenius ${tv.error.relative_frobenius.toExponential(3)}` : "exact"}`,
          `  deltas       ${covered.length} of ${value.foundationTensors} foundation tensors, ${tv.deltaDtype}`,
          `  size         ${formatBytes(fileSize)}`,
          `  provenance   ${JSON.stringify(tv.provenance)}`,
        ].join("\n"),
      );
    } finally {
      await tv.close();
    }
    return;
  }
  const reader = await openCheckpoint(path);
  try {
    const tensors = reader.tensors;
    const params = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    const bytes = tensors.reduce((a, t) => a + t.byteLength, 0);
    const dtypes: Record<string, number> = {};
    for (const t of tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    let fingerprint: string | undefined;
    if (opts.fingerprint) {
      const progress = createProgress("fingerprint", !!opts.json);
      fingerprint = (await fingerprintCheckpoint(reader, (p) => progress.update(p.bytesDone, bytes, p.name))).fingerprint;
      progress.stop();
    }
    const shown = limit === 0 ? tensors : tensors.slice(0, limit);
    const value = {
      path,
      kind: "checkpoint",
      files: reader.files,
      tensors: tensors.length,
      parameters: params,
      sizeBytes: bytes,
      dtypes,
      fingerprint,
      metadata: reader.metadata,
      tensorList: shown.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.byteLength })),
    };
    print(opts.json, value, () => {
      const lines = [
        `${path}: checkpoint, ${reader.files.length} file(s)`,
        `  tensors      ${tensors.length}`,
        `  parameters   ${formatCount(params)} (${params})`,
        `  size         ${formatBytes(bytes)}`,
        `  dtypes       ${Object.entries(dtypes).map(([d, n]) => `${d}×${n}`).join(", ")}`,
      ];
      if (fingerprint) lines.push(`  fingerprint  ${fingerprint}`);
      for (const [k, v] of Object.entries(reader.metadata)) {
        const flat = v.replace(/\n/g, " ⏎ ");
        lines.push(`  meta ${k} = ${flat.length > 100 ? `${flat.slice(0, 100)}…` : flat}`);
      }
      lines.push("", table([["tensor", "dtype", "shape", "size"], ...shown.map((t) => [t.name, t.dtype, `[${t.shape.join(", ")}]`, formatBytes(t.byteLength)])]));
      if (shown.length < tensors.length) lines.push(`… ${tensors.length - shown.length} more (--tensors 0 lists all)`);
      return lines.join("\n");
    });
  } finally {
    await reader.close();
  }
}

function encodingFrom(opts: { encoding: string; density: string; rank: string }): TaskVectorEncoding {
  switch (opts.encoding) {
    case "dense":
      return { kind: "dense" };
    case "sparse":
      return { kind: "sparse", density: parseNumber(opts.density, "--density", Number.MIN_VALUE, 1) };
    case "lowrank":
      return { kind: "lowrank", rank: parseNumber(opts.rank, "--rank", 1, 1 << 20) };
    default:
      throw new CliError(`--encoding must be dense, sparse or lowrank, got "${opts.encoding}"`);
  }
}

async function extract(opts: JsonFlag & { base: string; finetuned: string; out: string; encoding: string; density: string; rank: string; dtype?: string }): Promise<void> {
  const encoding = encodingFrom(opts);
  const base = await openCheckpoint(opts.base);
  try {
    const finetuned = await openCheckpoint(opts.finetuned);
    try {
      const progress = createProgress("extract", !!opts.json);
      const total = base.tensors.length;
      const report = await extractTaskVector({
        base,
        finetuned,
        out: opts.out,
        encoding,
        deltaDtype: opts.dtype as DType | undefined, // checked by extractTaskVector
        onProgress: (p) => progress.update(p.done, p.total || total, p.tensor ?? p.phase),
      });
      progress.stop();
      print(opts.json, { out: opts.out, ...report }, () =>
        [
          `wrote ${opts.out}`,
          `  foundation   ${report.fingerprint}`,
          `  encoding     ${encoding.kind}, deltas in ${report.deltaDtype}`,
          `  tensors      ${report.tensors}`,
          `  size         ${formatBytes(report.bytesWritten)} (dense: ${formatBytes(report.denseBytes)}; ${report.compressionRatio >= 1 ? `${report.compressionRatio.toFixed(2)}× smaller` : "the header outweighs the savings at this size"})`,
          `  error        relative Frobenius ${report.relativeError.toExponential(3)}, worst tensor ${report.perTensorMaxError.toExponential(3)}`,
          ...report.warnings.map((w) => `  warning      ${w}`),
        ].join("\n"),
      );
    } finally {
      await finetuned.close();
    }
  } finally {
    await base.close();
  }
}

async function merge(recipePath: string, opts: JsonFlag & { out?: string; shardSize: string; overwrite?: boolean; dryRun?: boolean; hashCache: boolean }): Promise<void> {
  const { recipe, baseDir } = await loadRecipeFile(recipePath);
  const maxShardBytes = parseSize(opts.shardSize);
  if (opts.dryRun) {
    const plan = await planMerge(recipe, { baseDir });
    try {
      const merged = plan.tensors.filter((t) => t.action === "merge").length;
      const value = {
        method: plan.method.name,
        base: plan.base?.ref ?? null,
        models: plan.models.map((m) => ({ ref: m.ref, kind: m.kind })),
        tensors: plan.tensors.length,
        merged,
        copied: plan.tensors.length - merged,
        outputBytes: plan.totalOutBytes,
        foundationFingerprint: plan.foundationFingerprint,
      };
      print(opts.json, value, () =>
        [
          `plan: ${plan.method.name} of ${plan.models.length} model(s)${plan.base ? ` onto ${plan.base.ref}` : ""}`,
          ...plan.models.map((m) => `  ${m.kind.padEnd(12)} ${m.ref}`),
          `  ${plan.tensors.length} tensors (${merged} merged, ${value.copied} carried through), output ${formatBytes(plan.totalOutBytes)}`,
        ].join("\n"),
      );
    } finally {
      await plan.close();
    }
    return;
  }
  if (!opts.out) throw new CliError("merge needs -o/--out <dir> (or --dry-run)");
  const progress = createProgress("merge", !!opts.json);
  const started = Date.now();
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await runMerge(recipe, {
      baseDir,
      outDir: opts.out,
      maxShardBytes,
      overwrite: opts.overwrite,
      hashCache: opts.hashCache ? TensorHashCache.fromEnvironment() : null,
      signal: ac.signal,
      onProgress: (p) => progress.update(p.bytesDone, p.bytesTotal, `${p.tensorsDone}/${p.tensorsTotal} ${p.tensor}`),
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    print(opts.json, { ...result, seconds }, () =>
      [
        `wrote ${result.outDir}: ${result.tensors} tensors, ${formatBytes(result.bytesWritten)} in ${seconds.toFixed(1)} s`,
        ...result.inputs.map((i) => `  ${i.role.padEnd(5)} ${i.kind.padEnd(12)} ${i.ref}  ${i.fingerprint ?? ""}`),
      ].join("\n"),
    );
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function interference(paths: string[], opts: JsonFlag & { top: string }): Promise<void> {
  const topFraction = parseNumber(opts.top, "--top", Number.MIN_VALUE, 1);
  const progress = createProgress("interference", !!opts.json);
  const report = await analyseInterference(paths, {
    topFraction,
    onProgress: (p) => progress.update(p.done, p.total, p.tensor),
  });
  progress.stop();
  print(opts.json, report, () => formatInterferenceTable(report));
}

async function importLora(opts: JsonFlag & { base: string; adapter: string; out: string; encoding: string }): Promise<void> {
  if (opts.encoding !== "lowrank" && opts.encoding !== "dense") throw new CliError(`--encoding must be lowrank or dense, got "${opts.encoding}"`);
  const encoding: PeftImportEncoding = { kind: opts.encoding };
  const base = await openCheckpoint(opts.base);
  try {
    const report = await importPeftAdapter({ adapterDir: opts.adapter, base, out: opts.out, encoding });
    print(opts.json, { out: opts.out, ...report }, () => `wrote ${opts.out}: ${JSON.stringify(report)}`);
  } finally {
    await base.close();
  }
}
