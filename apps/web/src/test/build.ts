// Builds the web app at most once per change: a fingerprint of every source
// file that goes into the build is stored next to the output, and a lock
// directory makes concurrent test workers wait for the one that builds.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REPO_ROOT = path.resolve(WEB_DIR, "../..");
const NEXT_BIN = path.join(WEB_DIR, "node_modules", "next", "dist", "bin", "next");
const MARKER = path.join(WEB_DIR, ".next", "graft-build-fingerprint");
const LOCK = path.join(WEB_DIR, ".next-build.lock");
const BUILD_TIMEOUT_MS = 15 * 60_000;

export function nextBin(): string {
  return NEXT_BIN;
}

const SKIP_DIRS = new Set(["node_modules", ".next", "test", "e2e", "generated"]);

async function listFiles(dir: string, out: string[]): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) await listFiles(full, out);
    } else if (!/\.test\.tsx?$/.test(entry.name)) {
      out.push(full);
    }
  }
}

/** sha256 over the paths and contents of everything `next build` compiles. */
export async function sourceFingerprint(): Promise<string> {
  const files: string[] = [];
  for (const f of ["next.config.ts", "package.json", "tsconfig.json"]) files.push(path.join(WEB_DIR, f));
  await listFiles(path.join(WEB_DIR, "src"), files);
  await listFiles(path.join(WEB_DIR, "public"), files);
  for (const pkg of await readdir(path.join(REPO_ROOT, "packages"))) {
    await listFiles(path.join(REPO_ROOT, "packages", pkg, "src"), files);
    files.push(path.join(REPO_ROOT, "packages", pkg, "package.json"));
  }
  files.push(path.join(REPO_ROOT, "prisma", "schema.prisma"));
  const hash = createHash("sha256");
  for (const f of files.sort()) {
    if (!existsSync(f)) continue;
    hash.update(path.relative(REPO_ROOT, f)).update("\0").update(await readFile(f)).update("\0");
  }
  return hash.digest("hex");
}

async function isBuilt(fingerprint: string): Promise<boolean> {
  try {
    return (await readFile(MARKER, "utf8")).trim() === fingerprint && existsSync(path.join(WEB_DIR, ".next", "BUILD_ID"));
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** mkdir is atomic: whoever creates the lock directory builds; a lock left by a dead process is broken. */
async function tryLock(): Promise<boolean> {
  try {
    await mkdir(LOCK);
    await writeFile(path.join(LOCK, "pid"), String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const pid = Number(await readFile(path.join(LOCK, "pid"), "utf8").catch(() => ""));
    const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if ((pid && !pidAlive(pid)) || (!pid && age > 30_000) || age > BUILD_TIMEOUT_MS) {
      await rm(LOCK, { recursive: true, force: true });
    }
    return false;
  }
}

function runBuild(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, "build"], {
      cwd: WEB_DIR,
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", GRAFT_BUILD_SKIP_TYPECHECK: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    const keep = (b: Buffer) => {
      log = (log + b.toString()).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`next build failed (exit ${code}):\n${log}`));
    });
  });
}

/**
 * Ensures apps/web/.next holds a production build of the current sources.
 * Safe to call from every test file at once: one builds, the rest wait.
 */
export async function ensureBuilt(): Promise<void> {
  const fingerprint = await sourceFingerprint();
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!(await isBuilt(fingerprint))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for another process to build the web app");
    if (await tryLock()) {
      try {
        if (!(await isBuilt(fingerprint))) {
          await rm(MARKER, { force: true });
          await runBuild();
          await writeFile(MARKER, fingerprint);
        }
      } finally {
        await rm(LOCK, { recursive: true, force: true });
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
