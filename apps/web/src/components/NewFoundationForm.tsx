// Register a foundation: upload a .safetensors file (streamed multipart to
// POST /api/v1/foundations) or name a checkpoint already on the server.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

export function NewFoundationForm({ teams }: { teams: { slug: string; name: string }[] }) {
  const router = useRouter();
  const [source, setSource] = useState<"upload" | "path">("upload");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const meta = {
      teamSlug: String(form.get("teamSlug") ?? ""),
      slug: String(form.get("slug") ?? ""),
      name: String(form.get("name") ?? ""),
      architecture: String(form.get("architecture") ?? ""),
      licence: String(form.get("licence") ?? ""),
      description: String(form.get("description") ?? ""),
    };
    setBusy(true);
    setError(null);
    try {
      let body: BodyInit;
      if (source === "upload") {
        const file = form.get("file");
        if (!(file instanceof File) || file.size === 0) throw new Error("choose a .safetensors file");
        const multipart = new FormData();
        for (const [k, v] of Object.entries(meta)) multipart.set(k, v);
        multipart.set("file", file, file.name);
        body = multipart;
      } else {
        body = JSON.stringify({ ...meta, path: String(form.get("path") ?? "") });
      }
      const res = await apiFetch<{ foundation: { slug: string } }>("/api/v1/foundations", { method: "POST", body });
      router.push(`/foundations/${res.foundation.slug}`);
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={onSubmit} data-testid="foundation-form">
      {error && <div className="alert error" role="alert" data-testid="foundation-error">{error}</div>}
      <label>
        Team <span className="hint">you need the admin or owner role</span>
        <select name="teamSlug" required data-testid="foundation-team">
          {teams.map((t) => (
            <option key={t.slug} value={t.slug}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <div className="form-row">
        <label>
          Name
          <input type="text" name="name" required maxLength={100} placeholder="Tiny Llama 1.1B" data-testid="foundation-name" />
        </label>
        <label>
          Slug
          <input type="text" name="slug" required pattern="[a-z0-9][a-z0-9-]{1,38}" placeholder="tinyllama-1b" data-testid="foundation-slug" />
        </label>
      </div>
      <div className="form-row">
        <label>
          Architecture
          <input type="text" name="architecture" required maxLength={100} placeholder="llama" data-testid="foundation-architecture" />
        </label>
        <label>
          Licence
          <input type="text" name="licence" required maxLength={100} placeholder="apache-2.0" data-testid="foundation-licence" />
        </label>
      </div>
      <label>
        Description
        <textarea name="description" maxLength={10000} style={{ minHeight: "4rem", fontFamily: "inherit" }} data-testid="foundation-description" />
      </label>
      <fieldset>
        <legend>Weights</legend>
        <label className="choice">
          <input type="radio" name="source" value="upload" checked={source === "upload"} onChange={() => setSource("upload")} data-testid="foundation-source-upload" />
          Upload a .safetensors file
        </label>
        <label className="choice">
          <input type="radio" name="source" value="path" checked={source === "path"} onChange={() => setSource("path")} data-testid="foundation-source-path" />
          A checkpoint already on the server (file or model folder under the models directory)
        </label>
        {source === "upload" ? (
          <input type="file" name="file" accept=".safetensors" required data-testid="foundation-file" />
        ) : (
          <input type="text" name="path" required placeholder="tinyllama/model.safetensors" data-testid="foundation-path" />
        )}
      </fieldset>
      <div>
        <button type="submit" disabled={busy} data-testid="foundation-submit">
          {busy ? "Registering (fingerprinting every tensor)…" : "Register foundation"}
        </button>
      </div>
    </form>
  );
}
