/**
 * A small client for the registry's REST API (/api/v1): bearer-token auth,
 * JSON errors turned into one-line CliErrors, streamed multipart uploads and
 * streamed downloads with progress callbacks.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CliError } from "./errors";

export interface Credentials {
  url: string;
  token: string;
}

export interface UploadFile {
  field: string;
  path: string;
}

async function apiError(res: Response): Promise<CliError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { message?: string; details?: unknown } };
    if (body.error?.message) message = body.error.message;
    const details = body.error?.details;
    if (Array.isArray(details) && details.length > 0) message += `: ${details.slice(0, 5).join("; ")}${details.length > 5 ? "; …" : ""}`;
  } catch {
    // not JSON: keep the status line
  }
  return new CliError(`registry: ${message}`);
}

export class RegistryClient {
  constructor(private readonly creds: Credentials) {}

  private url(path: string): string {
    return new URL(path, this.creds.url).toString();
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url(path), { ...init, headers: { authorization: `Bearer ${this.creds.token}`, ...init.headers } });
    } catch (e) {
      throw new CliError(`cannot reach ${this.creds.url}: ${(e as Error).cause ? String((e as { cause: Error }).cause.message) : (e as Error).message}`);
    }
    if (!res.ok) throw await apiError(res);
    return res;
  }

  async getJson<T>(path: string): Promise<T> {
    return (await (await this.request(path)).json()) as T;
  }

  async postJson<T>(path: string, body: unknown): Promise<T> {
    const res = await this.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return (await res.json()) as T;
  }

  /** The `data` of each Server-Sent Event named `event` on `path`, until the server closes the stream. */
  async *events(path: string, event: string): AsyncGenerator<string> {
    const res = await this.request(path, { headers: { accept: "text/event-stream" } });
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of Readable.fromWeb(res.body as never)) {
      buffer += decoder.decode(chunk as Buffer, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n");
        const name = lines.find((l) => l.startsWith("event:"))?.slice(6).trim() ?? "message";
        const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        if (name === event) yield data;
      }
    }
  }

  /** POSTs multipart/form-data, streaming the files from disk (never buffered whole). */
  async postMultipart<T>(path: string, fields: Record<string, string>, files: UploadFile[], onProgress?: (sent: number, total: number) => void): Promise<T> {
    const boundary = `----graft${Math.random().toString(16).slice(2)}`;
    const enc = new TextEncoder();
    const fieldParts = Object.entries(fields).map(([name, value]) =>
      enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
    const fileHeads = files.map((f) =>
      enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${basename(f.path)}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    );
    const tail = enc.encode(`--${boundary}--\r\n`);
    const sizes = await Promise.all(files.map(async (f) => (await stat(f.path).catch(() => { throw new CliError(`${f.path}: no such file`); })).size));
    const total = [...fieldParts, ...fileHeads, tail].reduce((a, p) => a + p.byteLength, 0) + sizes.reduce((a, b) => a + b, 0) + 2 * files.length;
    let sent = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (const p of fieldParts) yield p;
      for (let i = 0; i < files.length; i++) {
        yield fileHeads[i]!;
        for await (const chunk of createReadStream(files[i]!.path, { highWaterMark: 1 << 20 })) {
          sent += (chunk as Buffer).byteLength;
          onProgress?.(sent, total);
          yield chunk as Buffer;
        }
        yield enc.encode("\r\n");
      }
      yield tail;
    }
    const res = await this.request(path, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(total) },
      body: Readable.toWeb(Readable.from(body())) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    return (await res.json()) as T;
  }

  /** Streams a download to `out` via a temporary file; checks the sha256 when given. */
  async download(path: string, out: string, expectedSha256?: string, onProgress?: (got: number, total: number) => void): Promise<{ bytes: number; sha256: string }> {
    const res = await this.request(path);
    const total = Number(res.headers.get("content-length") ?? 0);
    const tmp = `${out}.part-${process.pid}`;
    const hash = createHash("sha256");
    let got = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        got += chunk.byteLength;
        hash.update(chunk);
        onProgress?.(got, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as never), meter, createWriteStream(tmp));
      const sha256 = hash.digest("hex");
      if (expectedSha256 && sha256 !== expectedSha256) throw new CliError(`download of ${path} is corrupt: sha256 ${sha256}, expected ${expectedSha256}`);
      await rename(tmp, out);
      return { bytes: got, sha256 };
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
