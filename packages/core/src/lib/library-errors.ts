/**
 * Converts merge-library and storage failures into DomainErrors while letting
 * DomainErrors and genuinely unexpected errors through untouched. Server-side
 * scratch paths in library messages are replaced by user-facing labels
 * ("uploaded file") so users never see the server's filesystem layout.
 */
import { GraftError } from "@graft/merge";
import { StorageError } from "@graft/storage";
import { DomainError, toDomainError } from "../errors";

export function fromLibrary(e: unknown, labels: ReadonlyMap<string, string> = new Map()): unknown {
  if (!(e instanceof GraftError || e instanceof StorageError)) return e;
  const d = toDomainError(e);
  if (labels.size === 0) return d;
  const relabel = (text: string) => {
    // Longest paths first, so a folder does not shadow the files inside it.
    for (const [path, label] of [...labels].sort((a, b) => b[0].length - a[0].length)) text = text.split(path).join(label);
    return text;
  };
  const details = d.details === undefined ? undefined : JSON.parse(relabel(JSON.stringify(d.details)));
  const out = new DomainError(d.code, relabel(d.message), details);
  Object.defineProperty(out, "cause", { value: e, enumerable: false });
  return out;
}
