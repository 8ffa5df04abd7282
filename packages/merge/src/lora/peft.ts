/**
 * Import of a Hugging Face PEFT LoRA adapter as a task vector.
 *
 * An adapter directory holds `adapter_config.json` and
 * `adapter_model.safetensors` with keys such as
 *
 *   base_model.model.<module>.lora_A.weight            [r, in]   (or lora_A.<adapter>.weight)
 *   base_model.model.<module>.lora_B.weight            [out, r]
 *   base_model.model.<module>.lora_embedding_A         [r, num_embeddings]
 *   base_model.model.<module>.lora_embedding_B         [dim, r]
 *   base_model.model.<module>.<param>                  full tensors (modules_to_save, bias="all"/"lora_only")
 *
 * and the delta PEFT merges into `<module>.weight` is
 *
 *   scale · B·A             (Linear; transposed when fan_in_fan_out, e.g. GPT-2 Conv1D)
 *   scale · (B·A)ᵀ          (Embedding)
 *   scale · B·A reshaped    (Conv: A [r, in, k…], B [out, r, 1…])
 *
 * with scale = lora_alpha / r, or lora_alpha / √r under use_rslora, and r /
 * lora_alpha overridden per module by rank_pattern / alpha_pattern. Full
 * tensors become saved − base. The default output keeps the adapter's own
 * factors (up = scale·B, down = A), which is lossless.
 */
import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { GraftError } from "../errors";
import { fingerprintFromManifest, type Manifest } from "../fingerprint";
import { compareNames, decodeToFloat32, isFloatDType, openSafetensors, type SafetensorsFile } from "../safetensors";
import { unsafeFormatError } from "../safetensors/pickle";
import type { DType, TensorReader } from "../types";
import { checkDeltaDtype, checkNames, encodingParamsOf } from "../taskvector/extract";
import { encodeManifest, numelOf, type DeltaDType, type TaskVectorEncoding } from "../taskvector/format";
import { TaskVectorWriter } from "../taskvector/writer";

export const ADAPTER_CONFIG_FILE = "adapter_config.json";
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";
const PICKLE_ADAPTER_FILES = ["adapter_model.bin", "adapter_model.pt", "adapter_model.pth"];
const PEFT_PREFIX = "base_model.model.";

/** The parts of adapter_config.json the import uses (defaults as in peft.LoraConfig). */
export interface PeftLoraConfig {
  r: number;
  lora_alpha: number;
  /** A list of module-name suffixes, a regex (full match), "all-linear", or null (not checked). */
  target_modules: string[] | string | null;
  fan_in_fan_out: boolean;
  use_rslora: boolean;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  modules_to_save: string[] | null;
  base_model_name_or_path: string | null;
  bias: string;
  /** The whole parsed file, kept for provenance. */
  raw: Record<string, unknown>;
}

/** Output encoding of an import: low-rank without `rank` keeps the adapter's own factors (lossless). */
export type PeftImportEncoding = { kind: "lowrank"; rank?: number } | { kind: "dense" } | { kind: "sparse"; density: number };

export interface PeftImportProgress {
  phase: "import" | "assemble";
  tensor?: string;
  done: number;
  total: number;
}

export interface PeftImportOptions {
  adapterDir: string;
  base: TensorReader;
  out: string;
  encoding?: PeftImportEncoding;
  /** Stored delta dtype, default F32. */
  deltaDtype?: DType;
  /** Base name recorded in the provenance (default: the reader's file name when it has a `path`). */
  baseName?: string;
  /** Seed for the randomized SVD when a smaller rank is requested. */
  seed?: number;
  provenance?: Record<string, unknown>;
  onProgress?: (progress: PeftImportProgress) => void;
  signal?: AbortSignal;
}

