// Streaming multipart/form-data for uploads: busboy parses the request body as
// it arrives and each file part is piped straight into blobs.stage(), so a
// multi-gigabyte checkpoint never sits in memory (req.formData() would buffer
// it all). If anything fails, every blob staged so far is discarded.
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import busboy from "busboy";
import type { BlobStore, StagedBlob } from "@graft/storage";
import { HttpError } from "./http-error";

export interface UploadedFile {
  field: string;
  filename: string;
  blob: StagedBlob;
}

export interface MultipartResult {
  fields: Record<string, string>;
  files: Record<string, UploadedFile>;
  /** Discards every staged file (call when the domain layer rejects the upload; idempotent). */
  discard(): Promise<void>;
}

export interface MultipartOptions {
  /** File field names accepted; any other file part is a 400. */
  fileFields: readonly string[];
  /** Per-file and whole-request byte limit (GRAFT_MAX_UPLOAD_BYTES). */
  maxBytes: number;
  /** Largest non-file field, in bytes (model cards are the big ones). */
  maxFieldBytes?: number;
  /** A body that sends nothing for this long is cut off with 408 (GRAFT_UPLOAD_IDLE_SECONDS). */
  idleTimeoutMs?: number;
}

/** Room for part headers and text fields on top of the file bytes when checking Content-Length. */
const ENVELOPE_BYTES = 4 << 20;

export function isMultipart(req: Request): boolean {
  return (req.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");
}

export async function parseMultipart(req: Request, blobs: BlobStore, opts: MultipartOptions): Promise<MultipartResult> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw new HttpError(400, "INVALID", "expected a multipart/form-data body");
  }
  if (!req.body) throw new HttpError(400, "INVALID", "request body is empty");
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const requestLimit = opts.maxBytes * opts.fileFields.length + ENVELOPE_BYTES;
  if (Number.isFinite(declared) && declared > requestLimit) {
    throw new HttpError(413, "TOO_LARGE", `upload exceeds the limit of ${opts.maxBytes} bytes per file`);
  }

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      limits: {
        files: opts.fileFields.length,
        fields: 64,
        parts: 64 + opts.fileFields.length,
        fieldSize: opts.maxFieldBytes ?? 1 << 20,
      },
    });
  } catch {
    throw new HttpError(400, "INVALID", "malformed multipart/form-data header (missing boundary?)");
  }

  const body = Readable.fromWeb(req.body as unknown as NodeWebReadableStream<Uint8Array>);
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  const staged: StagedBlob[] = [];
  const pending: Promise<unknown>[] = [];
  const discard = async () => {
    const all = staged.splice(0);
    await Promise.all(all.map((b) => blobs.discard(b).catch(() => {})));
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    // A stalled client must not hold a connection and a half-written scratch file forever.
    let idle: NodeJS.Timeout | null = null;
    const idleMs = opts.idleTimeoutMs;
    const rearm = () => {
      if (!idleMs || failed) return;
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => fail(new HttpError(408, "TIMEOUT", `the upload stalled: nothing arrived for ${Math.round(idleMs / 1000)} s`)), idleMs);
    };
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      if (idle) clearTimeout(idle);
      body.unpipe(parser);
      parser.destroy();
      body.destroy();
      // Wait for in-flight stages to settle so nothing they produce outlives the request.
      void Promise.allSettled(pending).then(discard).then(() => reject(e));
    };

    parser.on("file", (name, stream, info) => {
      if (failed) return stream.resume();
      if (!opts.fileFields.includes(name)) {
        stream.resume();
        return fail(new HttpError(400, "INVALID", `unexpected file field "${name}" (expected ${opts.fileFields.join(", ")})`));
      }
      if (files[name]) {
        stream.resume();
        return fail(new HttpError(400, "INVALID", `file field "${name}" was sent twice`));
      }
      const job = blobs.stage(stream, { maxBytes: opts.maxBytes }).then(
        (blob) => {
          staged.push(blob);
          files[name] = { field: name, filename: info.filename ?? name, blob };
        },
        (e: unknown) => fail(e),
      );
      pending.push(job);
    });
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) return fail(new HttpError(413, "TOO_LARGE", `field "${name}" is too long`));
      fields[name] = value;
    });
    parser.on("filesLimit", () => fail(new HttpError(400, "INVALID", `too many files (expected ${opts.fileFields.join(", ")})`)));
    parser.on("fieldsLimit", () => fail(new HttpError(400, "INVALID", "too many form fields")));
    parser.on("partsLimit", () => fail(new HttpError(400, "INVALID", "too many form parts")));
    parser.on("error", (e) => fail(new HttpError(400, "INVALID", `malformed multipart body: ${(e as Error).message}`)));
    body.on("error", (e) => fail(e));
    body.on("data", rearm);
    body.on("end", () => idle && clearTimeout(idle));
    parser.on("close", () => {
      if (idle) clearTimeout(idle);
      void Promise.allSettled(pending).then(() => {
        if (!failed) resolve();
      });
    });
    rearm();
    body.pipe(parser);
  });

  return { fields, files, discard };
}
