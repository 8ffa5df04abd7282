/**
 * Confines server-path foundation registration to config.modelsDir: the path
 * and every weight file it leads to must resolve (symlinks followed) inside
 * it, so a registrant cannot make the server read arbitrary files.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { DomainError } from "../errors";

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

async function realRoot(modelsDir: string): Promise<string> {
  try {
    return await realpath(modelsDir);
  } catch {
    throw new DomainError("INVALID", "registering foundations from server paths is not configured (models directory missing)");
  }
}

/** The real path of `userPath` (relative to modelsDir, or absolute inside it). */
export async function resolveModelPath(modelsDir: string, userPath: string): Promise<string> {
  if (typeof userPath !== "string" || userPath.trim() === "" || userPath.includes("\0")) {
    throw new DomainError("INVALID", "path must be a non-empty path inside the models directory");
  }
  const root = await realRoot(modelsDir);
  const candidate = isAbsolute(userPath) ? resolve(userPath) : resolve(root, userPath);
  if (!inside(resolve(modelsDir), candidate) && !inside(root, candidate)) {
    throw new DomainError("INVALID", `path must be inside the models directory`);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new DomainError("INVALID", `no such file or directory in the models directory: ${userPath}`);
  }
  if (!inside(root, real)) throw new DomainError("INVALID", `path must be inside the models directory (it links outside)`);
  // A model folder's weight files and index must not link outside either.
  if ((await stat(real)).isDirectory()) {
    for (const name of await readdir(real)) {
      if (!/\.safetensors(\.index\.json)?$/.test(name)) continue;
      await assertInsideModels(modelsDir, join(real, name));
    }
  }
  return real;
}

export async function assertInsideModels(modelsDir: string, file: string): Promise<void> {
  const root = await realRoot(modelsDir);
  const real = await realpath(file).catch(() => null);
  if (real === null || !inside(root, real)) throw new DomainError("INVALID", `path must be inside the models directory (a weight file links outside)`);
}
