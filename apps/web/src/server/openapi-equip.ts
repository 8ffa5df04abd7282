// OpenAPI entries of the Equip routes (merge jobs, interference preview,
// library, recipes), spread into ./openapi's document.
type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)) => ({ type: "object", properties, required });
const ok = (schema: Schema, description = "OK") => ({ description, content: { "application/json": { schema } } });
const jsonBody = (schema: Schema) => ({ required: true, content: { "application/json": { schema } } });
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { $ref: `#/components/responses/E${c}` }]));
const str = { type: "string" };
const num = { type: "number" };
const int = { type: "integer" };
const nullable = (schema: Schema) => ({ anyOf: [schema, { type: "null" }] });
const arr = (items: Schema) => ({ type: "array", items });
const jobId = { name: "id", in: "path", required: true, description: "merge job id", schema: str };
const signedIn = [{ bearer: [] }, { session: [] }];
const optionalAuth = [{}, { bearer: [] }, { session: [] }];
const tags = ["equip"];

export const equipSchemas: Record<string, Schema> = {
  EquipChoices: obj(
    {
      foundation: str,
      method: { enum: ["task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties", "della", "della_linear"] },
      vectors: arr(obj({ ref: { type: "string", description: "team/vector@version" }, weight: num, params: { type: "object" } }, ["ref", "weight"])),
      params: { type: "object" },
      seed: int,
      dtype: { enum: ["float32", "float16", "bfloat16"] },
    },
    ["foundation", "method", "vectors"],
  ),
  MergeJob: obj({
    id: str,
    status: { enum: ["queued", "running", "done", "failed", "cancelled"] },
    foundation: str,
    recipeYaml: str,
    inputs: arr(obj({ ref: str, versionId: str, weight: num })),
    progress: nullable(obj({ tensorsDone: int, tensorsTotal: int, bytesDone: int, bytesTotal: int, percent: num, etaSeconds: nullable(num), tensor: str }, ["tensorsDone", "tensorsTotal", "bytesDone", "bytesTotal", "percent", "etaSeconds"])),
    error: nullable(str),
    result: nullable(
      obj({
        sha256: str,
        size: int,
        archiveName: str,
        files: arr(obj({ path: str, size: int, sha256: str })),
        tensors: int,
        recipeSha256: str,
        evaluation: { description: "the merged model scored on the inputs' evaluation suites (status, error, and per suite and metric: base, each vector alone, merged); null when no input carries a suite" },
      }),
    ),
    attempts: int,
    cancelRequested: { type: "boolean" },
    createdAt: { type: "string", format: "date-time" },
    startedAt: nullable({ type: "string", format: "date-time" }),
    finishedAt: nullable({ type: "string", format: "date-time" }),
  }),
  Recipe: obj({ id: str, name: str, foundation: str, yaml: str, choices: ref("EquipChoices"), shareSlug: nullable(str), createdAt: { type: "string", format: "date-time" } }),
};

