// A small HTTP client for the API tests: JSON helpers, multipart uploads from
// files on disk, a cookie jar for next-auth sessions (csrf + credentials
// callback, exactly what the browser does) and bearer tokens.
import { openAsBlob } from "node:fs";
import path from "node:path";

export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  private cookies = new Map<string, string>();
  bearer: string | null = null;
  /** Sent with every request unless the call sets them (e.g. X-Forwarded-For to act from another address). */
  defaultHeaders: Record<string, string> = {};

  constructor(readonly baseUrl: string) {}

  /** A client with the same base URL and no credentials. */
  anonymous(): ApiClient {
    return new ApiClient(this.baseUrl);
  }

  withToken(token: string): ApiClient {
    const c = new ApiClient(this.baseUrl);
    c.bearer = token;
    return c;
  }

  private storeCookies(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async raw(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.defaultHeaders)) if (!headers.has(k)) headers.set(k, v);
    if (this.bearer) headers.set("authorization", `Bearer ${this.bearer}`);
    if (this.cookies.size) headers.set("cookie", this.cookieHeader());
    const res = await fetch(this.baseUrl + pathname, { redirect: "manual", ...init, headers });
    this.storeCookies(res);
    return res;
  }

  async request<T = any>(method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const res = await this.raw(pathname, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // leave as text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(p: string, headers?: Record<string, string>) {
    return this.request<T>("GET", p, undefined, headers);
  }
  post<T = any>(p: string, body?: unknown) {
    return this.request<T>("POST", p, body);
  }
  patch<T = any>(p: string, body?: unknown) {
    return this.request<T>("PATCH", p, body);
  }
  delete<T = any>(p: string) {
    return this.request<T>("DELETE", p);
  }

  /** Signs in through next-auth's credentials provider (csrf token + callback), keeping the session cookie. */
  async signIn(email: string, password: string): Promise<boolean> {
    const csrfRes = await this.raw("/api/auth/csrf");
    const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
    const res = await this.raw("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, email, password, callbackUrl: this.baseUrl + "/", json: "true" }),
    });
    await res.text();
    return [...this.cookies.keys()].some((k) => k.endsWith("next-auth.session-token"));
  }

  /** Signs up and signs in; returns the new user. */
  async signUp(email: string, password = "correct-horse-battery", name?: string): Promise<{ id: string; email: string }> {
    const res = await this.post("/api/v1/auth/signup", { email, password, name });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    if (!(await this.signIn(email, password))) throw new Error("sign-in after signup failed");
    return res.body.user;
  }

  /** Creates an API token with the session; returns its secret. */
  async createToken(scopes: ("read" | "publish")[] = ["read", "publish"], name = "test"): Promise<string> {
    const res = await this.post("/api/v1/tokens", { name, scopes });
    if (res.status !== 201) throw new Error(`token creation failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  }
}

/** A multipart body whose file parts stream from disk. */
export async function multipart(fields: Record<string, string>, files: Record<string, string> = {}): Promise<FormData> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const [k, file] of Object.entries(files)) form.set(k, await openAsBlob(file), path.basename(file));
  return form;
}

/** A multipart body with in-memory file parts. */
export function multipartBytes(fields: Record<string, string>, files: Record<string, { name: string; bytes: Uint8Array }>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  for (const [k, f] of Object.entries(files)) form.set(k, new Blob([new Uint8Array(f.bytes)]), f.name);
  return form;
}

let counter = 0;
/** A unique-enough suffix for emails and slugs within one test file. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid.toString(36)}${counter}`;
}
