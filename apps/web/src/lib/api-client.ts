// Browser-side helpers for calling the REST API from client components and
// reading its {error: {code, message, details}} answers.
export interface ApiError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

export class ApiRequestError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

/** fetch + JSON; throws ApiRequestError with the server's message on a non-2xx answer. */
export async function apiFetch<T>(url: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body !== undefined && typeof init.body === "string" && !headers.has("content-type")) {
    headers.set("content-type", "application/json");
  }
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, credentials: "same-origin" });
  } catch {
    throw new ApiRequestError({ status: 0, code: "NETWORK", message: "could not reach the server" });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  if (!res.ok) {
    const err = (body as { error?: Partial<ApiError> } | undefined)?.error;
    throw new ApiRequestError({
      status: res.status,
      code: err?.code ?? `HTTP_${res.status}`,
      message: err?.message ?? (res.status === 413 ? "the upload is too large" : `request failed (${res.status})`),
      details: err?.details,
    });
  }
  return body as T;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Only same-site relative paths are followed after sign-in (no open redirects). */
export function safeCallbackUrl(value: string | null | undefined, fallback = "/"): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  return value;
}
