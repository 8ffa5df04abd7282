/**
 * `graft equip RECIPE.yml`: the web app's merge, from the terminal. Submits a
 * registry recipe (base_model = foundation slug, models = team/vector@version)
 * as a merge job, follows its progress over the job's event stream, and
 * downloads the merged model as one tar archive (sha256 checked).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { RegistryClient } from "../api-client";
import { loadCredentials } from "../credentials";
import { CliError } from "../errors";
import { createProgress, formatBytes } from "../output";

interface Job {
  id: string;
  status: "queued" | "running" | "done" | "failed" | "cancelled";
  error: string | null;
  progress: { bytesDone: number; bytesTotal: number; tensorsDone: number; tensorsTotal: number; tensor?: string } | null;
  result: { sha256: string; size: number; archiveName: string; files: { path: string }[] } | null;
}

const FINISHED = new Set(["done", "failed", "cancelled"]);

export function registerEquipCommand(program: Command): void {
  program
    .command("equip")
    .description("merge task vectors from your library onto their foundation on the registry, and download the result")
    .argument("<recipe>", "recipe YAML: base_model is a foundation slug, each model a team/vector@version")
    .option("-o, --out <file>", "archive to write (default: the job's archive name)")
    .option("--json", "machine-readable output")
    .action(equip);
}

async function equip(recipePath: string, opts: { out?: string; json?: boolean }): Promise<void> {
  const yaml = await readFile(recipePath, "utf8").catch(() => {
    throw new CliError(`${recipePath}: cannot read the recipe`);
  });
  const client = new RegistryClient(await loadCredentials());
  const { job: submitted } = await client.postJson<{ job: Job }>("/api/v1/jobs", { yaml });
  if (!opts.json) process.stderr.write(`submitted merge job ${submitted.id}\n`);

  // Ctrl-C cancels the job on the server too.
  const onInterrupt = () => {
    client.postJson(`/api/v1/jobs/${submitted.id}/cancel`, {}).finally(() => process.exit(130));
  };
  process.once("SIGINT", onInterrupt);
  let job: Job;
  const progress = createProgress("merge", !!opts.json);
  try {
    job = await follow(client, submitted, (j) => {
      if (j.progress) progress.update(j.progress.bytesDone, j.progress.bytesTotal, `${j.progress.tensorsDone}/${j.progress.tensorsTotal} tensors`);
    });
  } finally {
    progress.stop();
    process.off("SIGINT", onInterrupt);
  }
  if (job.status === "failed") throw new CliError(`merge job ${job.id} failed: ${job.error}`);
  if (job.status === "cancelled") throw new CliError(`merge job ${job.id} was cancelled`);
  const result = job.result!;
  const out = opts.out ?? result.archiveName;
  const bar = createProgress("download", !!opts.json);
  const got = await client.download(`/api/v1/jobs/${job.id}/download`, out, result.sha256, (n, total) => bar.update(n, total || result.size));
  bar.stop();
  if (opts.json) process.stdout.write(`${JSON.stringify({ job: job.id, out, bytes: got.bytes, sha256: got.sha256, files: result.files.map((f) => f.path) }, null, 2)}\n`);
  else process.stdout.write(`merged → ${out} (${formatBytes(got.bytes)}, ${result.files.length} files, sha256 verified)\n`);
}

/** Follows the job's Server-Sent Events until it is finished (reconnecting when the server ends a stream early). */
async function follow(client: RegistryClient, job: Job, onUpdate: (j: Job) => void): Promise<Job> {
  let current = job;
  while (!FINISHED.has(current.status)) {
    for await (const data of client.events(`/api/v1/jobs/${job.id}/events`, "job")) {
      current = JSON.parse(data) as Job;
      onUpdate(current);
      if (FINISHED.has(current.status)) break;
    }
    if (!FINISHED.has(current.status)) current = (await client.getJson<{ job: Job }>(`/api/v1/jobs/${job.id}`)).job;
  }
  return current;
}
