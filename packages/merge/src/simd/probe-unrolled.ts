/**
 * WebAssembly text of `rank_probe_<m>_bf16`: kernels.wat's `rank_probe` over
 * BF16 weights minus a base, for m models at once, unrolled so that each group of four elements loads
 * the base once for every model and keeps all 2m counts in registers. A TIES
 * merge probes every model's boundary key in the same pass over the same
 * chunk; one call instead of m reads the base once instead of m times, and is
 * long enough to be worth sharing with the helper thread.
 *
 * Parameters: $ptrs (m i32 addresses of each model's BF16 weights, element
 * 0), $keys (m i32 magnitude keys), $base (float32 base, element 0),
 * elements [$from, $n), and $acc (2m u32: model i's count above its key at
 * 2i, at least its key at 2i + 1), added to. The BF16 weights become
 * float32s as in mix-unrolled.ts. Appended to kernels.wat by
 * scripts/build-simd.ts.
 */

/** Model counts with a fused probe kernel. */
export const UNROLLED_PROBE_MODELS = [1, 2, 3, 4] as const;

/** The fused probe kernel for m models, if there is one. */
export function unrolledProbeName(m: number): string | null {
  return (UNROLLED_PROBE_MODELS as readonly number[]).includes(m) ? `rank_probe_${m}_bf16` : null;
}

export function unrolledProbeWat(m: number): string {
  const models = Array.from({ length: m }, (_, i) => i);
  const each = (f: (i: number) => string) => models.map(f).join("\n");
  const locals = models.map((i) => `(local $d${i} i32) (local $key${i} i32) (local $above${i} v128) (local $least${i} v128) (local $gt${i} v128) (local $ge${i} v128)`).join(" ");
  const lanes = (v: string) =>
    `(i32.add (i32.add (i32x4.extract_lane 0 (local.get ${v})) (i32x4.extract_lane 1 (local.get ${v}))) (i32.add (i32x4.extract_lane 2 (local.get ${v})) (i32x4.extract_lane 3 (local.get ${v}))))`;
  const addTo = (offset: number, value: string) =>
    `(i32.store offset=${offset} (local.get $acc) (i32.add (i32.load offset=${offset} (local.get $acc)) ${value}))`;
  return `
  (func (export "${unrolledProbeName(m)}")
    (param $ptrs i32) (param $keys i32) (param $base i32) (param $from i32) (param $n i32) (param $acc i32)
    (local $j i32) (local $main i32) (local $b v128) (local $k v128) (local $zero v128) (local $x i32) (local $f f32) ${locals}
${each((i) => `    (local.set $d${i} (i32.load offset=${4 * i} (local.get $ptrs)))
    (local.set $key${i} (i32.load offset=${4 * i} (local.get $keys)))
    (local.set $above${i} (i32x4.splat (local.get $key${i})))
    (local.set $least${i} (i32x4.splat (i32.sub (local.get $key${i}) (i32.const 1))))`)}
    (local.set $j (local.get $from))
    (local.set $main (i32.add (local.get $from) (i32.and (i32.sub (local.get $n) (local.get $from)) (i32.const -4))))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $b (v128.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
${each((i) => `      (local.set $k (v128.and
        (f32x4.sub (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $zero) (v128.load64_zero (i32.add (local.get $d${i}) (i32.shl (local.get $j) (i32.const 1))))) (local.get $b))
        (i32x4.splat (i32.const 0x7fffffff))))
      (local.set $gt${i} (i32x4.sub (local.get $gt${i}) (i32x4.gt_s (local.get $k) (local.get $above${i}))))
      (local.set $ge${i} (i32x4.sub (local.get $ge${i}) (i32x4.gt_s (local.get $k) (local.get $least${i}))))`)}
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
${each((i) => `    ${addTo(8 * i, lanes(`$gt${i}`))}
    ${addTo(8 * i + 4, lanes(`$ge${i}`))}`)}
    ;; the tail, element by element
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $f (f32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
${each((i) => `      (local.set $x (i32.and
        (i32.reinterpret_f32 (f32.sub (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $d${i}) (i32.shl (local.get $j) (i32.const 1)))) (i32.const 16))) (local.get $f)))
        (i32.const 0x7fffffff)))
      ${addTo(8 * i, `(i32.gt_s (local.get $x) (local.get $key${i}))`)}
      ${addTo(8 * i + 4, `(i32.ge_s (local.get $x) (local.get $key${i}))`)}`)}
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each))))
`;
}
