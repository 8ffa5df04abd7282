// Optional vitest globalSetup: builds the web app once before any test file
// starts, so per-file timeouts never include `next build`. Without it the
// first test file that calls startServer() builds (others wait on a lock).
import { ensureBuilt } from "./build";

export default async function setup(): Promise<void> {
  await ensureBuilt();
}
