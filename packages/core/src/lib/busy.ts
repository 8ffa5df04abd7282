/**
 * SQLite answers "database is locked" (SQLITE_BUSY) when another process —
 * a `pnpm worker` beside the web app — holds the write lock for a moment.
 * Job bookkeeping retries such writes briefly instead of failing the job.
 */
function isBusy(e: unknown): boolean {
  const text = `${(e as Error)?.message ?? ""} ${String((e as { cause?: unknown })?.cause ?? "")}`;
  return /SQLITE_BUSY|database is locked/i.test(text);
}

export async function retryOnBusy<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isBusy(e)) throw e;
      await new Promise((r) => setTimeout(r, 25 * 2 ** Math.min(i, 6) + Math.random() * 25));
    }
  }
}