export interface PeftImportReport {
  /** Base tensors with a delta in the file. */
  tensors: number;
  /** LoRA modules imported. */
  modules: number;
  /** Full tensors (modules_to_save, biases) imported as saved − base. */
  fullTensors: number;
  bytesWritten: number;
  denseBytes: number;
  compressionRatio: number;
  relativeError: number;
  perTensorMaxError: number;
  fingerprint: string;
  deltaDtype: DeltaDType;
  encoding: "dense" | "sparse" | "lowrank";
}

/** One LoRA module mapped onto its base tensor. */
export interface LoraModulePlan {
  kind: "lora";
  /** Module path as named in the adapter (without base_model.model.). */
  module: string;
  baseName: string;
  keyA: string;
  keyB: string;
  rank: number;
  alpha: number;
  scale: number;
  /** Out × r and r × inFlat views. */
  out: number;
  inFlat: number;
  /** delta = (B·A)ᵀ (fan_in_fan_out linear, or embedding). */
  transpose: boolean;
  layer: "linear" | "embedding" | "conv";
}

export interface FullTensorPlan {
  kind: "full";
  key: string;
  baseName: string;
}

export type PeftTensorPlan = LoraModulePlan | FullTensorPlan;

// ---------------------------------------------------------------------------
// Config.

function configError(path: string, what: string): GraftError {
  return new GraftError("INVALID_ARGUMENT", `${path}: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function numberPattern(value: unknown, key: string, path: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw configError(path, `${key} must be an object of pattern → number`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw configError(path, `${key}["${k}"] must be a number, got ${JSON.stringify(v)}`);
  }
  return value as Record<string, number>;
}

/** Parses and checks a LoRA adapter_config.json (text), refusing DoRA and non-LoRA PEFT types. */
export function parsePeftConfig(text: string, path: string): PeftLoraConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw configError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(json)) throw configError(path, "must be a JSON object");
  const peftType = json.peft_type;
  if (peftType !== undefined && peftType !== null && peftType !== "LORA") {
    throw new GraftError("UNSUPPORTED", `${path}: peft_type ${JSON.stringify(peftType)} is not supported; only LoRA adapters can be imported`);
  }
  if (json.use_dora === true) {
    throw new GraftError(
      "UNSUPPORTED",
      `${path}: DoRA adapters (use_dora: true) are not supported: their weight update depends on the base weight's column norms and is not a fixed task vector`,
    );
  }
  if (json.layer_replication !== undefined && json.layer_replication !== null) {
    throw new GraftError("UNSUPPORTED", `${path}: layer_replication is not supported`);
  }
  if (json.lora_bias === true) {
    throw new GraftError("UNSUPPORTED", `${path}: lora_bias (a trainable bias on lora_B) is not supported`);
  }
  const r = json.r ?? 8;
  if (!Number.isSafeInteger(r) || (r as number) < 1) throw configError(path, `r must be a positive integer, got ${JSON.stringify(json.r)}`);
  const alpha = json.lora_alpha ?? 8;
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw configError(path, `lora_alpha must be a number, got ${JSON.stringify(json.lora_alpha)}`);
  const tm = json.target_modules ?? null;
  if (!(tm === null || typeof tm === "string" || (Array.isArray(tm) && tm.every((t) => typeof t === "string")))) {
    throw configError(path, `target_modules must be a list of names or a regex string, got ${JSON.stringify(tm)}`);
  }
  if (typeof tm === "string" && tm !== "all-linear") {
    try {
      new RegExp(tm);
    } catch {
      throw configError(path, `target_modules regex ${JSON.stringify(tm)} is not a valid regular expression`);
    }
  }
  const mts = json.modules_to_save ?? null;
  if (!(mts === null || (Array.isArray(mts) && mts.every((t) => typeof t === "string")))) {
    throw configError(path, `modules_to_save must be a list of names, got ${JSON.stringify(mts)}`);
  }
  const bool = (key: string): boolean => {
    const v = json[key as keyof typeof json];
    if (v === undefined || v === null) return false;
    if (typeof v !== "boolean") throw configError(path, `${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const rankPattern = numberPattern(json.rank_pattern, "rank_pattern", path);
  for (const [k, v] of Object.entries(rankPattern)) {
    if (!Number.isSafeInteger(v) || v < 1) throw configError(path, `rank_pattern["${k}"] must be a positive integer, got ${v}`);
  }
  return {
    r: r as number,
    lora_alpha: alpha,
    target_modules: tm as string[] | string | null,
    fan_in_fan_out: bool("fan_in_fan_out"),
    use_rslora: bool("use_rslora"),
    rank_pattern: rankPattern,
    alpha_pattern: numberPattern(json.alpha_pattern, "alpha_pattern", path),
    modules_to_save: mts as string[] | null,
    base_model_name_or_path: typeof json.base_model_name_or_path === "string" ? json.base_model_name_or_path : null,
    bias: typeof json.bias === "string" ? json.bias : "none",
    raw: json,
  };
}

export async function readPeftConfig(adapterDir: string): Promise<PeftLoraConfig> {
  const path = join(adapterDir, ADAPTER_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") throw new GraftError("NOT_FOUND", `${path}: no such file (is ${adapterDir} a PEFT adapter directory?)`);
    throw new GraftError("IO", `${path}: ${(e as Error).message}`);
  }
  return parsePeftConfig(text, path);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Opens adapter_model.safetensors, refusing pickle adapters. */
export async function openPeftWeights(adapterDir: string): Promise<SafetensorsFile> {
  const path = join(adapterDir, ADAPTER_WEIGHTS_FILE);
  if (!(await exists(path))) {
    for (const name of PICKLE_ADAPTER_FILES) {
      if (await exists(join(adapterDir, name))) throw unsafeFormatError(join(adapterDir, name));
    }
    throw new GraftError("NOT_FOUND", `${path}: no such file (is ${adapterDir} a PEFT adapter directory?)`);
  }
  return openSafetensors(path);
}

// ---------------------------------------------------------------------------
// Key mapping.

/** PEFT's rule for rank_pattern / alpha_pattern keys: `re.match(rf"(.*\.)?({key})$", module)`. */
export function matchPatternKey(patterns: Record<string, number>, module: string): number | undefined {
  for (const [key, value] of Object.entries(patterns)) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:.*\\.)?(?:${key})$`);
    } catch {
      continue;
    }
    if (re.test(module)) return value;
  }
  return undefined;
}

