/**
 * Where `graft login` keeps the registry URL and API token: $GRAFT_CONFIG_DIR
 * or ~/.config/graft, file mode 0600. GRAFT_URL and GRAFT_TOKEN override it.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "./api-client";
import { CliError } from "./errors";

function configPath(): string {
  return join(process.env.GRAFT_CONFIG_DIR ?? join(homedir(), ".config", "graft"), "credentials.json");
}

export async function saveCredentials(creds: Credentials): Promise<string> {
  const path = configPath();
  await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  // A fresh 0600 file renamed over the old one: an existing file's wider
  // permissions never carry over to the new token.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

export async function loadCredentials(): Promise<Credentials> {
  let stored: Partial<Credentials> = {};
  try {
    stored = JSON.parse(await readFile(configPath(), "utf8")) as Partial<Credentials>;
  } catch {
    // no saved login
  }
  const url = process.env.GRAFT_URL ?? stored.url;
  const token = process.env.GRAFT_TOKEN ?? stored.token;
  if (!url || !token) throw new CliError("not logged in: run `graft login --url <registry> --token <token>` (create a token under Settings → API tokens)");
  return { url, token };
}
