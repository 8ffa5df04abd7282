// The process-wide service context handed to every core call: one Prisma
// client, one blob store and the deployment config. Kept on globalThis so
// dev-mode hot reloads reuse it instead of opening a new database connection
// per edit.
import "server-only";
import type { CoreContext } from "@graft/core";
import { processContext } from "./process-context";

export function getContext(): CoreContext {
  return processContext();
}
