// The parts both "try it" panels share (the foundation's and a merged
// model's): the temperature and Generate row, and outputs side by side.
"use client";

export function GenerateRow({ temperature, onTemperature, busy, onRun, testId }: {
  temperature: number;
  onTemperature: (t: number) => void;
  busy: boolean;
  onRun: () => void;
  /** data-testid of the button. */
  testId: string;
}) {
  return (
    <div className="row">
      <label className="choice small">
        temperature
        <input type="number" step={0.1} min={0} max={2} value={temperature} onChange={(e) => onTemperature(Number(e.target.value))} style={{ width: "5rem" }} />
      </label>
      <button type="button" disabled={busy} onClick={onRun} data-testid={testId}>
        {busy ? "Generating…" : "Generate"}
      </button>
    </div>
  );
}

export function SideBySide({ columns }: { columns: { label: string; text: string; testId: string }[] }) {
  return (
    <div className="form-row">
      {columns.map((c) => (
        <div key={c.testId}>
          <strong className="small">{c.label}</strong>
          <pre className="mono small" style={{ whiteSpace: "pre-wrap" }} data-testid={c.testId}>
            {c.text}
          </pre>
        </div>
      ))}
    </div>
  );
}
