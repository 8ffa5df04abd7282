/**
 * The fuzz loop, run as its own process by fuzz.test.ts so that a hang of any
 * kind — a promise that never settles or a synchronous endless loop — is
 * caught by the parent killing it, not by the test runner freezing.
 *
 *   node --import tsx fuzz-runner.fixture.ts <workDir> <seed> <maxMillis> <maxCases> [onlyCase]
 *
 * Valid small safetensors checkpoints, a sharded checkpoint and task-vector
 * files (dense, sparse, low-rank) are mutated at random; every mutated input
 * goes through the readers and the planner. Each operation must succeed or
 * throw a GraftError with a known code. One JSON line per event on stdout:
 *   {"case": i, "target": …, "mutation": …}   before a case (progress for the watchdog)
 *   {"anomaly": {...}}                          an operation broke the contract
 *   {"done": {...}}                             final counts
 * Case i's mutation depends only on (seed, i): `onlyCase` replays one case.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  executePlan,
  fingerprintFromManifest,
  GraftError,
  isTaskVectorFile,
  openCheckpoint,
  openSafetensors,
  openTaskVector,
  parseRecipe,
  planMerge,
  type GraftErrorCode,
} from "../index";
import { assembleFile } from "../safetensors/testing";
import { finetune, makeBase, mulberry, writeModelDir, writeTaskVector, encodeSafetensors, rawTensors } from "../engine/merge.fixture";

const KNOWN_CODES: readonly GraftErrorCode[] = [
  "INVALID_SAFETENSORS",
  "UNSAFE_FORMAT",
  "NOT_FOUND",
  "MISMATCH",
  "FINGERPRINT_MISMATCH",
  "INVALID_RECIPE",
  "INVALID_ARGUMENT",
  "UNSUPPORTED",
  "CANCELLED",
  "IO",
];

type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

function emit(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// ---------------------------------------------------------------------------
// Header surgery helpers (on the public byte layout)

interface Split {
  header: string;
  data: Uint8Array;
}

function split(bytes: Uint8Array): Split {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd(), data: bytes.subarray(8 + n) };
}

function headerEnd(bytes: Uint8Array): number {
  return 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

const INTERESTING_NUMBERS = [0, 1, -1, 2, 7, 8, 255, 256, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, -0, 0.5, 1.5, 1e-7];
const INTERESTING_U64 = [0n, 1n, 7n, 8n, 9n, 2n ** 31n, 2n ** 32n, 100_000_000n, 100_000_001n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
const DTYPES = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "U64", "F8_E4M3", "C64", "f32", "", "X"];
const JSON_CHARS = '{}[]":,0123456789-.eE \\ntfu';

function randomNumberText(rng: Rng, old: number): string {
  const r = rng();
  if (r < 0.3) return String(old + pick(rng, [-8, -2, -1, 1, 2, 8]));
  if (r < 0.9) return String(pick(rng, INTERESTING_NUMBERS));
  return pick(rng, ["1e400", "-1e400", "01", "1.0", "0x10", "NaN", '"8"', "null", "[]", "{}"]);
}

/** Replaces the k-th number literal of a JSON text. */
function mutateNumber(rng: Rng, text: string): string {
  const numbers = [...text.matchAll(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)];
  if (numbers.length === 0) return text;
  const m = pick(rng, numbers);
  return text.slice(0, m.index!) + randomNumberText(rng, Number(m[0])) + text.slice(m.index! + m[0].length);
}

/** Duplicates one top-level (or __metadata__) key: same value or a different one. */
function duplicateKey(rng: Rng, header: string): string {
  const obj = JSON.parse(header) as Record<string, unknown>;
  const keys = Object.keys(obj);
  const key = pick(rng, keys);
  if (key === "__metadata__" && rng() < 0.5) {
    const meta = obj.__metadata__ as Record<string, string>;
    const mk = pick(rng, Object.keys(meta));
    const inner = JSON.stringify(meta).slice(0, -1) + `,${JSON.stringify(mk)}:${JSON.stringify(rng() < 0.5 ? meta[mk] : "dup")}}`;
    return header.replace(JSON.stringify(meta), inner);
  }
  const value = rng() < 0.5 ? obj[key] : obj[pick(rng, keys)];
  // also with an escaped spelling of the same key
  const spelled = rng() < 0.3 ? JSON.stringify(key).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : JSON.stringify(key);
  return `${header.slice(0, -1)},${spelled}:${JSON.stringify(value)}}`;
}

