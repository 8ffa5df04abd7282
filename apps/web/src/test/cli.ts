// Runs the `graft` CLI as a user would: a child process
// (node --import tsx packages/cli/src/main.ts …) with its own config dir and
// working directory, so the registry commands talk to a test server over real
// HTTP. GRAFT_URL / GRAFT_TOKEN from the outer environment are never inherited.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./build";

export const CLI_MAIN = path.join(REPO_ROOT, "packages", "cli", "src", "main.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory (relative output paths land here). */
  cwd: string;
  /** GRAFT_CONFIG_DIR: where `graft login` stores credentials. */
  configDir: string;
  /** Extra environment (e.g. GRAFT_URL, GRAFT_TOKEN). */
  env?: Record<string, string>;
  /** Text written to stdin (stdin is closed either way). */
  stdin?: string;
  timeoutMs?: number;
}

export function runCli(args: string[], opts: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRAFT_CONFIG_DIR: opts.configDir, HOME: opts.cwd, NO_COLOR: "1" };
    delete env.GRAFT_URL;
    delete env.GRAFT_TOKEN;
    Object.assign(env, opts.env);
    const child = spawn(process.execPath, ["--import", TSX, CLI_MAIN, ...args], { cwd: opts.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}

/** The CLI's failure contract: exit ≠ 0, stdout empty, exactly one stderr line "graft: …" and no stack trace. */
export function failureLine(run: CliRun): string {
  const where = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  if (run.code === 0 || run.code === null) throw new Error(`expected the CLI to fail:\n${where}`);
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  if (lines.length !== 1 || !lines[0]!.startsWith("graft: ") || !run.stderr.endsWith("\n")) {
    throw new Error(`expected exactly one stderr line starting "graft: ":\n${where}`);
  }
  if (/\bat .*\.(ts|js|mjs):\d+/.test(run.stderr)) throw new Error(`stack trace on stderr:\n${where}`);
  if (run.stdout !== "") throw new Error(`expected nothing on stdout:\n${where}`);
  return lines[0]!;
}