/** PEFT's target check: list entries match the module name or a `.`-separated suffix; strings are a full-match regex. */
export function isTargetModule(target: PeftLoraConfig["target_modules"], module: string): boolean {
  if (target === null) return true;
  if (typeof target === "string") {
    if (target === "all-linear") return true;
    return new RegExp(`^(?:${target})$`).test(module);
  }
  return target.some((t) => module === t || module.endsWith(`.${t}`));
}

/** Base tensor candidates for an adapter-side name: as is, then with a leading `model.` removed or added. */
export function resolveBaseName(base: TensorReader, name: string): string | null {
  if (base.has(name)) return name;
  if (name.startsWith("model.") && base.has(name.slice(6))) return name.slice(6);
  if (base.has(`model.${name}`)) return `model.${name}`;
  return null;
}

const LORA_LINEAR = /^(.+)\.lora_([AB])(?:\.([^.]+))?\.weight$/;
const LORA_EMBEDDING = /^(.+)\.lora_embedding_([AB])(?:\.([^.]+))?$/;
const MODULES_TO_SAVE = /^(.+)\.modules_to_save\.[^.]+\.(.+)$/;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Maps every adapter key onto a base tensor and checks ranks, shapes and
 * target_modules. Throws MISMATCH listing every problem (unmapped keys
 * included), UNSUPPORTED for DoRA weights.
 */
