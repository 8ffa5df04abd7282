/**
 * `pnpm bench:load`: a closed-loop load test on loopback against the real
 * production server (`next start`), once per configuration:
 *   embedded   SQLite + local blob store (the defaults)
 *   postgres   PostgreSQL (a throwaway cluster from scripts/db/postgres-up.sh)
 * Each virtual user loops over a weighted mix of requests — catalog searches,
 * task-vector downloads (whole body read), and merge-job submissions — and the
 * bench prints throughput, p50/p99 latency and error rate per request kind.
 *
 *   pnpm bench:load [--configs embedded,postgres] [--seconds 20] [--users 16]
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { ApiClient, multipart, unique } from "../../apps/web/src/test/client";
import { writeFixtures } from "../../apps/web/src/test/fixtures";
import { startServer } from "../../apps/web/src/test/server";
import { jobSubmission, type Workload } from "./load-workload";

const opts = new Command()
  .option("--configs <list>", "configurations to run", "embedded,postgres")
  .option("--seconds <n>", "measured seconds per configuration", "20")
  .option("--users <n>", "concurrent virtual users", "16")
  .parse()
  .opts<{ configs: string; seconds: string; users: string }>();

const ROOT = resolve(import.meta.dirname, "../..");
const seconds = Number(opts.seconds);
const users = Number(opts.users);

interface Kind {
  name: string;
  weight: number;
  run(w: Workload): Promise<Response>;
}

const KINDS: Kind[] = [
  {
    name: "catalog search",
    weight: 70,
    run: (w) => fetch(`${w.baseUrl}/api/v1/vectors?q=${encodeURIComponent(w.pick(["bench", "vector", "qa", ""]))}&sort=downloads`),
  },
  { name: "download", weight: 25, run: (w) => fetch(`${w.baseUrl}/api/v1/versions/${w.pick(w.versionIds)}/download`, { headers: w.auth }) },
  { name: "job submission", weight: 5, run: (w) => jobSubmission(w) },
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function seed(baseUrl: string, fixturesDir: string): Promise<Workload> {
  await mkdir(fixturesDir, { recursive: true });
  const fx = await writeFixtures(fixturesDir);
  const owner = new ApiClient(baseUrl);
  await owner.signUp(`${unique("bench")}@example.com`);
  const team = unique("bench-lab");
  await owner.post("/api/v1/teams", { slug: team, name: "Bench Lab" });
  const foundation = unique("bench-base");
  const f = await owner.post(
    "/api/v1/foundations",
    await multipart({ teamSlug: team, slug: foundation, name: "Bench base", architecture: "llama", licence: "mit" }, { file: fx.base }),
  );
  if (f.status !== 201) throw new Error(`seeding the foundation failed: ${JSON.stringify(f.body)}`);
  const versionIds: string[] = [];
  for (const [i, file] of [fx.taskVector, fx.taskVector2].entries()) {
    const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: `bench-vector-${i}`, name: `Bench vector ${i}`, task: "qa", version: "1.0.0", listing: { kind: "free", licence: "commercial", redistribution: false } };
    const p = await owner.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file }));
    if (p.status !== 201) throw new Error(`seeding a vector failed: ${JSON.stringify(p.body)}`);
    versionIds.push(p.body.version.id);
  }
  const token = await owner.createToken(["read", "publish"]);
  const versionRefs = [0, 1].map((i) => `${team}/bench-vector-${i}@1.0.0`);
  return { baseUrl, versionIds, versionRefs, foundation, auth: { authorization: `Bearer ${token}` }, pick: (xs) => xs[Math.floor(Math.random() * xs.length)]! };
}

interface Stats {
  latencies: number[];
  errors: number;
}

async function drive(w: Workload): Promise<Map<string, Stats>> {
  const stats = new Map(KINDS.map((k) => [k.name, { latencies: [] as number[], errors: 0 }]));
  const total = KINDS.reduce((a, k) => a + k.weight, 0);
  const choose = () => {
    let r = Math.random() * total;
    for (const k of KINDS) if ((r -= k.weight) < 0) return k;
    return KINDS[0]!;
  };
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async () => {
      while (Date.now() < deadline) {
        const kind = choose();
        const s = stats.get(kind.name)!;
        const t0 = performance.now();
        try {
          const res = await kind.run(w);
          await res.arrayBuffer();
          if (res.status >= 400) s.errors++;
        } catch {
          s.errors++;
        }
        s.latencies.push(performance.now() - t0);
      }
    }),
  );
  return stats;
}

const rows: string[][] = [];
for (const config of opts.configs.split(",").map((s) => s.trim())) {
  const dir = await mkdtemp(join(tmpdir(), "graft-load-"));
  let pgDir: string | null = null;
  const saved = process.env.GRAFT_TEST_POSTGRES_URL;
  try {
    if (config === "postgres") {
      // Its own top-level temp folder: the cluster runs as the postgres user, which cannot enter ours.
      pgDir = await mkdtemp(join(tmpdir(), "graft-load-pg-"));
      process.env.GRAFT_TEST_POSTGRES_URL = execFileSync("bash", [join(ROOT, "scripts/db/postgres-up.sh"), pgDir], { encoding: "utf8" }).trim();
    } else if (config !== "embedded") {
      throw new Error(`unknown configuration "${config}" (embedded, postgres)`);
    }
    process.stderr.write(`${config}: starting the server…\n`);
    const server = await startServer({ readyTimeoutMs: 120_000 });
    try {
      const w = await seed(server.baseUrl, join(dir, "fixtures"));
      process.stderr.write(`${config}: ${users} users for ${seconds} s…\n`);
      const stats = await drive(w);
      for (const [name, s] of stats) {
        const sorted = [...s.latencies].sort((a, b) => a - b);
        rows.push([
          config,
          name,
          String(sorted.length),
          (sorted.length / seconds).toFixed(1),
          percentile(sorted, 50).toFixed(1),
          percentile(sorted, 99).toFixed(1),
          sorted.length ? ((100 * s.errors) / sorted.length).toFixed(2) : "-",
        ]);
      }
    } finally {
      await server.stop();
    }
  } finally {
    if (pgDir) execFileSync("bash", [join(ROOT, "scripts/db/postgres-down.sh"), pgDir]);
    if (saved === undefined) delete process.env.GRAFT_TEST_POSTGRES_URL;
    else process.env.GRAFT_TEST_POSTGRES_URL = saved;
    await rm(dir, { recursive: true, force: true });
  }
}

const header = ["config", "request", "count", "req/s", "p50 ms", "p99 ms", "errors %"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => "| " + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
console.log(`\n${users} concurrent users, ${seconds} s per configuration, loopback, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(line(header));
console.log("|" + widths.map((w, i) => (i < 2 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
for (const r of rows) console.log(line(r));
