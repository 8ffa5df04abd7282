/** What the load bench's virtual users share: the server, seeded ids and credentials. */
export interface Workload {
  baseUrl: string;
  /** Versions of free vectors (downloadable by anyone). */
  versionIds: string[];
  /** Slug of the seeded foundation; the vectors are `team/slug@1.0.0` refs below. */
  foundation: string;
  /** Version references for recipes, e.g. "bench-lab/bench-vector-0@1.0.0". */
  versionRefs: string[];
  /** Authorization header of the seeding user's token. */
  auth: Record<string, string>;
  pick<T>(xs: readonly T[]): T;
}

/** Submits a small task-arithmetic merge of the seeded vectors as a job. */
export function jobSubmission(w: Workload): Promise<Response> {
  const yaml = [
    "merge_method: task_arithmetic",
    `base_model: ${w.foundation}`,
    "models:",
    ...w.versionRefs.map((ref) => `  - model: ${ref}\n    parameters: { weight: ${(0.25 + Math.random() / 2).toFixed(3)} }`),
    "dtype: float32",
  ].join("\n");
  return fetch(`${w.baseUrl}/api/v1/jobs`, { method: "POST", headers: { ...w.auth, "content-type": "application/json" }, body: JSON.stringify({ yaml }) });
}
