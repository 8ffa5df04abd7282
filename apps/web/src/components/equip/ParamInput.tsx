// One method parameter: empty means "the method's default" (shown as the placeholder).
"use client";

import type { MethodParam, Scalar } from "./types";

export function ParamInput({ param, value, onChange }: { param: MethodParam; value: Scalar | undefined; onChange: (v: Scalar | undefined) => void }) {
  const label = (
    <span>
      {param.name} <span className="hint">{param.description}</span>
    </span>
  );
  if (param.type === "boolean") {
    const current = value ?? param.default ?? false;
    return (
      <label className="choice" title={param.description}>
        <input type="checkbox" checked={current === true} onChange={(e) => onChange(e.target.checked === param.default ? undefined : e.target.checked)} data-testid={`param-${param.name}`} />
        {label}
      </label>
    );
  }
  if (param.choices) {
    return (
      <label title={param.description}>
        {label}
        <select value={value === undefined ? "" : String(value)} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)} data-testid={`param-${param.name}`}>
          <option value="">default ({String(param.default ?? "none")})</option>
          {param.choices.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
      </label>
    );
  }
  return (
    <label title={param.description}>
      {label}
      <input
        type={param.type === "string" ? "text" : "number"}
        step="0.05"
        style={{ width: "7rem" }}
        placeholder={param.default === undefined ? "" : String(param.default)}
        value={value === undefined ? "" : String(value)}
        onChange={(e) => onChange(e.target.value === "" ? undefined : param.type === "string" ? e.target.value : Number(e.target.value))}
        data-testid={`param-${param.name}`}
      />
    </label>
  );
}
