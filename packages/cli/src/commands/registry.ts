/**
 * Commands that talk to a Graft registry over its REST API: login, publish,
 * pull. They do exactly what the web app's publish and download do.
 */
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { RegistryClient, type UploadFile } from "../api-client";
import { loadCredentials, saveCredentials } from "../credentials";
import { CliError, parseNumber } from "../errors";
import { createProgress, formatBytes } from "../output";

interface VersionInfo {
  id: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  yanked: boolean;
  canDownload: boolean;
}

async function readTokenFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const token = await rl.question("API token: ");
    rl.close();
    return token.trim();
  }
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

export function registerRegistryCommands(program: Command): void {
  program
    .command("login")
    .description("store a registry URL and API token (checked against the registry)")
    .option("--url <url>", "registry base URL", process.env.GRAFT_URL ?? "http://localhost:3000")
    .option("--token <token>", "API token (read from stdin when omitted)")
    .action(async (opts: { url: string; token?: string }) => {
      const token = opts.token ?? (await readTokenFromStdin());
      if (!token) throw new CliError("no token given: pass --token or pipe it on stdin");
      const client = new RegistryClient({ url: opts.url, token });
      const me = await client.getJson<{ user: { email: string }; scopes: string[] | null }>("/api/v1/me");
      const path = await saveCredentials({ url: opts.url, token });
      process.stdout.write(`logged in to ${opts.url} as ${me.user.email} (scopes: ${me.scopes?.join(", ") ?? "all"}); saved to ${path}\n`);
    });

  program
    .command("publish")
    .description("publish a version of a task vector (a task-vector file, a fine-tuned checkpoint, or a LoRA adapter)")
    .argument("[file]", "task-vector .safetensors, or a fine-tuned checkpoint with --kind finetuned")
    .requiredOption("--team <slug>", "publishing team")
    .requiredOption("--foundation <slug>", "foundation model the vector is registered against")
    .requiredOption("--vector <slug>", "vector slug (created on first publish)")
    .requiredOption("--version <semver>", "version, greater than the latest")
    .option("--name <name>", "display name (default: the slug)")
    .option("--task <task>", "task category", "general")
    .option("--tags <list>", "comma-separated tags", "")
    .option("--summary <text>", "one-line summary", "")
    .option("--card <file>", "model card in Markdown")
    .option("--changelog <text>", "what changed in this version", "")
    .option("--kind <kind>", "task-vector | finetuned", "task-vector")
    .option("--adapter <dir>", "a PEFT LoRA adapter directory instead of [file]")
    .option("--listing <kind>", "free | paid | trade")
    .option("--price <cents>", "price in cents for a paid listing")
    .option("--licence <licence>", "personal | commercial", "personal")
    .option("--json", "machine-readable output")
    .action(publish);

  program
    .command("pull")
    .description("download a task-vector version you are entitled to")
    .argument("<ref>", "team/vector or team/vector@version (default: the latest version)")
    .option("-o, --out <file>", "output file (default: <vector>-<version>.safetensors)")
    .option("--json", "machine-readable output")
    .action(pull);
}

async function publish(
  file: string | undefined,
  opts: {
    team: string; foundation: string; vector: string; version: string; name?: string; task: string; tags: string; summary: string;
    card?: string; changelog: string; kind: string; adapter?: string; listing?: string; price?: string; licence: string; json?: boolean;
  },
): Promise<void> {
  if (!file === !opts.adapter) throw new CliError("give either a file or --adapter <dir>, not both");
  if (opts.kind !== "task-vector" && opts.kind !== "finetuned") throw new CliError(`--kind must be task-vector or finetuned, got "${opts.kind}"`);
  if (opts.licence !== "personal" && opts.licence !== "commercial") throw new CliError(`--licence must be personal or commercial, got "${opts.licence}"`);
  const files: UploadFile[] = opts.adapter
    ? [
        { field: "adapter_config", path: `${opts.adapter}/adapter_config.json` },
        { field: "adapter_model", path: `${opts.adapter}/adapter_model.safetensors` },
      ]
    : [{ field: "file", path: file! }];
  const cardMarkdown = opts.card ? await readFile(opts.card, "utf8").catch(() => { throw new CliError(`${opts.card}: cannot read the model card`); }) : "";
  let listing: Record<string, unknown> | undefined;
  if (opts.listing) {
    if (!["free", "paid", "trade"].includes(opts.listing)) throw new CliError(`--listing must be free, paid or trade, got "${opts.listing}"`);
    listing = { kind: opts.listing, licence: opts.licence, redistribution: false };
    if (opts.listing === "paid") {
      if (!opts.price) throw new CliError("a paid listing needs --price <cents>");
      listing.priceCents = parseNumber(opts.price, "--price", 1, 1e9);
    }
  }
  const meta = {
    teamSlug: opts.team,
    foundationSlug: opts.foundation,
    vectorSlug: opts.vector,
    name: opts.name ?? opts.vector,
    task: opts.task,
    tags: opts.tags.split(",").map((t) => t.trim()).filter(Boolean),
    summary: opts.summary,
    cardMarkdown,
    version: opts.version,
    changelog: opts.changelog,
    kind: opts.kind,
    listing,
  };
  const client = new RegistryClient(await loadCredentials());
  const progress = createProgress("upload", !!opts.json);
  const result = await client.postMultipart<{ version?: { id: string; version: string; sha256: string } }>(
    "/api/v1/vectors/publish",
    { meta: JSON.stringify(meta) },
    files,
    (sent, total) => progress.update(sent, total),
  );
  progress.stop();
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`published ${opts.team}/${opts.vector}@${opts.version}\n`);
}

async function pull(ref: string, opts: { out?: string; json?: boolean }): Promise<void> {
  const m = /^([a-z0-9][a-z0-9-]*)\/([a-z0-9][a-z0-9-]*)(?:@(.+))?$/.exec(ref);
  if (!m) throw new CliError(`"${ref}" is not team/vector or team/vector@version`);
  const [, team, slug, wanted] = m;
  const client = new RegistryClient(await loadCredentials());
  const { vector } = await client.getJson<{ vector: { versions: VersionInfo[] } }>(`/api/v1/vectors/${team}/${slug}`);
  const version = wanted ? vector.versions.find((v) => v.version === wanted) : vector.versions.find((v) => !v.yanked);
  if (!version) throw new CliError(wanted ? `${team}/${slug} has no version ${wanted}` : `${team}/${slug} has no published version`);
  if (!version.canDownload) throw new CliError(`you are not entitled to download ${team}/${slug}@${version.version} (buy it, trade for it, or ask the team for a grant)`);
  const out = opts.out ?? `${slug}-${version.version}.safetensors`;
  const progress = createProgress("download", !!opts.json);
  const result = await client.download(`/api/v1/versions/${version.id}/download`, out, version.sha256, (got, total) => progress.update(got, total || version.sizeBytes));
  progress.stop();
  if (opts.json) process.stdout.write(`${JSON.stringify({ out, version: version.version, ...result }, null, 2)}\n`);
  else process.stdout.write(`pulled ${team}/${slug}@${version.version} → ${out} (${formatBytes(result.bytes)}, sha256 verified)\n`);
}
