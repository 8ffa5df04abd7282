// The process-wide service context handed to every core call: one Prisma
// client, one blob store and the deployment config. Kept on globalThis so
// dev-mode hot reloads reuse it instead of opening a new database connection
// per edit.
import "server-only";
import type { CoreContext } from "@graft/core";
import { createCoreContext } from "./create-context";

const globalForGraft = globalThis as typeof globalThis & { __graftContext?: CoreContext };

export function getContext(): CoreContext {
  globalForGraft.__graftContext ??= createCoreContext();
  return globalForGraft.__graftContext;
}
