/**
 * The merged model as a downloadable artefact: a generated model card next to
 * the weights, and a tar archive of the folder whose bytes depend only on the
 * files (sorted names, fixed times and owners), so the same recipe gives the
 * same archive.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { extract, pack } from "tar-stream";
import type { ResolvedRecipe } from "./inputs";
import type { ResultFile } from "./jobs";

/** YAML-safe quoting for the model card's front matter. */
const q = (s: string) => JSON.stringify(s);

export function modelCard(resolved: ResolvedRecipe, recipeYaml: string, recipeSha256: string): string {
  const f = resolved.foundation;
  const rows = resolved.inputs.map((i) => `| \`${i.ref}\` | ${i.team} | ${i.weight} | ${i.licence ?? "—"} | \`${i.blobHash.slice(0, 16)}…\` |`);
  return [
    "---",
    `base_model: ${q(f.slug)}`,
    "library_name: transformers",
    "tags:",
    "  - merge",
    "  - graft",
    "  - task-arithmetic",
    "---",
    "",
    `# ${f.name} + ${resolved.inputs.length} task vector${resolved.inputs.length === 1 ? "" : "s"}`,
    "",
    `Merged with Graft onto the foundation **${f.name}** (\`${f.slug}\`, licence ${f.licence}, fingerprint \`${f.fingerprint}\`).`,
    "",
    "## Task vectors",
    "",
    "| version | team | weight | licence | sha256 |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "Each vector's licence applies to its contribution to these weights.",
    "",
    "## Recipe",
    "",
    `sha256 \`${recipeSha256}\` (also in the safetensors metadata as \`graft.recipe.sha256\`, with the inputs in \`graft.registry.inputs\`).`,
    "",
    "```yaml",
    recipeYaml.trimEnd(),
    "```",
    "",
  ].join("\n");
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** The folder's files (flat, as the checkpoint writer leaves it), sorted, with sizes and hashes. */
export async function listResultFiles(dir: string): Promise<ResultFile[]> {
  const names = (await readdir(dir)).sort();
  const files: ResultFile[] = [];
  for (const name of names) {
    const s = await stat(join(dir, name));
    if (s.isFile()) files.push({ path: name, size: s.size, sha256: await sha256File(join(dir, name)) });
  }
  return files;
}

export async function writeModelCard(dir: string, card: string): Promise<void> {
  await writeFile(join(dir, "README.md"), card);
}

/** Writes `files` of `dir` into a tar at `out`, under `root/`, streaming each file. */
export async function writeTarArchive(dir: string, files: readonly ResultFile[], root: string, out: string): Promise<void> {
  const tar = pack();
  const written = pipeline(tar, createWriteStream(out));
  const fixed = { mtime: new Date(0), mode: 0o644, uid: 0, gid: 0, uname: "", gname: "" };
  await new Promise<void>((resolve, reject) => tar.entry({ name: `${root}/`, type: "directory", ...fixed, mode: 0o755 }, (e) => (e ? reject(e) : resolve())));
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const entry = tar.entry({ name: `${root}/${f.path}`, size: f.size, ...fixed }, (e) => (e ? reject(e) : resolve()));
      createReadStream(join(dir, f.path)).on("error", reject).pipe(entry);
    });
  }
  tar.finalize();
  await written;
}

/**
 * Unpacks the weights of a result archive (the safetensors files and their
 * index, flat under the archive's root folder) into `dir`, streaming each
 * file. Other entries are skipped; names are reduced to their last part.
 */
export async function extractModelFiles(archive: NodeJS.ReadableStream, dir: string): Promise<string[]> {
  const written: string[] = [];
  const ex = extract();
  ex.on("entry", (header, body, next) => {
    const name = header.name.split("/").pop() ?? "";
    const wanted = header.type === "file" && /^[\w.-]+\.(safetensors|json)$/.test(name);
    if (!wanted) {
      body.on("end", next).resume();
      return;
    }
    written.push(name);
    pipeline(body, createWriteStream(join(dir, name))).then(() => next(), next);
  });
  await pipeline(archive, ex);
  return written.sort();
}