export function planPeftImport(config: PeftLoraConfig, adapter: TensorReader, base: TensorReader, source: string): PeftTensorPlan[] {
  const problems: string[] = [];
  const modules = new Map<string, { A?: string; B?: string; layer: "linear" | "embedding" }>();
  const full: { key: string; name: string }[] = [];

  for (const { name: key } of adapter.tensors) {
    if (key.includes("lora_magnitude_vector")) {
      throw new GraftError("UNSUPPORTED", `${source}: "${key}" is a DoRA magnitude vector; DoRA adapters are not supported`);
    }
    const rest = key.startsWith(PEFT_PREFIX) ? key.slice(PEFT_PREFIX.length) : key;
    const linear = LORA_LINEAR.exec(rest);
    const embedding = linear ? null : LORA_EMBEDDING.exec(rest);
    const m = linear ?? embedding;
    if (m) {
      const [, module, which] = m;
      const layer = linear ? "linear" : "embedding";
      let entry = modules.get(module);
      if (!entry) modules.set(module, (entry = { layer }));
      if (entry.layer !== layer) {
        problems.push(`${key}: module ${module} mixes lora_A/B and lora_embedding_A/B`);
        continue;
      }
      if (entry[which as "A" | "B"]) {
        problems.push(`${key}: module ${module} has two lora_${which} tensors (multiple adapters in one file?)`);
        continue;
      }
      entry[which as "A" | "B"] = key;
    } else if (/(^|\.)lora_/.test(rest)) {
      problems.push(`unmapped adapter key ${key} (unsupported LoRA parameter)`);
    } else {
      const saved = MODULES_TO_SAVE.exec(rest);
      full.push({ key, name: saved ? `${saved[1]}.${saved[2]}` : rest });
    }
  }

  const plans: PeftTensorPlan[] = [];
  const claimed = new Map<string, string>();
  const claim = (baseName: string, key: string): boolean => {
    const previous = claimed.get(baseName);
    if (previous) {
      problems.push(`${key}: base tensor ${baseName} is already updated by ${previous}`);
      return false;
    }
    claimed.set(baseName, key);
    return true;
  };

  for (const module of [...modules.keys()].sort(compareNames)) {
    const entry = modules.get(module)!;
    const { A: keyA, B: keyB, layer } = entry;
    if (!keyA || !keyB) {
      problems.push(`module ${module} has ${keyA ? "lora_A" : "lora_B"} but no ${keyA ? "lora_B" : "lora_A"}`);
      continue;
    }
    const baseName = resolveBaseName(base, `${module}.weight`);
    if (!baseName) {
      problems.push(`unmapped adapter key ${keyA}: the base has no tensor ${module}.weight`);
      continue;
    }
    if (!isTargetModule(config.target_modules, module)) {
      problems.push(`${keyA}: module ${module} does not match target_modules ${JSON.stringify(config.target_modules)}`);
      continue;
    }
    const a = adapter.info(keyA);
    const b = adapter.info(keyB);
    const bt = base.info(baseName);
    if (!isFloatDType(a.dtype) || !isFloatDType(b.dtype)) {
      problems.push(`${keyA}: LoRA weights must be floating point, got ${a.dtype} / ${b.dtype}`);
      continue;
    }
    if (!isFloatDType(bt.dtype)) {
      problems.push(`${keyA}: base tensor ${baseName} is ${bt.dtype}, not floating point`);
      continue;
    }
    const rank = matchPatternKey(config.rank_pattern, module) ?? config.r;
    const alpha = matchPatternKey(config.alpha_pattern, module) ?? config.lora_alpha;
    const scale = config.use_rslora ? alpha / Math.sqrt(rank) : alpha / rank;
    const rA = a.shape[0];
    const rB = b.shape[1];
    if (a.shape.length < 2 || b.shape.length < 2 || rA !== rank || rB !== rank) {
      problems.push(`${keyA}: lora_A ${shapeText(a.shape)} and lora_B ${shapeText(b.shape)} do not have rank r=${rank}`);
      continue;
    }
    let expected: number[];
    let transpose = false;
    let kind: LoraModulePlan["layer"];
    const out = b.shape[0];
    const inFlat = numelOf(a.shape.slice(1));
    if (layer === "embedding") {
      kind = "embedding";
      transpose = true;
      expected = [a.shape[1], out];
    } else if (a.shape.length === 2 && b.shape.length === 2) {
      kind = "linear";
      transpose = config.fan_in_fan_out;
      expected = transpose ? [a.shape[1], out] : [out, a.shape[1]];
    } else if (a.shape.length === b.shape.length && b.shape.slice(2).every((d) => d === 1)) {
      kind = "conv";
      expected = [out, ...a.shape.slice(1)];
    } else {
      problems.push(`${keyA}: unsupported LoRA shapes lora_A ${shapeText(a.shape)}, lora_B ${shapeText(b.shape)}`);
      continue;
    }
    if (shapeText(expected) !== shapeText(bt.shape)) {
      problems.push(
        `${keyA}: delta shape ${shapeText(expected)} (from lora_B ${shapeText(b.shape)} · lora_A ${shapeText(a.shape)}` +
          `${transpose ? ", transposed" : ""}) does not match base ${baseName} ${shapeText(bt.shape)}`,
      );
      continue;
    }
    if (!claim(baseName, keyA)) continue;
    plans.push({ kind: "lora", module, baseName, keyA, keyB, rank, alpha, scale, out, inFlat, transpose, layer: kind });
  }

  for (const { key, name } of full) {
    const baseName = resolveBaseName(base, name);
    if (!baseName) {
      problems.push(`unmapped adapter key ${key}: the base has no tensor ${name}`);
      continue;
    }
    const t = adapter.info(key);
    const bt = base.info(baseName);
    if (!isFloatDType(bt.dtype) || !isFloatDType(t.dtype)) {
      problems.push(`${key}: full tensors must be floating point (adapter ${t.dtype}, base ${baseName} ${bt.dtype})`);
      continue;
    }
    if (shapeText(t.shape) !== shapeText(bt.shape)) {
      problems.push(`${key}: shape ${shapeText(t.shape)} does not match base ${baseName} ${shapeText(bt.shape)}`);
      continue;
    }
    if (!claim(baseName, key)) continue;
    plans.push({ kind: "full", key, baseName });
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join("; ") + (problems.length > 5 ? `; … (${problems.length - 5} more)` : "");
    throw new GraftError("MISMATCH", `${source}: ${problems.length} problems mapping the adapter onto the base: ${shown}`, problems);
  }
  if (plans.length === 0) throw new GraftError("INVALID_ARGUMENT", `${source}: the adapter holds no LoRA weights`);
  return plans.sort((x, y) => compareNames(x.baseName, y.baseName));
}

