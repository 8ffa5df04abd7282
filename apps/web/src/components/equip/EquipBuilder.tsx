// The Equip builder: foundation → versions from the user's library → weights
// (with an analogy helper) → method and parameters → interference preview →
// YAML (shown, downloadable, pasteable) → save/share or merge.
"use client";

import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";
import { InterferenceHeatmap } from "./InterferenceHeatmap";
import { ParamInput } from "./ParamInput";
import type { Choices, LibraryVersion, MethodInfo, Preview, Scalar } from "./types";

interface Props {
  foundations: { slug: string; name: string }[];
  methods: MethodInfo[];
  initial?: Choices;
}

type Selected = Choices["vectors"][number];

export function EquipBuilder({ foundations, methods, initial }: Props) {
  const router = useRouter();
  const [foundation, setFoundation] = useState(initial?.foundation ?? foundations[0]?.slug ?? "");
  const [library, setLibrary] = useState<LibraryVersion[]>([]);
  const [selected, setSelected] = useState<Selected[]>(initial?.vectors ?? []);
  const [method, setMethod] = useState(initial?.method ?? "task_arithmetic");
  const [params, setParams] = useState<Record<string, Scalar>>(initial?.params ?? {});
  const [seed, setSeed] = useState(initial?.seed ?? 0);
  const [yaml, setYaml] = useState("");
  const [pasted, setPasted] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [analogy, setAnalogy] = useState({ a: "", b: "", c: "" });
  const [recipeName, setRecipeName] = useState("");
  const [share, setShare] = useState(true);

  const methodInfo = methods.find((m) => m.name === method) ?? methods[0];
  const choices: Choices = useMemo(() => ({ foundation, method, vectors: selected, params, seed }), [foundation, method, selected, params, seed]);

  useEffect(() => {
    if (!foundation) return;
    apiFetch<{ versions: LibraryVersion[] }>(`/api/v1/equip/library?foundation=${encodeURIComponent(foundation)}`)
      .then((r) => setLibrary(r.versions))
      .catch((e) => setError(errorMessage(e)));
  }, [foundation]);

  // The YAML follows the choices (the server renders the canonical form).
  useEffect(() => {
    if (selected.length === 0) {
      setYaml("");
      return;
    }
    const timer = setTimeout(() => {
      apiFetch<{ yaml: string }>("/api/v1/equip/recipe", { method: "POST", body: JSON.stringify({ choices }) })
        .then((r) => {
          setYaml(r.yaml);
          setError(null);
        })
        .catch((e) => setError(errorMessage(e)));
    }, 150);
    return () => clearTimeout(timer);
  }, [choices, selected.length]);

  useEffect(() => setPreview(null), [foundation, selected.length]);

  function pickFoundation(slug: string) {
    setFoundation(slug);
    setSelected([]);
  }

  function toggle(ref: string) {
    setSelected((s) => (s.some((v) => v.ref === ref) ? s.filter((v) => v.ref !== ref) : [...s, { ref, weight: 1, params: {} }]));
  }

  function update(ref: string, change: Partial<Selected>) {
    setSelected((s) => s.map((v) => (v.ref === ref ? { ...v, ...change } : v)));
  }

  function applyAnalogy() {
    const { a, b, c } = analogy;
    if (!a || !b || !c || new Set([a, b, c]).size < 3) {
      setError("pick three different versions for A : B = C : ?");
      return;
    }
    // tau_D = tau_C + (tau_B − tau_A): the analogy of the task-arithmetic paper.
    const weights: Record<string, number> = { [a]: -1, [b]: 1, [c]: 1 };
    setSelected((s) => {
      const rest = s.filter((v) => !(v.ref in weights));
      return [...rest, ...[a, b, c].map((ref) => ({ ref, weight: weights[ref], params: s.find((v) => v.ref === ref)?.params ?? {} }))];
    });
    setMethod("task_arithmetic");
    setError(null);
  }

  async function runPreview() {
    setBusy(true);
    setError(null);
    try {
      const r = await apiFetch<{ preview: Preview }>("/api/v1/equip/preview", { method: "POST", body: JSON.stringify({ foundation, refs: selected.map((v) => v.ref) }) });
      setPreview(r.preview);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function loadYaml() {
    setError(null);
    try {
      const r = await apiFetch<{ choices: Choices }>("/api/v1/equip/recipe", { method: "POST", body: JSON.stringify({ yaml: pasted }) });
      setFoundation(r.choices.foundation);
      setSelected(r.choices.vectors);
      setMethod(r.choices.method);
      setParams(r.choices.params);
      setSeed(r.choices.seed);
      setNotice("recipe loaded into the builder");
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function save() {
    setError(null);
    try {
      const r = await apiFetch<{ recipe: { shareSlug: string | null; id: string } }>("/api/v1/recipes", {
        method: "POST",
        body: JSON.stringify({ name: recipeName || `${foundation} recipe`, yaml, share }),
      });
      setNotice(r.recipe.shareSlug ? `saved; share this link: ${window.location.origin}/equip?recipe=${r.recipe.shareSlug}` : "saved to your recipes");
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function merge() {
    setBusy(true);
    setError(null);
    try {
      const r = await apiFetch<{ job: { id: string } }>("/api/v1/jobs", { method: "POST", body: JSON.stringify({ yaml }) });
      router.push(`/jobs/${r.job.id}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  const yamlHref = yaml ? `data:application/yaml;charset=utf-8,${encodeURIComponent(yaml)}` : undefined;

  return (
    <div className="stack" data-testid="equip-builder">
      {error && <div className="alert error" role="alert" data-testid="equip-error">{error}</div>}
      {notice && <div className="alert success" data-testid="equip-notice">{notice}</div>}

      <section className="card stack">
        <h2>1. Foundation</h2>
        <select value={foundation} onChange={(e) => pickFoundation(e.target.value)} data-testid="equip-foundation" aria-label="Foundation">
          {foundations.map((f) => (
            <option key={f.slug} value={f.slug}>{f.name} ({f.slug})</option>
          ))}
        </select>
      </section>

      <section className="card stack">
        <h2>2. Task vectors from your library</h2>
        {library.length === 0 ? (
          <p className="muted">Nothing in your library for this foundation yet: free vectors, ones you bought or traded for, and your teams' own appear here.</p>
        ) : (
          <table>
            <thead>
              <tr><th /><th>version</th><th>task</th><th>access</th><th>weight</th><th>parameters</th></tr>
            </thead>
            <tbody>
              {library.map((v) => {
                const sel = selected.find((s) => s.ref === v.ref);
                return (
                  <tr key={v.ref}>
                    <td><input type="checkbox" checked={!!sel} onChange={() => toggle(v.ref)} aria-label={`use ${v.ref}`} data-testid={`pick-${v.ref}`} /></td>
                    <td><span className="mono">{v.ref}</span><div className="small muted">{v.name}</div></td>
                    <td>{v.task}</td>
                    <td><span className="badge">{v.access}</span></td>
                    <td>
                      {sel && (
                        <input type="number" step="0.1" min={-10} max={10} value={sel.weight} style={{ width: "6rem" }} aria-label={`weight of ${v.ref}`} data-testid={`weight-${v.ref}`}
                          onChange={(e) => update(v.ref, { weight: Number(e.target.value) })} />
                      )}
                    </td>
                    <td>
                      {sel && methodInfo.perVector.map((p) => (
                        <ParamInput key={p.name} param={p} value={sel.params[p.name]} onChange={(value) => update(v.ref, { params: withValue(sel.params, p.name, value) })} />
                      ))}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <p className="small muted">A negative weight subtracts a behaviour (forgetting); weights around 1/n avoid double-counting aligned skills.</p>
        <details>
          <summary>Analogy helper: A : B = C : ?</summary>
          <div className="row">
            {(["a", "b", "c"] as const).map((k) => (
              <label key={k}>
                {k.toUpperCase()}
                <select value={analogy[k]} onChange={(e) => setAnalogy({ ...analogy, [k]: e.target.value })} data-testid={`analogy-${k}`}>
                  <option value="">—</option>
                  {library.map((v) => <option key={v.ref} value={v.ref}>{v.ref}</option>)}
                </select>
              </label>
            ))}
            <button type="button" className="button secondary" onClick={applyAnalogy} data-testid="analogy-apply">Set weights C + B − A</button>
          </div>
        </details>
      </section>

      <section className="card stack">
        <h2>3. Method</h2>
        <select value={method} onChange={(e) => { setMethod(e.target.value); setParams({}); }} data-testid="equip-method" aria-label="Merge method">
          {methods.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
        </select>
        <p className="muted" data-testid="method-explanation">{methodInfo.explanation}</p>
        <div className="row">
          {methodInfo.global.map((p) => (
            <ParamInput key={p.name} param={p} value={params[p.name]} onChange={(value) => setParams(withValue(params, p.name, value))} />
          ))}
          <label title="Random seed: DARE and DELLA drop the same entries on every run">
            random_seed
            <input type="number" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))} style={{ width: "7rem" }} />
          </label>
        </div>
      </section>

      <section className="card stack">
        <div className="spread">
          <h2>4. Interference preview</h2>
          <button type="button" className="button secondary" disabled={selected.length < 2 || busy} onClick={runPreview} data-testid="preview-button">Preview interference</button>
        </div>
        {selected.length < 2 && <p className="muted">Pick two or more versions to see whether they will collide.</p>}
        {preview && <InterferenceHeatmap preview={preview} />}
      </section>

      <section className="card stack">
        <h2>5. Recipe</h2>
        {yaml ? <pre data-testid="recipe-yaml">{yaml}</pre> : <p className="muted">The mergekit YAML appears here as you build.</p>}
        <div className="row">
          {yamlHref && <a className="button secondary" href={yamlHref} download="recipe.yml" data-testid="yaml-download">Download YAML</a>}
          <input type="text" placeholder="recipe name" value={recipeName} onChange={(e) => setRecipeName(e.target.value)} aria-label="Recipe name" />
          <label className="choice"><input type="checkbox" checked={share} onChange={(e) => setShare(e.target.checked)} /> shareable link</label>
          <button type="button" className="button secondary" disabled={!yaml} onClick={save} data-testid="save-recipe">Save recipe</button>
        </div>
        <details>
          <summary>Paste a mergekit YAML</summary>
          <textarea value={pasted} onChange={(e) => setPasted(e.target.value)} aria-label="Recipe YAML" data-testid="paste-yaml" />
          <button type="button" className="button secondary" onClick={loadYaml} data-testid="paste-apply">Fill the builder</button>
        </details>
      </section>

      <div className="row">
        <button type="button" className="button" disabled={!yaml || busy} onClick={merge} data-testid="merge-button">Merge</button>
        <span className="muted small">Runs on the server; you can follow it and download the merged model when it is done.</span>
      </div>
    </div>
  );
}

function withValue(params: Record<string, Scalar>, name: string, value: Scalar | undefined): Record<string, Scalar> {
  const next = { ...params };
  if (value === undefined) delete next[name];
  else next[name] = value;
  return next;
}
