// The publish form: metadata, listing terms and the upload (task vector,
// fine-tuned checkpoint or LoRA adapter pair), posted as one streamed
// multipart request to /api/v1/vectors/publish. When the server rejects the
// file it shows the exact list of mismatches it reported.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiRequestError, apiFetch, errorMessage } from "@/lib/api-client";

type Kind = "task-vector" | "finetuned" | "lora";

export interface PublishDefaults {
  team?: string;
  foundation?: string;
  vector?: string;
}

interface Problem {
  message: string;
  items: string[];
}

function problemOf(e: unknown): Problem {
  if (!(e instanceof ApiRequestError)) return { message: errorMessage(e), items: [] };
  const details = (e.error.details ?? {}) as { mismatches?: unknown; issues?: { path?: string; message?: string }[] };
  const items: string[] = [];
  if (Array.isArray(details.mismatches)) for (const m of details.mismatches) items.push(typeof m === "string" ? m : JSON.stringify(m));
  if (Array.isArray(details.issues)) for (const i of details.issues) items.push(i.path ? `${i.path}: ${i.message}` : String(i.message));
  return { message: e.message, items };
}

export function PublishForm({
  teams,
  foundations,
  defaults,
}: {
  teams: { slug: string; name: string }[];
  foundations: { slug: string; name: string }[];
  defaults: PublishDefaults;
}) {
  const router = useRouter();
  const [kind, setKind] = useState<Kind>("task-vector");
  const [listingKind, setListingKind] = useState("free");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const get = (k: string) => String(form.get(k) ?? "").trim();
    const price = get("price");
    const meta = {
      teamSlug: get("teamSlug"),
      foundationSlug: get("foundationSlug"),
      vectorSlug: get("vectorSlug"),
      name: get("name"),
      task: get("task"),
      tags: get("tags")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      summary: get("summary"),
      cardMarkdown: String(form.get("cardMarkdown") ?? ""),
      version: get("version"),
      changelog: get("changelog"),
      kind: kind === "lora" ? "task-vector" : kind,
      listing: {
        kind: listingKind,
        priceCents: listingKind === "paid" && price ? Math.round(Number(price) * 100) : null,
        licence: get("licence") || "personal",
        redistribution: form.get("redistribution") === "on",
      },
    };
    const body = new FormData();
    body.set("meta", JSON.stringify(meta));
    const files: [string, FormDataEntryValue | null][] =
      kind === "lora" ? [["adapter_config", form.get("adapter_config")], ["adapter_model", form.get("adapter_model")]] : [["file", form.get("file")]];
    for (const [field, file] of files) {
      if (!(file instanceof File) || file.size === 0) {
        setProblem({ message: `choose the ${field.replace("_", " ")} file`, items: [] });
        return;
      }
      body.set(field, file, file.name);
    }
    setBusy(true);
    setProblem(null);
    try {
      const res = await apiFetch<{ vector: { teamSlug: string; slug: string } }>("/api/v1/vectors/publish", { method: "POST", body });
      router.push(`/v/${res.vector.teamSlug}/${res.vector.slug}`);
      router.refresh();
    } catch (err) {
      setProblem(problemOf(err));
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={onSubmit} data-testid="publish-form" style={{ maxWidth: 760 }}>
      {problem && (
        <div className="alert error" role="alert" data-testid="publish-error">
          <strong>Not published:</strong> {problem.message}
          {problem.items.length > 0 && (
            <ul data-testid="publish-mismatches">
              {problem.items.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="form-row">
        <label>
          Team
          <select name="teamSlug" defaultValue={defaults.team} required data-testid="publish-team">
            {teams.map((t) => (
              <option key={t.slug} value={t.slug}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Foundation
          <select name="foundationSlug" defaultValue={defaults.foundation} required data-testid="publish-foundation">
            {foundations.map((f) => (
              <option key={f.slug} value={f.slug}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
      </div>

      <fieldset>
        <legend>Upload</legend>
        <label className="choice">
          <input type="radio" name="kind" checked={kind === "task-vector"} onChange={() => setKind("task-vector")} data-testid="publish-kind-task-vector" />
          Task vector (.safetensors made with <code>graft extract</code>)
        </label>
        <label className="choice">
          <input type="radio" name="kind" checked={kind === "finetuned"} onChange={() => setKind("finetuned")} data-testid="publish-kind-finetuned" />
          Fine-tuned checkpoint (.safetensors; the task vector is computed against the foundation)
        </label>
        <label className="choice">
          <input type="radio" name="kind" checked={kind === "lora"} onChange={() => setKind("lora")} data-testid="publish-kind-lora" />
          LoRA adapter (PEFT <code>adapter_config.json</code> + <code>adapter_model.safetensors</code>)
        </label>
        {kind === "lora" ? (
          <div className="form-row">
            <label>
              adapter_config.json
              <input type="file" name="adapter_config" accept=".json" required data-testid="publish-adapter-config" />
            </label>
            <label>
              adapter_model.safetensors
              <input type="file" name="adapter_model" accept=".safetensors" required data-testid="publish-adapter-model" />
            </label>
          </div>
        ) : (
          <input type="file" name="file" accept=".safetensors" required data-testid="publish-file" />
        )}
      </fieldset>

      <div className="form-row">
        <label>
          Name
          <input type="text" name="name" required maxLength={100} data-testid="publish-name" />
        </label>
        <label>
          Slug
          <input type="text" name="vectorSlug" required defaultValue={defaults.vector} pattern="[a-z0-9][a-z0-9-]{1,38}" data-testid="publish-slug" />
        </label>
      </div>
      <div className="form-row">
        <label>
          Task <span className="hint">e.g. classification, code, style, safety</span>
          <input type="text" name="task" required pattern="[a-z0-9][a-z0-9-]{0,31}" data-testid="publish-task" />
        </label>
        <label>
          Tags <span className="hint">comma-separated</span>
          <input type="text" name="tags" data-testid="publish-tags" />
        </label>
      </div>
      <label>
        Summary <span className="hint">one line, shown in search results</span>
        <input type="text" name="summary" maxLength={300} data-testid="publish-summary" />
      </label>
      <label>
        Model card <span className="hint">Markdown</span>
        <textarea name="cardMarkdown" data-testid="publish-card" />
      </label>
      <div className="form-row">
        <label>
          Version <span className="hint">semver, greater than the last one</span>
          <input type="text" name="version" required defaultValue="1.0.0" data-testid="publish-version" />
        </label>
        <label>
          Changelog
          <input type="text" name="changelog" data-testid="publish-changelog" />
        </label>
      </div>

      <fieldset>
        <legend>Listing</legend>
        <div className="form-row">
          <label>
            Kind
            <select name="listingKind" value={listingKind} onChange={(e) => setListingKind(e.target.value)} data-testid="publish-listing-kind">
              <option value="free">Free</option>
              <option value="paid">Paid</option>
              <option value="trade">Trade only</option>
            </select>
          </label>
          {listingKind === "paid" && (
            <label>
              Price (USD)
              <input type="number" name="price" min="0.01" step="0.01" required data-testid="publish-price" />
            </label>
          )}
        </div>
        <div className="form-row">
          <label>
            Licence
            <select name="licence" defaultValue="personal" data-testid="publish-licence">
              <option value="personal">Personal use</option>
              <option value="commercial">Commercial use</option>
            </select>
          </label>
          <label className="choice" style={{ alignSelf: "end" }}>
            <input type="checkbox" name="redistribution" data-testid="publish-redistribution" /> Allow redistribution
          </label>
        </div>
      </fieldset>

      <div>
        <button type="submit" disabled={busy} data-testid="publish-submit">
          {busy ? "Uploading and validating…" : "Publish"}
        </button>
      </div>
    </form>
  );
}
