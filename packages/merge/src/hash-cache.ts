/**
 * Tensor hashes remembered by file identity, so that a checkpoint merged
 * again (the usual case: one base, many merges) is not hashed again.
 *
 * An entry belongs to one file as the kernel knows it (device and inode) and
 * is trusted only while the file's size, mtime and ctime are exactly those
 * recorded. Every write to a file moves its ctime, and no user can set ctime,
 * so an entry never outlives the content it describes. One catch: file times
 * come from a coarse clock (a tick, or whole seconds on some file systems),
 * and a write in the same tick as the hashed state would leave them as they
 * were. So, like git's "racily clean" rule, a file is recorded only when its
 * ctime was at least `settleMs` old when hashing began, and only when its
 * identity did not change while it was read.
 *
 * Entries are small JSON files named after device and inode. A corrupt or
 * unreadable entry is a miss, and a failure to write one is ignored: the cache
 * can make a merge faster, never fail it. The directory may be deleted at any
 * time.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** A file whose tensors are hashed: its path, for the record, and its identity now (of the open descriptor). */
export interface IdentifiedFile {
  readonly path: string;
  identity(): Promise<FileIdentity>;
}

const DEFAULT_SETTLE_MS = 2000;
const ENTRY_VERSION = 1;

const entrySchema = z.object({
  version: z.literal(ENTRY_VERSION),
  path: z.string(),
  dev: z.string(),
  ino: z.string(),
  size: z.string(),
  mtimeNs: z.string(),
  ctimeNs: z.string(),
  tensors: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});

const IDENTITY_FIELDS = ["dev", "ino", "size", "mtimeNs", "ctimeNs"] as const;

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return IDENTITY_FIELDS.every((k) => a[k] === b[k]);
}

export class TensorHashCache {
  private readonly settleNs: bigint;

  constructor(
    readonly dir: string,
    options: { settleMs?: number } = {},
  ) {
    this.settleNs = BigInt(Math.round((options.settleMs ?? DEFAULT_SETTLE_MS) * 1e6));
  }

  /**
   * The cache of the CLI and the services: `$GRAFT_HASH_CACHE`, else
   * `$XDG_CACHE_HOME/graft/hashes`, else `~/.cache/graft/hashes`; none when
   * `GRAFT_HASH_CACHE` is `off`.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): TensorHashCache | null {
    const configured = env.GRAFT_HASH_CACHE?.trim();
    if (configured === "off") return null;
    if (configured) return new TensorHashCache(configured);
    const cacheHome = env.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache");
    return new TensorHashCache(join(cacheHome, "graft", "hashes"));
  }

  /** The hashes known for a file as it is now, and room to add the ones computed next. */
  async open(file: IdentifiedFile): Promise<FileHashes> {
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const identity = await file.identity();
    const entryPath = join(this.dir, `${identity.dev}-${identity.ino}.json`);
    const known = new Map<string, string>();
    const entry = entrySchema.safeParse(await readJson(entryPath));
    if (entry.success) {
      const recorded = Object.fromEntries(IDENTITY_FIELDS.map((k) => [k, BigInt(entry.data[k])])) as unknown as FileIdentity;
      if (sameIdentity(recorded, identity)) for (const [name, sha] of Object.entries(entry.data.tensors)) known.set(name, sha);
    }
    const settled = identity.ctimeNs <= startedNs - this.settleNs;
    return new FileHashes(file, identity, entryPath, known, settled);
  }
}

/** One file's tensor hashes: those the cache knew, plus those added while it was read. */
export class FileHashes {
  private added = false;

  constructor(
    private readonly file: IdentifiedFile,
    private readonly identity: FileIdentity,
    private readonly entryPath: string,
    private readonly hashes: Map<string, string>,
    /** Old enough, when opened, for its times to show any later write. */
    private readonly settled: boolean,
  ) {}

  get(name: string): string | undefined {
    return this.hashes.get(name);
  }

  add(name: string, sha256: string): void {
    if (this.hashes.get(name) === sha256) return;
    this.hashes.set(name, sha256);
    this.added = true;
  }

  /** Records the hashes, when something was added and the file is settled and unchanged since it was opened. */
  async save(): Promise<void> {
    if (!this.added || !this.settled) return;
    try {
      if (!sameIdentity(await this.file.identity(), this.identity)) return;
      const entry: z.infer<typeof entrySchema> = {
        version: ENTRY_VERSION,
        path: this.file.path,
        ...(Object.fromEntries(IDENTITY_FIELDS.map((k) => [k, String(this.identity[k])])) as Record<(typeof IDENTITY_FIELDS)[number], string>),
        tensors: Object.fromEntries(this.hashes),
      };
      await mkdir(dirname(this.entryPath), { recursive: true });
      const tmp = `${this.entryPath}.tmp-${randomBytes(6).toString("hex")}`;
      try {
        await writeFile(tmp, JSON.stringify(entry));
        await rename(tmp, this.entryPath);
      } finally {
        await rm(tmp, { force: true });
      }
      this.added = false;
    } catch {
      // best effort: a cache that cannot be written only costs the next run a rehash
    }
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    return null;
  }
}
