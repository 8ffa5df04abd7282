/**
 * The one name order used everywhere tensors are listed or fingerprinted:
 * Unicode code point order, which equals byte order of the UTF-8 encoding and
 * Python's `sorted()`. (JavaScript's default sort compares UTF-16 code units,
 * which differs for characters outside the Basic Multilingual Plane.)
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++; // both strings hold the same surrogate pair here
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