// ---------------------------------------------------------------------------
// Numerics.

/** 2-D views: B as [out, r], A as [r, inFlat]. */
export function loraDelta(plan: Pick<LoraModulePlan, "out" | "inFlat" | "rank" | "scale" | "transpose">, a: Float32Array, b: Float32Array): Float32Array {
  const { out, inFlat, rank, scale, transpose } = plan;
  const delta = new Float32Array(out * inFlat);
  const acc = new Float64Array(inFlat);
  for (let i = 0; i < out; i++) {
    acc.fill(0);
    for (let m = 0; m < rank; m++) {
      const w = b[i * rank + m];
      if (w === 0) continue;
      const aOff = m * inFlat;
      for (let k = 0; k < inFlat; k++) acc[k] += w * a[aOff + k];
    }
    if (transpose) for (let k = 0; k < inFlat; k++) delta[k * out + i] = scale * acc[k];
    else for (let k = 0; k < inFlat; k++) delta[i * inFlat + k] = scale * acc[k];
  }
  return delta;
}

/** Lossless factors with delta = up·down: (scale·B, A), or (scale·Aᵀ, Bᵀ) when transposed. */
export function loraFactors(
  plan: Pick<LoraModulePlan, "out" | "inFlat" | "rank" | "scale" | "transpose">,
  a: Float32Array,
  b: Float32Array,
): { up: Float32Array; down: Float32Array; rows: number; cols: number } {
  const { out, inFlat, rank, scale, transpose } = plan;
  if (!transpose) {
    const up = new Float32Array(out * rank);
    for (let i = 0; i < up.length; i++) up[i] = scale * b[i];
    return { up, down: new Float32Array(a), rows: out, cols: inFlat };
  }
  const up = new Float32Array(inFlat * rank);
  for (let m = 0; m < rank; m++) for (let k = 0; k < inFlat; k++) up[k * rank + m] = scale * a[m * inFlat + k];
  const down = new Float32Array(rank * out);
  for (let i = 0; i < out; i++) for (let m = 0; m < rank; m++) down[m * out + i] = b[i * rank + m];
  return { up, down, rows: inFlat, cols: out };
}

