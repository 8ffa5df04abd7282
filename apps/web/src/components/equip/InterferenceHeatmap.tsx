// Pairwise interference as a heatmap (cosine colours the cells; overlap and
// sign conflicts in each cell) plus the plain-language verdicts.
import type { Preview } from "./types";

function colour(cosine: number): string {
  const a = Math.min(1, Math.abs(cosine));
  return cosine >= 0 ? `rgba(33, 150, 83, ${0.12 + 0.75 * a})` : `rgba(200, 50, 50, ${0.12 + 0.75 * a})`;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function InterferenceHeatmap({ preview }: { preview: Preview }) {
  const n = preview.labels.length;
  const pairAt = (i: number, j: number) => preview.pairs.find((p) => (p.a === i && p.b === j) || (p.a === j && p.b === i));
  return (
    <div className="stack" data-testid="interference">
      <div className={`alert ${preview.overall.level === "conflicting" ? "error" : preview.overall.level === "independent" ? "success" : "warn"}`} data-testid="interference-verdict">
        <strong>{preview.overall.level}</strong> — {preview.overall.message}
      </div>
      <div style={{ overflowX: "auto" }}>
        <table className="heatmap" data-testid="heatmap">
          <thead>
            <tr>
              <th />
              {preview.labels.map((l) => (
                <th key={l} className="mono small">{l}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.labels.map((row, i) => (
              <tr key={row}>
                <th className="mono small">{row}</th>
                {Array.from({ length: n }, (_, j) => {
                  if (i === j) return <td key={j} className="muted small">—</td>;
                  const p = pairAt(i, j)!;
                  return (
                    <td key={j} style={{ background: colour(p.cosine) }} title={`${p.label}: ${p.verdict.message}`} data-testid={`cell-${i}-${j}`}>
                      <div><strong>cos {p.cosine.toFixed(2)}</strong></div>
                      <div className="small">overlap {pct(p.overlap)} · signs ≠ {pct(p.signConflictRate)}</div>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="small">
        {preview.pairs.map((p) => (
          <li key={p.label}>
            <span className="mono">{p.label}</span>: {p.verdict.message} <span className="muted">(cosine ±{p.margin.cosine.toFixed(2)}, overlap ±{pct(p.margin.overlap)}, sign conflicts ±{pct(p.margin.signConflictRate)})</span>
          </li>
        ))}
      </ul>
      <p className="muted small">Estimated in milliseconds from compact sketches made when each version was published; the margins say how far the exact figures may be.</p>
    </div>
  );
}
