/**
 * `pnpm gc [--dry-run] [--grace-minutes 60]`: removes what crashes leave
 * behind in blob storage — scratch files of cut-off uploads and blobs no row
 * refers to — once older than the grace period. Safe to run from cron on a
 * live deployment; see collectGarbage in @graft/core.
 */
import { Command, InvalidArgumentError } from "commander";
import { collectGarbage } from "@graft/core";
import { createDb } from "@graft/db";
import { scriptEnv } from "./env";

const minutes = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("must be a non-negative number of minutes");
  return n;
};
const opts = new Command("gc")
  .option("--dry-run", "list what would be removed, remove nothing")
  .option("--grace-minutes <n>", "keep anything younger than this", minutes, 60)
  .parse()
  .opts<{ dryRun?: boolean; graceMinutes: number }>();

const db = createDb(scriptEnv.databaseUrl);
try {
  const report = await collectGarbage({ db, blobs: scriptEnv.createBlobStore() }, { dryRun: opts.dryRun, graceMs: opts.graceMinutes * 60_000 });
  const verb = report.dryRun ? "would remove" : "removed";
  console.log(`${verb} ${report.orphanBlobs.length} unreferenced blob(s)${report.dryRun ? "" : ` and ${report.scratchFilesRemoved} stale scratch file(s)`}`);
  for (const h of report.orphanBlobs) console.log(`  sha256:${h}`);
} finally {
  await db.$disconnect();
}
