// Display formatting shared by pages: bytes, counts, prices, dates.
export function formatBytes(n: number | bigint | null | undefined): string {
  if (n === null || n === undefined) return "—";
  let v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function formatCount(n: number | bigint | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const v = Number(n);
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}B`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(v);
}

export function formatPrice(kind: string | null | undefined, priceCents: number | null | undefined, currency = "usd"): string {
  if (!kind || kind === "free") return "Free";
  if (kind === "trade") return "Trade only";
  if (priceCents === null || priceCents === undefined) return "Paid";
  return new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() }).format(priceCents / 100);
}

export function formatDate(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = typeof d === "string" ? new Date(d) : d;
  return date.toISOString().slice(0, 10);
}

export function formatNumber(n: number | null | undefined, digits = 4): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Math.abs(n) >= 1e4 || (Math.abs(n) > 0 && Math.abs(n) < 1e-3) ? n.toExponential(2) : n.toPrecision(digits);
}
