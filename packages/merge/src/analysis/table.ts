/**
 * Fixed-width text rendering of an InterferenceReport for the terminal. (For
 * `--json`, print the report object itself: it holds only plain data.)
 */
import type { InterferenceReport, PairFigures } from "./interference";

type Align = "left" | "right";

/** Renders rows as columns separated by two spaces; the last column is not padded. */
export function renderColumns(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  return all.map((r) =>
    r
      .map((cell, c) => {
        if (c === r.length - 1 && align[c] === "left") return cell;
        return align[c] === "right" ? cell.padStart(widths[c]) : cell.padEnd(widths[c]);
      })
      .join("  ")
      .trimEnd(),
  );
}

function signed(x: number): string {
  return `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(4)}`;
}

function rate(x: number): string {
  return x.toFixed(4);
}

function magnitude(x: number): string {
  if (x === 0) return "0";
  return x >= 1e6 || x < 1e-3 ? x.toExponential(3) : x.toFixed(4);
}

function percent(x: number): string {
  return `${Number((x * 100).toFixed(2))}%`;
}

const FIGURE_HEADER = ["cosine", "overlap", "jaccard", "sign conflicts"];

function figureCells(f: PairFigures): string[] {
  return [signed(f.cosine), rate(f.overlap), rate(f.jaccard), rate(f.signConflictRate)];
}

/**
 * The report as a text table: the vectors (norms), the pairs (cosine,
 * overlap, Jaccard, sign-conflict rate, verdict), per-layer rows for each
 * pair, then the overall verdict and recommended method.
 */
export function formatInterferenceTable(report: InterferenceReport): string {
  const out: string[] = [];
  out.push(
    `Interference of ${report.vectors.length} task vectors — foundation ${report.fingerprint}, ` +
      `${report.tensors} tensors, top ${percent(report.topFraction)} of each tensor by |delta|`,
  );
  out.push("");
  out.push(
    ...renderColumns(
      ["#", "vector", "encoding", "tensors", "norm"],
      report.vectors.map((v) => [String(v.index + 1), v.label, v.encoding, String(v.coveredTensors), magnitude(v.norm)]),
      ["right", "left", "left", "right", "right"],
    ),
  );
  out.push("");
  out.push(
    ...renderColumns(
      ["pair", ...FIGURE_HEADER, "verdict"],
      report.pairs.map((p) => [`${p.a + 1}-${p.b + 1}`, ...figureCells(p), p.verdict.message]),
      ["left", "right", "right", "right", "right", "left"],
    ),
  );
  for (const p of report.pairs) {
    out.push("");
    out.push(`Per layer, pair ${p.a + 1}-${p.b + 1} (${p.label}):`);
    out.push(
      ...renderColumns(
        ["layer", ...FIGURE_HEADER, `norm ${p.a + 1}`, `norm ${p.b + 1}`, "verdict"],
        p.layers.map((l, g) => {
          const norms = report.layers[g].norms;
          return [l.group, ...figureCells(l), magnitude(norms[p.a]), magnitude(norms[p.b]), l.verdict.level];
        }),
        ["left", "right", "right", "right", "right", "right", "right", "left"],
      ).map((line) => `  ${line}`),
    );
  }
  out.push("");
  out.push(`Overall: ${report.overall.message}`);
  out.push(`Recommended method: ${report.overall.recommendedMethod}`);
  return out.join("\n") + "\n";
}