export const equipPaths: Record<string, Record<string, Schema>> = {
  "/jobs": {
    get: { summary: "The caller's merge jobs, newest first", tags, security: signedIn, responses: { "200": ok(obj({ jobs: arr(ref("MergeJob")) })), ...err(401) } },
    post: {
      summary: "Submit a registry recipe (mergekit YAML; base_model = foundation slug, models = team/vector@version) as a merge job; every input must be downloadable by the caller",
      tags,
      security: signedIn,
      requestBody: jsonBody(obj({ yaml: str })),
      responses: { "201": ok(obj({ job: ref("MergeJob") }), "Queued"), ...err(400, 401, 403, 404, 422) },
    },
  },
  "/jobs/{id}": {
    get: { summary: "One of the caller's merge jobs", tags, security: signedIn, parameters: [jobId], responses: { "200": ok(obj({ job: ref("MergeJob") })), ...err(401, 404) } },
  },
  "/jobs/{id}/cancel": {
    post: { summary: "Cancel a queued job, or ask a running one to stop", tags, security: signedIn, parameters: [jobId], responses: { "200": ok(obj({ job: ref("MergeJob") })), ...err(401, 404, 409) } },
  },
  "/jobs/{id}/events": {
    get: {
      summary: "Server-Sent Events: a `job` event (data: MergeJob) on every change of state or progress; closed when the job is finished",
      tags,
      security: signedIn,
      parameters: [jobId],
      responses: { "200": { description: "An event stream", content: { "text/event-stream": { schema: str } } }, ...err(401, 404) },
    },
  },
  "/jobs/{id}/download": {
    get: {
      summary: "The merged model as one tar archive (sharded safetensors + index, config/tokenizer files, README.md model card), streamed",
      tags,
      security: signedIn,
      parameters: [jobId],
      responses: { "200": { description: "The archive", content: { "application/x-tar": { schema: { type: "string", format: "binary" } } } }, ...err(401, 404, 409) },
    },
  },
  "/jobs/{id}/generate": {
    post: {
      summary: "Try it on a finished merge: text from the foundation and, side by side, from the merged model (small demo-family models only)",
      tags,
      security: signedIn,
      parameters: [jobId],
      requestBody: jsonBody(obj({ prompt: { type: "string", maxLength: 500 }, maxChars: { type: "integer", minimum: 1, maximum: 400, default: 160 }, temperature: { type: "number", minimum: 0, maximum: 2, default: 0 }, seed: { type: "integer", minimum: 0, default: 0 } }, ["prompt"])),
      responses: { "200": ok(obj({ base: str, merged: str })), ...err(400, 401, 404, 409, 415, 422), "413": ok(ref("Error"), "Foundation too large to run inside a request") },
    },
  },
  "/equip/preview": {
    post: {
      summary: "Estimated interference (cosine, top-k overlap, sign conflicts, verdict) between versions in the caller's library, from publish-time sketches",
      tags,
      security: signedIn,
      requestBody: jsonBody(obj({ foundation: str, refs: arr(str) })),
      responses: { "200": ok(obj({ preview: { type: "object" } })), ...err(400, 401, 403, 404, 422) },
    },
  },
  "/equip/library": {
    get: {
      summary: "Versions on a foundation the caller may merge (owned, free, bought, traded, granted)",
      tags,
      security: signedIn,
      parameters: [{ name: "foundation", in: "query", required: true, description: "foundation slug", schema: str }],
      responses: { "200": ok(obj({ versions: arr({ type: "object" }) })), ...err(400, 401, 404) },
    },
  },
  "/equip/recipe": {
    post: {
      summary: "Convert builder choices to canonical mergekit YAML ({choices}) or YAML back to choices ({yaml})",
      tags,
      requestBody: jsonBody({ oneOf: [obj({ yaml: str }), obj({ choices: ref("EquipChoices") })] }),
      responses: { "200": ok(obj({ yaml: str, choices: ref("EquipChoices") })), ...err(400, 404, 422) },
    },
  },
  "/recipes": {
    get: { summary: "The caller's saved recipes", tags, security: signedIn, responses: { "200": ok(obj({ recipes: arr(ref("Recipe")) })), ...err(401) } },
    post: {
      summary: "Save a recipe; share=true gives it a public share slug",
      tags,
      security: signedIn,
      requestBody: jsonBody(obj({ name: str, yaml: str, share: { type: "boolean" } }, ["name", "yaml"])),
      responses: { "201": ok(obj({ recipe: ref("Recipe") }), "Saved"), ...err(400, 401, 404, 422) },
    },
  },
  "/recipes/{id}": {
    get: {
      summary: "A shared recipe by its share slug (anyone), or one of the caller's own by id",
      tags,
      security: optionalAuth,
      parameters: [{ name: "id", in: "path", required: true, description: "recipe id or share slug", schema: str }],
      responses: { "200": ok(obj({ recipe: ref("Recipe") })), ...err(401, 404) },
    },
  },
};