/** Permutes data_offsets among the tensors (a valid JSON header that lies about the layout). */
function shuffleOffsets(rng: Rng, header: string): string {
  const obj = JSON.parse(header) as Record<string, { data_offsets?: number[] }>;
  const names = Object.keys(obj).filter((k) => k !== "__metadata__");
  const offsets = names.map((n) => obj[n]!.data_offsets);
  for (let i = offsets.length - 1; i > 0; i--) {
    const j = int(rng, i + 1);
    [offsets[i], offsets[j]] = [offsets[j], offsets[i]];
  }
  if (rng() < 0.3 && offsets.length > 0) {
    // or shift one range by a few bytes
    const o = offsets[int(rng, offsets.length)]!;
    const d = pick(rng, [-4, -2, -1, 1, 2, 4]);
    offsets[offsets.indexOf(o)] = [o[0]! + d, o[1]! + d];
  }
  names.forEach((n, i) => (obj[n]!.data_offsets = offsets[i]));
  return JSON.stringify(obj);
}

function mutateTensorEntry(rng: Rng, header: string): string {
  const obj = JSON.parse(header) as Record<string, Record<string, unknown>>;
  const names = Object.keys(obj).filter((k) => k !== "__metadata__");
  if (names.length === 0) return header;
  const name = pick(rng, names);
  const entry = obj[name]!;
  switch (int(rng, 8)) {
    case 0:
      entry.dtype = pick(rng, DTYPES);
      break;
    case 1:
      entry.shape = rng() < 0.5 ? [...(entry.shape as number[]), pick(rng, [0, 1, 2])] : (entry.shape as number[]).slice(1);
      break;
    case 2:
      entry.shape = (entry.shape as number[]).map((d) => (rng() < 0.5 ? d : pick(rng, INTERESTING_NUMBERS)));
      break;
    case 3:
      delete entry[pick(rng, ["dtype", "shape", "data_offsets"])];
      break;
    case 4:
      entry[pick(rng, ["extra", "offsets", "dtype", "shape"])] = pick(rng, [null, "x", [], {}, [1, 2, 3], 3.5] as unknown[]);
      break;
    case 5: {
      // rename (possibly to a reserved, empty or suffixed name)
      const renamed = pick(rng, ["", "__metadata__", `${name}::indices`, `${name}::up`, `${name}::values`, `${name}x`, "a\tb", name.toUpperCase()]);
      delete obj[name];
      obj[renamed] = entry;
      break;
    }
    case 6:
      delete obj[name];
      break;
    default:
      obj[name] = pick(rng, [null, 1, "x", [], { dtype: "F32", shape: [], data_offsets: [0, 4] }] as unknown[]) as never;
  }
  return JSON.stringify(obj);
}

