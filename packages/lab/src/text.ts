/**
 * The character vocabulary: lower-case letters, digits, space, newline and
 * common punctuation; everything else maps to one "unknown" symbol. Text is
 * lower-cased and runs of spaces are collapsed, so every corpus shares the
 * same 51 symbols.
 */
export const ALPHABET = "\n abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"-()$/@";
export const UNKNOWN = "~";
export const VOCAB = ALPHABET + UNKNOWN;
export const VOCAB_SIZE = VOCAB.length;

const INDEX = new Map<string, number>([...VOCAB].map((c, i) => [c, i]));
const UNKNOWN_ID = VOCAB_SIZE - 1;

/** Lower-cases, collapses spaces/tabs, trims lines and drops runs of blank lines. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t\u00a0]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{2,}/g, "\n")
    .trim();
}

export function encode(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = INDEX.get(text[i]!) ?? UNKNOWN_ID;
  return out;
}

export function decode(ids: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < ids.length; i++) s += VOCAB[ids[i]!] ?? UNKNOWN;
  return s;
}
