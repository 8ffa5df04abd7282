/**
 * The content hashes of a merge's checkpoint inputs, tensor by tensor: those
 * the hash cache already knows (their bytes need no hashing) and those the
 * merge computes, recorded for the next run once it has finished.
 */
import type { FileHashes, TensorHashCache } from "../hash-cache";
import type { InputModel } from "./inputs";

export class InputHashes {
  private constructor(private readonly files: Map<InputModel, Map<string, FileHashes>>) {}

  /** Looks up every file behind the given tensors of each checkpoint input; with no cache, nothing is known. */
  static async open(inputs: readonly InputModel[], tensorNames: readonly string[], cache: TensorHashCache | null | undefined): Promise<InputHashes> {
    const files = new Map<InputModel, Map<string, FileHashes>>();
    if (cache) {
      for (const input of inputs) {
        if (input.kind !== "checkpoint" || !input.fileOf) continue;
        const byPath = new Map<string, FileHashes>();
        for (const name of tensorNames) {
          if (!input.has(name)) continue;
          const file = input.fileOf(name);
          if (!byPath.has(file.path)) byPath.set(file.path, await cache.open(file));
        }
        files.set(input, byPath);
      }
    }
    return new InputHashes(files);
  }

  private fileHashes(input: InputModel, name: string): FileHashes | undefined {
    return this.files.get(input)?.get(input.fileOf!(name).path);
  }

  /** The sha256 of a tensor's bytes, when already known. */
  get(input: InputModel, name: string): string | undefined {
    return this.fileHashes(input, name)?.get(name);
  }

  add(input: InputModel, name: string, sha256: string): void {
    this.fileHashes(input, name)?.add(name, sha256);
  }

  /** Records what was added, for the files that did not change meanwhile. */
  async save(): Promise<void> {
    await Promise.all([...this.files.values()].flatMap((byPath) => [...byPath.values()].map((f) => f.save())));
  }
}
