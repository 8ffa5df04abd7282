/**
 * Terminal output for the CLI: one-line errors, aligned tables, sizes, and a
 * progress bar on stderr only when stderr is a terminal (quiet otherwise).
 */
import cliProgress from "cli-progress";

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** A plain fixed-width table: first row is the header. */
export function table(rows: (string | number)[][]): string {
  const text = rows.map((r) => r.map(String));
  const widths = text[0]!.map((_, c) => Math.max(...text.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  return [line(text[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...text.slice(1).map(line)].join("\n");
}

export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

/** Byte-based progress bar with rate and ETA; a no-op when stderr is not a TTY or when quiet. */
export function createProgress(title: string, quiet: boolean): Progress {
  if (quiet || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${title} [{bar}] {percentage}% | {done}/{totalText} | {rate}/s | ETA {eta_formatted} | {label}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  return {
    update(done, total, label = "") {
      const rate = formatBytes(done / Math.max(0.001, (Date.now() - started) / 1000));
      const payload = { done: formatBytes(done), totalText: formatBytes(total), rate, label: label.slice(0, 40) };
      if (!running) {
        bar.start(total, done, payload);
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}