function mutateMetadata(rng: Rng, header: string): string {
  const obj = JSON.parse(header) as Record<string, unknown>;
  const meta = { ...((obj.__metadata__ as Record<string, unknown>) ?? {}) };
  const keys = Object.keys(meta);
  const key = keys.length > 0 && rng() < 0.85 ? pick(rng, keys) : pick(rng, ["graft.kind", "graft.format", "x"]);
  const r = int(rng, 9);
  if (r === 0) delete meta[key];
  else if (r === 1) meta[key] = pick(rng, [1, null, true, [], {}] as unknown[]);
  else if (r === 2) meta[key] = pick(rng, ["", "{}", "[]", "null", "{", "task-vector", "1", "2", "dense", "sparse", "lowrank", "F32", "BF16", "I8", "sha256:00"]);
  else if (r === 3 && typeof meta[key] === "string") {
    const s = meta[key] as string;
    const at = int(rng, s.length + 1);
    meta[key] = s.slice(0, at) + pick(rng, [...JSON_CHARS]) + s.slice(at + (rng() < 0.5 ? 1 : 0));
  } else if (r === 4 && typeof meta[key] === "string") meta[key] = mutateNumber(rng, meta[key] as string);
  else if (r === 5) obj.__metadata__ = pick(rng, [null, [], "x", 1] as unknown[]);
  else if (r === 6 && typeof meta["graft.foundation.manifest"] === "string") return mutateManifest(rng, obj, meta);
  else if (r === 7 && typeof meta[key] === "string") meta[key] = (meta[key] as string).slice(0, int(rng, (meta[key] as string).length));
  else meta[pick(rng, ["graft.kind", "graft.format", "graft.encoding", "graft.delta_dtype"])] = pick(rng, ["task-vector", "1", "0", "dense", "sparse", "lowrank", "F16", "F32", "x"]);
  if (r !== 5) obj.__metadata__ = meta;
  return JSON.stringify(obj);
}

/**
 * A manifest edit with the foundation fingerprint recomputed to match, as a
 * hostile file would do: only the structural checks can refuse it.
 */
function mutateManifest(rng: Rng, obj: Record<string, unknown>, meta: Record<string, unknown>): string {
  const manifest = JSON.parse(meta["graft.foundation.manifest"] as string) as Record<string, [string, number[], string]>;
  const names = Object.keys(manifest);
  const name = pick(rng, names);
  const entry = manifest[name]!;
  switch (int(rng, 6)) {
    case 0:
      entry[0] = pick(rng, ["F32", "F16", "BF16", "I64", "I32", "U8", "F64"]);
      break;
    case 1:
      entry[1] = entry[1].map((d) => (rng() < 0.5 ? d : pick(rng, [0, 1, 2, 3, 1000, 2 ** 20])));
      break;
    case 2:
      delete manifest[name];
      break;
    case 3:
      manifest[`${name}.extra`] = [...entry];
      break;
    case 4:
      entry[2] = createHash("sha256").update(String(rng())).digest("hex");
      break;
    default:
      // a foundation tensor so large no dense copy of it can exist
      entry[1] = rng() < 0.5 ? [2 ** 20, 2 ** 20] : [2 ** 40];
  }
  const plain = Object.fromEntries(Object.entries(manifest).map(([k, [dtype, shape, sha256]]) => [k, { dtype, shape, sha256 }]));
  meta["graft.foundation.manifest"] = JSON.stringify(manifest);
  try {
    meta["graft.foundation.fingerprint"] = fingerprintFromManifest(plain);
  } catch {
    // names the fingerprint cannot represent: leave the old one
  }
  obj.__metadata__ = meta;
  return JSON.stringify(obj);
}

function mutateIndexJson(rng: Rng, text: string): string {
  const obj = JSON.parse(text) as { metadata?: unknown; weight_map: Record<string, unknown> };
  const names = Object.keys(obj.weight_map);
  const name = pick(rng, names);
  switch (int(rng, 9)) {
    case 0:
      delete obj.weight_map[name];
      break;
    case 1:
      obj.weight_map[name] = pick(rng, ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "missing.safetensors", "../base/model.safetensors", "", ".", "..", "/etc/passwd", "C:evil", 7, null] as unknown[]);
      break;
    case 2:
      obj.weight_map[`${name}.extra`] = obj.weight_map[name];
      break;
    case 3:
      (obj as Record<string, unknown>).weight_map = pick(rng, [[], null, "x", {}] as unknown[]);
      break;
    case 4:
      return `${text.trimEnd().slice(0, -1)},"weight_map":{}}`;
    case 5: {
      const t = JSON.stringify(obj.weight_map);
      return text.replace(/"weight_map": \{[\s\S]*\}\s*\}\s*$/, `"weight_map": ${t.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(obj.weight_map[name])}}}`);
    }
    case 6:
      return text.slice(0, int(rng, text.length));
    case 7:
      return mutateNumber(rng, text);
    default:
      return pick(rng, ["", "null", "[]", "{", "\u0000", "{\"weight_map\": 1}"]);
  }
  return JSON.stringify(obj, null, rng() < 0.5 ? 2 : undefined);
}

