/**
 * Refusal of pickle checkpoints (PyTorch .bin/.pt/.pth/.ckpt, .pkl). Loading a
 * pickle runs arbitrary code chosen by whoever made the file, so Graft never
 * reads one; this module recognises them (by name, or by their first bytes
 * when the name says nothing) and produces the one-line error telling the user
 * how to convert to safetensors.
 */
import { extname } from "node:path";
import { GraftError } from "../errors";

export const PICKLE_EXTENSIONS: readonly string[] = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];

export function hasPickleExtension(path: string): boolean {
  return PICKLE_EXTENSIONS.includes(extname(path).toLowerCase());
}

/**
 * Whether the first bytes of a file look like a pickle: a zip archive (the
 * torch.save format since PyTorch 1.6) or a raw pickle stream (protocol 2–5
 * starts with 0x80 and the protocol number).
 */
export function looksLikePickle(head: Uint8Array): boolean {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return true;
  return head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
}

export function unsafeFormatError(path: string): GraftError {
  return new GraftError(
    "UNSAFE_FORMAT",
    `${path}: pickle checkpoints can execute arbitrary code when loaded; Graft only reads safetensors. ` +
      `Convert it with \`python -c "from safetensors.torch import save_file; import torch; ` +
      `save_file(torch.load('model.bin'), 'model.safetensors')"\` (or transformers' save_pretrained(safe_serialization=True))`,
  );
}
