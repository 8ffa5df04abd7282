// The merged model's evaluation: one bar chart per suite (base, each vector
// alone, the merge) for the chosen metric, with the figures in a table.
"use client";

import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { EvaluationView, SuiteEvaluationView } from "./types";

const BASE_COLOUR = "#a0aec0";
const MERGE_COLOUR = "#2f855a";
const VECTOR_COLOURS = ["#2b6cb0", "#c05621", "#6b46c1", "#b83280", "#2c7a7b", "#975a16"];

const METRIC_NAMES: Record<string, string> = { accuracy: "next-character accuracy", bits_per_char: "bits per character" };

function suiteTitle(s: SuiteEvaluationView): string {
  if (s.suite === "control") return "control — the foundation's own data";
  return `${s.suite}${s.refs.length ? ` — task of ${s.refs.join(", ")}` : ""}`;
}

function fmt(value: number, unit: string): string {
  return unit === "%" ? `${value.toFixed(1)} %` : `${value.toFixed(3)}${unit ? ` ${unit}` : ""}`;
}

function SuiteChart({ suite, metricName }: { suite: SuiteEvaluationView; metricName: string }) {
  const m = suite.metrics.find((x) => x.metric === metricName) ?? suite.metrics[0];
  if (!m) return null;
  const data = [
    { name: "base", value: m.base, colour: BASE_COLOUR, note: "" },
    ...m.vectors.map((v, i) => ({ name: `${v.ref} alone`, value: v.value, colour: VECTOR_COLOURS[i % VECTOR_COLOURS.length]!, note: v.source === "published" ? "published by its team" : "measured" })),
    { name: "merge", value: m.merged, colour: MERGE_COLOUR, note: "" },
  ];
  const values = data.map((d) => d.value);
  const span = Math.max(...values) - Math.min(...values) || Math.abs(values[0]!) || 1;
  // A baseline just under the smallest bar keeps small differences visible.
  const floor = Math.max(0, Math.min(...values) - span * 0.5);
  const better = m.higherIsBetter ? "higher is better" : "lower is better";
  const delta = m.merged - m.base;
  const improved = m.higherIsBetter ? delta > 0 : delta < 0;
  return (
    <div className="stack" data-testid={`eval-suite-${suite.suite}`}>
      <h3 style={{ margin: 0 }}>{suiteTitle(suite)}</h3>
      <p className="small muted" style={{ margin: 0 }}>
        {METRIC_NAMES[m.metric] ?? m.metric} ({m.unit || "score"}, {better}) · merge vs base:{" "}
        <strong style={improved ? undefined : { color: "var(--danger)" }} data-testid={`eval-delta-${suite.suite}`}>
          {delta >= 0 ? "+" : ""}{fmt(delta, m.unit)}
        </strong>
      </p>
      <div style={{ width: "100%", height: 220 }}>
        <ResponsiveContainer>
          <BarChart data={data} margin={{ top: 20, right: 20, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="name" fontSize={11} interval={0} />
            <YAxis domain={[floor, "auto"]} fontSize={11} tickFormatter={(v: number) => (m.unit === "%" ? v.toFixed(0) : v.toFixed(2))} label={{ value: `${m.metric}${m.unit ? ` (${m.unit})` : ""}`, angle: -90, position: "insideLeft", fontSize: 11 }} />
            <Tooltip formatter={(v) => fmt(Number(v), m.unit)} />
            <Bar dataKey="value" name={m.metric} isAnimationActive={false}>
              {data.map((d) => <Cell key={d.name} fill={d.colour} />)}
              <LabelList dataKey="value" position="top" fontSize={11} formatter={(v) => fmt(Number(v), m.unit)} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <table className="small">
        <thead><tr><th>model</th><th>{m.metric}</th><th></th></tr></thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.name} data-testid="eval-row"><td className="mono">{d.name}</td><td>{fmt(d.value, m.unit)}</td><td className="muted">{d.note}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function EvaluationChart({ evaluation }: { evaluation: EvaluationView }) {
  const metricNames = [...new Set(evaluation.suites.flatMap((s) => s.metrics.map((m) => m.metric)))];
  const [metric, setMetric] = useState(metricNames[0] ?? "");
  if (evaluation.status === "failed") {
    return <div className="alert" data-testid="eval-error">The merge succeeded, but it could not be evaluated: {evaluation.error}</div>;
  }
  return (
    <div className="stack" data-testid="evaluation">
      <div className="spread">
        <h2 style={{ margin: 0 }}>Evaluation</h2>
        {metricNames.length > 1 && (
          <label className="small">
            Metric{" "}
            <select value={metric} onChange={(e) => setMetric(e.target.value)} data-testid="eval-metric">
              {metricNames.map((n) => <option key={n} value={n}>{METRIC_NAMES[n] ?? n}</option>)}
            </select>
          </label>
        )}
      </div>
      <p className="small muted" style={{ margin: 0 }}>
        Test splits of each equipped vector&apos;s suite and of the foundation&apos;s control suite: the base model, each vector alone (base + 1 × vector), and this merge. Scored in {evaluation.seconds.toFixed(1)} s.
      </p>
      {evaluation.suites.map((s) => <SuiteChart key={s.suite} suite={s} metricName={metric} />)}
    </div>
  );
}
