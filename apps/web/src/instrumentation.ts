// Next.js start-up hook. The work itself (environment validation, database
// migrations) lives in server/startup.ts, imported only for the Node.js
// runtime so the edge compilation never sees Node-only modules.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startup } = await import("./server/startup");
    await startup();
  }
}