/** A random mutation of a safetensors file; returns its bytes and a short description. */
function mutateSafetensors(rng: Rng, original: Uint8Array): { bytes: Uint8Array; what: string } {
  const bytes = original.slice();
  const end = headerEnd(bytes);
  const structured = (what: string, f: (s: Split) => string | Uint8Array) => {
    const s = split(original);
    return { bytes: assembleFile(f(s), s.data, rng() < 0.9), what };
  };
  switch (int(rng, 14)) {
    case 0: {
      const flips = 1 + int(rng, 4);
      for (let k = 0; k < flips; k++) {
        const pos = rng() < 0.75 ? int(rng, end) : int(rng, bytes.length);
        bytes[pos]! ^= 1 << int(rng, 8);
      }
      return { bytes, what: `bitflip×${flips}` };
    }
    case 1: {
      const pos = 8 + int(rng, end - 8);
      bytes[pos] = rng() < 0.6 ? JSON_CHARS.charCodeAt(int(rng, JSON_CHARS.length)) : int(rng, 256);
      return { bytes, what: `header byte ${pos}` };
    }
    case 2: {
      const view = new DataView(bytes.buffer);
      const r = rng();
      let n: bigint;
      if (r < 0.4) n = pick(rng, INTERESTING_U64);
      else if (r < 0.8) n = BigInt(Math.max(0, end - 8 + pick(rng, [-9, -8, -1, 1, 8, 9, bytes.length])));
      else n = (BigInt(int(rng, 2 ** 32)) << 32n) | BigInt(int(rng, 2 ** 32));
      view.setBigUint64(0, n & (2n ** 64n - 1n), true);
      return { bytes, what: `length prefix ${n}` };
    }
    case 3: {
      bytes[int(rng, 8)]! ^= 1 << int(rng, 8);
      return { bytes, what: "length prefix bitflip" };
    }
    case 4: {
      const len = rng() < 0.5 ? int(rng, Math.min(bytes.length, end + 16)) : int(rng, bytes.length);
      return { bytes: bytes.subarray(0, len), what: `truncate to ${len}` };
    }
    case 5: {
      const extra = new Uint8Array(1 + int(rng, 64)).map(() => (rng() < 0.5 ? 0 : int(rng, 256)));
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return { bytes: out, what: `append ${extra.length}` };
    }
    case 6:
      return structured("duplicate key", (s) => duplicateKey(rng, s.header));
    case 7:
      return structured("shuffle offsets", (s) => shuffleOffsets(rng, s.header));
    case 8:
      return structured("number", (s) => mutateNumber(rng, s.header));
    case 9:
      return structured("tensor entry", (s) => mutateTensorEntry(rng, s.header));
    case 10:
      return structured("metadata", (s) => mutateMetadata(rng, s.header));
    case 11:
      return structured("header text", (s) =>
        pick(rng, [
          () => pick(rng, ["[]", "null", "1", '"x"', "{}", "", "{ }", '{"__metadata__":{}}']),
          () => `\ufeff${s.header}`,
          () => `${s.header}x`,
          () => `${s.header}${s.header}`,
          () => `${"[".repeat(5000)}${"]".repeat(5000)}`,
          () => new Uint8Array([...new TextEncoder().encode(s.header.slice(0, -1)), 0xff, 0xfe, 0x7d]),
          () => s.header.replace(/"shape":\[/, '"shape":[' + "1,".repeat(int(rng, 40))),
        ])(),
      );
    case 12: {
      // data bytes only: the header stays valid
      for (let k = 0; k < 16; k++) bytes[end + int(rng, Math.max(1, bytes.length - end))] = int(rng, 256);
      return { bytes, what: "data bytes" };
    }
    default: {
      // two mutations
      const first = mutateSafetensors(rng, original);
      if (first.bytes.length < 8 || headerEnd(first.bytes) > first.bytes.length) return first;
      try {
        split(first.bytes);
        const second = mutateSafetensors(rng, first.bytes);
        return { bytes: second.bytes, what: `${first.what} + ${second.what}` };
      } catch {
        return first;
      }
    }
  }
}

// ---------------------------------------------------------------------------

type Outcome = "ok" | `graft:${string}`;

async function guarded(label: string, timeoutMs: number, op: () => Promise<unknown>): Promise<{ outcome: Outcome } | { anomaly: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`__timeout__ ${label}`)), timeoutMs);
  });
  try {
    await Promise.race([op(), timeout]);
    return { outcome: "ok" };
  } catch (e) {
    if (e instanceof GraftError) {
      if (!KNOWN_CODES.includes(e.code)) return { anomaly: `${label}: GraftError with unknown code ${JSON.stringify(e.code)}` };
      if (typeof e.message !== "string" || e.message.includes("\n")) return { anomaly: `${label}: GraftError ${e.code} with a multi-line message` };
      return { outcome: `graft:${e.code}` };
    }
    const err = e as Error;
    if (err?.message?.startsWith("__timeout__")) return { anomaly: `${label}: no answer within ${timeoutMs} ms` };
    return { anomaly: `${label}: ${err?.constructor?.name ?? typeof e}: ${String(err?.message ?? e).slice(0, 300)}` };
  } finally {
    clearTimeout(timer);
  }
}

