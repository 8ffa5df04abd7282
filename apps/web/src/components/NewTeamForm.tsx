// Create a publishing team; the creator becomes its owner.
"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { apiFetch, errorMessage } from "@/lib/api-client";

function slugify(s: string): string {
  return s.toLowerCase().trim().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
}

export function NewTeamForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [slug, setSlug] = useState("");
  const [slugTouched, setSlugTouched] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const res = await apiFetch<{ team: { slug: string } }>("/api/v1/teams", {
        method: "POST",
        body: JSON.stringify({
          name: String(form.get("name") ?? ""),
          slug: String(form.get("slug") ?? ""),
          description: String(form.get("description") ?? ""),
        }),
      });
      router.push(`/teams/${res.team.slug}`);
      router.refresh();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={onSubmit} data-testid="team-form">
      {error && <div className="alert error" role="alert" data-testid="team-error">{error}</div>}
      <label>
        Team name
        <input
          type="text"
          name="name"
          required
          maxLength={100}
          data-testid="team-name"
          onChange={(e) => {
            if (!slugTouched) setSlug(slugify(e.target.value));
          }}
        />
      </label>
      <label>
        Slug <span className="hint">lowercase letters, digits and dashes; part of every vector URL</span>
        <input
          type="text"
          name="slug"
          required
          value={slug}
          onChange={(e) => {
            setSlugTouched(true);
            setSlug(e.target.value);
          }}
          data-testid="team-slug"
        />
      </label>
      <label>
        Description
        <textarea name="description" maxLength={2000} style={{ minHeight: "5rem", fontFamily: "inherit" }} data-testid="team-description" />
      </label>
      <div>
        <button type="submit" disabled={busy} data-testid="team-submit">
          {busy ? "Creating…" : "Create team"}
        </button>
      </div>
    </form>
  );
}