function checkImportEncoding(encoding: PeftImportEncoding | undefined): PeftImportEncoding {
  if (encoding === undefined) return { kind: "lowrank" };
  switch (encoding.kind) {
    case "lowrank":
      if (encoding.rank !== undefined && (!Number.isSafeInteger(encoding.rank) || encoding.rank < 1)) {
        throw new GraftError("INVALID_ARGUMENT", `low-rank rank must be a positive integer, got ${JSON.stringify(encoding.rank)}`);
      }
      return encoding;
    case "dense":
      return encoding;
    case "sparse":
      if (typeof encoding.density !== "number" || !(encoding.density > 0 && encoding.density <= 1)) {
        throw new GraftError("INVALID_ARGUMENT", `sparse density must be a number in (0, 1], got ${JSON.stringify(encoding.density)}`);
      }
      return encoding;
    default:
      throw new GraftError("INVALID_ARGUMENT", `unknown encoding ${JSON.stringify((encoding as { kind?: unknown }).kind)} (expected lowrank, dense or sparse)`);
  }
}

function labelOf(reader: TensorReader, given: string | undefined): string {
  if (given) return given;
  const path = (reader as { path?: unknown }).path;
  return typeof path === "string" ? basename(path) : "base";
}

// ---------------------------------------------------------------------------
// Import.

