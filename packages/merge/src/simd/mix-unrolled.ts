/**
 * WebAssembly text of `gta_mix_<m>`: the generalized task arithmetic mix of
 * kernels.wat's `gta_mix`, for a fixed model count, with every model
 * unrolled so that a group of four elements is mixed in registers. The
 * generic kernel keeps its vote, mixed sum and divisor in memory and passes
 * over them once per model and step; for the common model counts that costs
 * about two and a half times the instructions. Same parameters (m and acc are
 * ignored), same operations in the same order, so the same bits.
 *
 * A second form, `gta_mix_<m>_bf16`, reads each model's BF16 weights in
 * place of its float32 deltas and subtracts the base itself (what
 * bf16_decode_minus would have stored, computed in registers): a merge of
 * BF16 checkpoints then never writes its deltas to memory.
 *
 * WebAssembly text has no macros: scripts/build-simd.ts appends these
 * functions to kernels.wat before compiling it.
 */

/** Model counts with an unrolled kernel; others use `gta_mix`. */
export const UNROLLED_MIX_MODELS = [1, 2, 3, 4] as const;

/** The unrolled kernel for m models (reading BF16 weights with `bf16`), if there is one. */
export function unrolledMixName(m: number, bf16 = false): string | null {
  return (UNROLLED_MIX_MODELS as readonly number[]).includes(m) ? `gta_mix_${m}${bf16 ? "_bf16" : ""}` : null;
}

export function unrolledMixWat(m: number, bf16 = false): string {
  const models = Array.from({ length: m }, (_, i) => i);
  const each = (f: (i: number) => string) => models.map(f).join("\n");
  const locals = models.map((i) => `(local $d${i} i32) (local $w${i} v128) (local $t${i} v128) (local $v${i} v128)`).join(" ");
  /** Σ in model order from -0, so -0 + x_0 = x_0 exactly, as gta_mix's accumulators. */
  const sum = (term: (i: number) => string) => models.reduce((acc, i) => `(f32x4.add ${acc} ${term(i)})`, "(f32x4.splat (f32.const -0))");
  const sign = (i: number) => `(f32x4.sub (v128.and (f32x4.gt (local.get $v${i}) (local.get $zero)) (local.get $one)) (v128.and (f32x4.lt (local.get $v${i}) (local.get $zero)) (local.get $one)))`;
  /**
   * Model i's delta at element j: its float32 delta, or its BF16 weight (four
   * of them, 8 bytes) minus the base, the weights' bits made the high halves
   * of float32s by interleaving them with zeros (one instruction).
   */
  const delta = (i: number) =>
    bf16
      ? `(f32x4.sub (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $zero) (v128.load64_zero (i32.add (local.get $d${i}) (i32.shl (local.get $j) (i32.const 1))))) (local.get $b))`
      : `(v128.load (i32.add (local.get $d${i}) (i32.shl (local.get $j) (i32.const 2))))`;
  return `
  (func (export "${unrolledMixName(m, bf16)}")
    (param $out i32) (param $base i32) (param $ptrs i32) (param $ws i32) (param $m i32) (param $from i32) (param $n i32)
    (param $scale f32) (param $mode i32) (param $normalize i32) (param $acc i32) (param $floors i32)
    (local $j i32) (local $o i32) ${locals}
    (local $x v128) (local $vote v128) (local $elect v128) (local $agree v128) (local $mixed v128) (local $div v128)
    (local $one v128) (local $zero v128) (local $s v128) (local $abs v128) (local $b v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $abs (i32x4.splat (i32.const 0x7fffffff)))
${each((i) => `    (local.set $d${i} (i32.load offset=${4 * i} (local.get $ptrs)))
    (local.set $w${i} (f32x4.splat (f32.load offset=${4 * i} (local.get $ws))))
    (local.set $t${i} (i32x4.splat (select (i32.load offset=${4 * i} (local.get $floors)) (i32.const -1) (local.get $floors))))`)}
    (local.set $j (local.get $from))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $b (v128.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
      ;; v_i = w_i * d_i[j], d_i[j] as +0 unless its key is above floor_i
${each((i) => `      (local.set $x ${delta(i)})
      (local.set $v${i} (f32x4.mul (v128.and (local.get $x) (i32x4.gt_s (v128.and (local.get $x) (local.get $abs)) (local.get $t${i}))) (local.get $w${i})))`)}
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then (local.set $vote ${sum(sign)}))
        (else (local.set $vote ${sum((i) => `(local.get $v${i})`)})))
      (if (local.get $mode)
        (then
          ;; agree_i = vote >= 0 ? v_i > 0 : v_i < 0, as one test: v_i with its
          ;; sign flipped when the elected sign is negative, > 0 (zeros and NaN never agree)
          (local.set $elect (v128.andnot (i32x4.splat (i32.const 0x80000000)) (f32x4.ge (local.get $vote) (local.get $zero))))
          (local.set $mixed (local.get $zero))
          (local.set $div (local.get $zero))
${each((i) => `          (local.set $agree (f32x4.gt (v128.xor (local.get $v${i}) (local.get $elect)) (local.get $zero)))
          (local.set $mixed (f32x4.add (local.get $mixed) (v128.and (local.get $v${i}) (local.get $agree))))
          (local.set $div (f32x4.add (local.get $div) (v128.and (local.get $w${i}) (local.get $agree))))`)}
          (if (local.get $normalize)
            (then (local.set $vote (f32x4.div (local.get $mixed) (v128.bitselect (local.get $one) (local.get $div) (f32x4.eq (local.get $div) (local.get $zero))))))
            (else (local.set $vote (local.get $mixed))))))
      ;; out = base + result * scale; never a store past n
      (local.set $x (f32x4.add (local.get $b) (f32x4.mul (local.get $vote) (local.get $s))))
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $n))
        (then (v128.store (local.get $o) (local.get $x)))
        (else
          (v128.store32_lane 0 (local.get $o) (local.get $x))
          (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
            (then (v128.store32_lane offset=4 1 (local.get $o) (local.get $x))))
          (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
            (then (v128.store32_lane offset=8 2 (local.get $o) (local.get $x))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top))))
`;
}