async function readEverySafetensors(path: string): Promise<void> {
  const f = await openSafetensors(path);
  try {
    for (const t of f.tensors) {
      await f.readBytes(t.name);
      if (["F32", "F16", "BF16", "F64"].includes(t.dtype)) await f.readFloat32(t.name);
    }
  } finally {
    await f.close();
  }
}

async function readEveryCheckpoint(path: string): Promise<void> {
  const r = await openCheckpoint(path);
  try {
    for (const t of r.tensors) {
      await r.readBytes(t.name);
      if (["F32", "F16", "BF16", "F64"].includes(t.dtype)) await r.readFloat32(t.name);
    }
  } finally {
    await r.close();
  }
}

async function readEveryDelta(path: string): Promise<void> {
  const tv = await openTaskVector(path);
  try {
    for (const name of tv.coveredTensors) {
      await tv.readStored(name);
      await tv.readDelta(name);
    }
    for (const name of Object.keys(tv.manifest)) tv.storage(name);
  } finally {
    await tv.close();
  }
}

async function main(): Promise<void> {
  const [workDir, seedText, maxMillisText, maxCasesText, onlyText] = process.argv.slice(2);
  const seed = Number(seedText);
  const maxMillis = Number(maxMillisText);
  const maxCases = Number(maxCasesText);
  const only = onlyText === undefined ? null : Number(onlyText);
  await rm(workDir!, { recursive: true, force: true });
  await mkdir(workDir!, { recursive: true });
  const at = (name: string) => join(workDir!, name);

  // Seed corpus.
  const base = makeBase(3);
  const ft = finetune(base, 4);
  await writeModelDir(at("base"), base);
  await writeModelDir(at("ft"), ft, false);
  await writeTaskVector(at("base"), at("ft"), at("tv-dense.safetensors"));
  await writeTaskVector(at("base"), at("ft"), at("tv-sparse.safetensors"), { kind: "sparse", density: 0.25 });
  await writeTaskVector(at("base"), at("ft"), at("tv-lowrank.safetensors"), { kind: "lowrank", rank: 2 });
  // a sharded copy of the fine-tune: two shards and an index
  const raw = rawTensors(ft);
  const halves = [raw.slice(0, 5), raw.slice(5)];
  const shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const shardBytes = halves.map((h) => encodeSafetensors(h, { format: "pt" }));
  const weightMap: Record<string, string> = {};
  halves.forEach((h, i) => h.forEach((t) => (weightMap[t.name] = shardNames[i]!)));
  const indexText = `${JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2)}\n`;

  const seeds = {
    ckpt: new Uint8Array(await readFile(at("ft/model.safetensors"))),
    "tv-dense": new Uint8Array(await readFile(at("tv-dense.safetensors"))),
    "tv-sparse": new Uint8Array(await readFile(at("tv-sparse.safetensors"))),
    "tv-lowrank": new Uint8Array(await readFile(at("tv-lowrank.safetensors"))),
  };
  const targets = ["ckpt", "tv-dense", "tv-sparse", "tv-lowrank", "sharded"] as const;

  const counts: Record<string, Record<string, number>> = {};
  const total = { ok: 0, graft: 0, anomalies: 0 };
  const count = (op: string, outcome: string) => {
    counts[op] ??= {};
    counts[op][outcome] = (counts[op][outcome] ?? 0) + 1;
  };
  const started = Date.now();
  let cases = 0;
  for (let i = only ?? 0; only === null ? cases < maxCases && Date.now() - started < maxMillis : i === only; i++) {
    cases++;
    const rng = mulberry((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    const target = pick(rng, targets);
    const caseDir = at(`case`);
    await rm(caseDir, { recursive: true, force: true });
    await mkdir(caseDir);
    let what: string;
    let path: string;
    const ops: [string, () => Promise<unknown>][] = [];
    if (target === "sharded") {
      const dir = join(caseDir, "sharded");
      await mkdir(dir);
      let index = indexText;
      const shards: Uint8Array[] = shardBytes.map((b) => b.slice());
      if (rng() < 0.5) {
        index = mutateIndexJson(rng, indexText);
        what = "index json";
      } else {
        const k = int(rng, 2);
        const m = mutateSafetensors(rng, shards[k]!);
        shards[k] = m.bytes;
        what = `shard ${k + 1}: ${m.what}`;
      }
      await writeFile(join(dir, "model.safetensors.index.json"), index);
      await Promise.all(shards.map((b, k) => writeFile(join(dir, shardNames[k]!), b)));
      path = dir;
      ops.push(["openCheckpoint", () => readEveryCheckpoint(dir)]);
    } else {
      const m = mutateSafetensors(rng, seeds[target]);
      what = m.what;
      path = join(caseDir, `${target}.safetensors`);
      await writeFile(path, m.bytes);
      ops.push(["openSafetensors", () => readEverySafetensors(path)]);
      if (target === "ckpt") ops.push(["openCheckpoint", () => readEveryCheckpoint(path)]);
      else {
        ops.push(["openTaskVector", () => readEveryDelta(path)]);
        ops.push([
          "isTaskVectorFile",
          async () => {
            if (typeof (await isTaskVectorFile(path)) !== "boolean") throw new Error("isTaskVectorFile returned a non-boolean");
          },
        ]);
      }
    }
    const recipe = parseRecipe(`merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: ${JSON.stringify(path)}\n    parameters: { weight: 0.5 }\n`);
    const execute = rng() < 0.25;
    ops.push([
      execute ? "planMerge+execute" : "planMerge",
      async () => {
        const plan = await planMerge(recipe, { baseDir: workDir });
        try {
          if (execute) await executePlan(plan, { outDir: join(caseDir, "out"), chunkElements: 16, retainBytes: rng() < 0.5 ? 0 : 1 << 20 });
        } finally {
          await plan.close();
        }
      },
    ]);
    emit({ case: i, target, mutation: what });
    for (const [op, run] of ops) {
      const r = await guarded(op, 3000, run);
      if ("anomaly" in r) {
        total.anomalies++;
        count(op, "anomaly");
        emit({ anomaly: { case: i, seed, target, mutation: what, detail: r.anomaly } });
      } else {
        count(op, r.outcome === "ok" ? "ok" : r.outcome);
        if (r.outcome === "ok") total.ok++;
        else total.graft++;
      }
    }
  }
  await rm(workDir!, { recursive: true, force: true });
  emit({ done: { seed, cases, millis: Date.now() - started, total, counts } });
}

main().catch((e) => {
  emit({ fatal: String((e as Error)?.stack ?? e) });
  process.exitCode = 1;
});