export async function importPeftAdapter(options: PeftImportOptions): Promise<PeftImportReport> {
  const { adapterDir, base, out, onProgress, signal } = options;
  const encoding = checkImportEncoding(options.encoding);
  const deltaDtype = options.deltaDtype === undefined ? "F32" : checkDeltaDtype(options.deltaDtype);
  const seed = options.seed ?? 0;
  const config = await readPeftConfig(adapterDir);
  checkNames(base.tensors);
  const adapter = await openPeftWeights(adapterDir);
  try {
    const plans = planPeftImport(config, adapter, base, adapter.path);
    const byBase = new Map(plans.map((p) => [p.baseName, p]));
    const tensors = [...base.tensors].sort((x, y) => compareNames(x.name, y.name));
    const manifest: Manifest = Object.create(null);
    const writer = await TaskVectorWriter.create(out, deltaDtype);
    try {
      for (const [i, t] of tensors.entries()) {
        if (signal?.aborted) throw new GraftError("CANCELLED", "adapter import was cancelled");
        const bytes = await base.readBytes(t.name);
        manifest[t.name] = { dtype: t.dtype, shape: [...t.shape], sha256: createHash("sha256").update(bytes).digest("hex") };
        const plan = byBase.get(t.name);
        if (plan?.kind === "full") {
          const saved = await adapter.readFloat32(plan.key);
          const b = decodeToFloat32(t.dtype, bytes);
          const delta = new Float32Array(b.length);
          for (let j = 0; j < b.length; j++) {
            const d = saved[j] - b[j];
            if (!Number.isFinite(d) && saved[j] !== b[j]) {
              throw new GraftError("INVALID_ARGUMENT", `${adapter.path}: "${plan.key}" has a non-finite delta at element ${j}`);
            }
            delta[j] = Number.isFinite(d) ? d : 0;
          }
          // A full tensor has no factors of its own: the lossless default stores it dense.
          if (encoding.kind === "lowrank" && encoding.rank === undefined) await writer.addDense(t.name, t.shape, delta);
          else if (encoding.kind === "lowrank") await writer.addEncoded(t.name, t.shape, delta, { kind: "lowrank", rank: encoding.rank! }, seed);
          else await writer.addEncoded(t.name, t.shape, delta, encoding, seed);
        } else if (plan?.kind === "lora") {
          const a = await adapter.readFloat32(plan.keyA);
          const b = await adapter.readFloat32(plan.keyB);
          const delta = loraDelta(plan, a, b);
          for (let j = 0; j < delta.length; j++) {
            if (!Number.isFinite(delta[j])) throw new GraftError("INVALID_ARGUMENT", `${adapter.path}: module ${plan.module} gives a non-finite delta`);
          }
          const lossless = encoding.kind === "lowrank" && t.shape.length === 2 && (encoding.rank === undefined || encoding.rank >= plan.rank);
          if (lossless) {
            const f = loraFactors(plan, a, b);
            await writer.addFactors(t.name, f.rows, f.cols, plan.rank, f.up, f.down, delta);
          } else if (encoding.kind === "lowrank") {
            await writer.addEncoded(t.name, t.shape, delta, { kind: "lowrank", rank: encoding.rank ?? plan.rank }, seed);
          } else {
            await writer.addEncoded(t.name, t.shape, delta, encoding, seed);
          }
        }
        onProgress?.({ phase: "import", tensor: t.name, done: i + 1, total: tensors.length });
      }

      const fingerprint = fingerprintFromManifest(manifest);
      const loraPlans = plans.filter((p): p is LoraModulePlan => p.kind === "lora");
      const fullCount = plans.length - loraPlans.length;
      const encodingParams: Record<string, unknown> =
        encoding.kind === "lowrank"
          ? encoding.rank === undefined
            ? { rank: config.r, method: "lora-factors", lossless: true, ...(Object.keys(config.rank_pattern).length > 0 ? { rank_pattern: config.rank_pattern } : {}) }
            : { ...encodingParamsOf({ kind: "lowrank", rank: encoding.rank }, seed), lora_factors_kept_up_to_rank: encoding.rank }
          : encodingParamsOf(encoding as TaskVectorEncoding, seed);
      const provenance: Record<string, unknown> = {
        created_at: new Date().toISOString(),
        tool: "graft",
        operation: "import-peft",
        base: { name: labelOf(base, options.baseName), fingerprint },
        adapter: {
          name: basename(adapterDir),
          base_model_name_or_path: config.base_model_name_or_path,
          ...(typeof config.raw.revision === "string" ? { revision: config.raw.revision } : {}),
        },
        lora: {
          r: config.r,
          lora_alpha: config.lora_alpha,
          target_modules: config.target_modules,
          fan_in_fan_out: config.fan_in_fan_out,
          use_rslora: config.use_rslora,
          rank_pattern: config.rank_pattern,
          alpha_pattern: config.alpha_pattern,
          modules_to_save: config.modules_to_save,
          bias: config.bias,
          modules: loraPlans.length,
          full_tensors: fullCount,
        },
        ...(options.provenance ?? {}),
      };
      const bytesWritten = await writer.finish(
        { fingerprint, manifestJson: encodeManifest(manifest), encoding: encoding.kind, encodingParams, provenance },
        (done, total) => onProgress?.({ phase: "assemble", done, total }),
      );
      const stats = writer.stats();
      return {
        tensors: stats.tensors,
        modules: loraPlans.length,
        fullTensors: fullCount,
        bytesWritten,
        denseBytes: stats.denseBytes,
        compressionRatio: bytesWritten > 0 ? stats.denseBytes / bytesWritten : 0,
        relativeError: stats.relativeError,
        perTensorMaxError: stats.perTensorMaxError,
        fingerprint,
        deltaDtype,
        encoding: encoding.kind,
      };
    } catch (e) {
      await writer.abort();
      throw e;
    }
  } finally {
    await adapter.close().catch(() => {});
  }
}
