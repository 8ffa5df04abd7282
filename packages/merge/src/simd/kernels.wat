;; SIMD kernels for the merge hot path: 16-bit float decode (optionally fused
;; with a subtraction), float32 → bfloat16 encode with round-to-nearest-even,
;; the generalized task arithmetic mix, and the magnitude histograms and top-k
;; filter of TIES-style trimming. All pointers are byte offsets into the
;; imported memory. The decode/encode kernels take n a multiple of 8 (callers
;; handle the tail); the others take any n. Built by scripts/build-simd.ts
;; into kernels.wasm.ts.
(module
  ;; Shared, so that a helper thread runs the same kernels on other element
  ;; ranges of the same arrays (helper.ts); the maximum is the caller's.
  (import "env" "memory" (memory 1 65536 shared))

  ;; out[i] = bf16 src[i] as float32
  (func (export "bf16_decode") (param $s i32) (param $o i32) (param $n i32)
    (local $i i32) (local $v v128) (local $op i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 1)))))
      (local.set $op (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))))
      (v128.store (local.get $op) (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)))
      (v128.store offset=16 (local.get $op) (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $top))))

  ;; out[i] = (bf16 src[i] as float32) - minus[i]
  (func (export "bf16_decode_minus") (param $s i32) (param $m i32) (param $o i32) (param $n i32)
    (local $i i32) (local $v v128) (local $op i32) (local $mp i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 1)))))
      (local.set $op (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $mp (i32.add (local.get $m) (i32.shl (local.get $i) (i32.const 2))))
      (v128.store (local.get $op)
        (f32x4.sub (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)) (v128.load (local.get $mp))))
      (v128.store offset=16 (local.get $op)
        (f32x4.sub (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)) (v128.load offset=16 (local.get $mp))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $top))))

  ;; out[i] = bf16(src[i]): round to nearest even; NaN stays (quiet) NaN.
  ;; (The rounding is written out for each half: a call per step would not be inlined.)
  (func (export "bf16_encode") (param $s i32) (param $o i32) (param $n i32)
    (local $i i32) (local $sp i32) (local $a v128) (local $b v128)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sp (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $a (v128.load (local.get $sp)))
      (local.set $b (v128.load offset=16 (local.get $sp)))
      (v128.store (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 1)))
        (i16x8.narrow_i32x4_u
          (v128.bitselect
          (v128.or (i32x4.shr_u (local.get $a) (i32.const 16)) (i32x4.splat (i32.const 0x40)))
          (i32x4.shr_u
            (i32x4.add (i32x4.add (local.get $a) (i32x4.splat (i32.const 0x7fff)))
                       (v128.and (i32x4.shr_u (local.get $a) (i32.const 16)) (i32x4.splat (i32.const 1))))
            (i32.const 16))
          (i32x4.gt_u (v128.and (local.get $a) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000))))
          (v128.bitselect
          (v128.or (i32x4.shr_u (local.get $b) (i32.const 16)) (i32x4.splat (i32.const 0x40)))
          (i32x4.shr_u
            (i32x4.add (i32x4.add (local.get $b) (i32x4.splat (i32.const 0x7fff)))
                       (v128.and (i32x4.shr_u (local.get $b) (i32.const 16)) (i32x4.splat (i32.const 1))))
            (i32.const 16))
          (i32x4.gt_u (v128.and (local.get $b) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000))))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $top))))

  ;; ---------------------------------------------------------------------
  ;; Generalized task arithmetic mix (methods/fused-mix.ts is the reference;
  ;; results are bit-identical), in float32, each operation rounded:
  ;;   v_i  = w_i * d_i[j]                              (w_i float32)
  ;;   mode 0 (no consensus): out = base + (v_0 + … + v_{m-1}) * scale
  ;;   mode 1 ("sum") / 2 ("count"): vote = Σ v_i or Σ sign(v_i);
  ;;     agree_i = vote >= 0 ? v_i > 0 : v_i < 0
  ;;     mixed = Σ agree v_i, divisor = Σ agree w_i (0 → 1)
  ;;     out = base + (normalize ? mixed / divisor : mixed) * scale
  ;; Elements [$from, $n) are mixed; the pointers address element 0.
  ;; $ptrs: m i32 byte offsets of the deltas; $ws: m float32 weights; m >= 1;
  ;; $acc: 3 × 2 KiB of scratch. $floors: 0, or m i32 key floors: d_i[j]
  ;; counts as +0 unless its magnitude key (bits & 0x7fffffff) is above
  ;; floor_i (signed; -1 keeps every element), which applies a top-k filter
  ;; (keep_top) in the same pass. Blocks of 512 elements are mixed one model
  ;; at a time into accumulators (vote at $acc, mixed at +2 KiB, divisor at
  ;; +4 KiB), so the inner loops are straight SIMD. Loads read whole groups
  ;; of 4, up to 12 bytes past an array (callers leave that slack); stores
  ;; never write past n.
  (func (export "gta_mix")
    (param $out i32) (param $base i32) (param $ptrs i32) (param $ws i32) (param $m i32) (param $from i32) (param $n i32)
    (param $scale f32) (param $mode i32) (param $normalize i32) (param $acc i32) (param $floors i32)
    (local $b i32) (local $end i32) (local $i i32) (local $j i32) (local $d i32) (local $a i32) (local $floor i32)
    (local $w v128) (local $x v128) (local $agree v128) (local $one v128) (local $zero v128) (local $s v128) (local $t v128)
    (local.set $b (local.get $from))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $s (f32x4.splat (local.get $scale)))
    (block $blocksDone (loop $blocks
      (br_if $blocksDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $end (select (i32.add (local.get $b) (i32.const 512)) (local.get $n)
        (i32.lt_u (i32.add (local.get $b) (i32.const 512)) (local.get $n))))
      ;; accumulators: vote = -0 (so -0 + v_0 = v_0 exactly), mixed = divisor = +0
      (local.set $j (local.get $b))
      (local.set $a (local.get $acc))
      (block $done_init (loop $init
        (br_if $done_init (i32.ge_u (local.get $j) (local.get $end)))
        (v128.store (local.get $a) (f32x4.splat (f32.const -0)))
        (v128.store offset=2048 (local.get $a) (local.get $zero))
        (v128.store offset=4096 (local.get $a) (local.get $zero))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br $init)))
      ;; the vote (or, without consensus, the sum) at $acc, one model at a time
      (local.set $i (i32.const 0))
      (loop $models
        (local.set $d (i32.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $w (f32x4.splat (f32.load (i32.add (local.get $ws) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $floor (select (i32.load (i32.add (local.get $floors) (i32.shl (local.get $i) (i32.const 2)))) (i32.const -1) (local.get $floors)))
        (local.set $t (i32x4.splat (local.get $floor)))
        (local.set $j (local.get $b))
        (local.set $a (local.get $acc))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (block $done_count (loop $count
              (br_if $done_count (i32.ge_u (local.get $j) (local.get $end)))
              (local.set $x (v128.load (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $x (f32x4.mul (v128.and (local.get $x) (i32x4.gt_s (v128.and (local.get $x) (i32x4.splat (i32.const 0x7fffffff))) (local.get $t))) (local.get $w)))
              (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a))
                (f32x4.sub (v128.and (f32x4.gt (local.get $x) (local.get $zero)) (local.get $one))
                           (v128.and (f32x4.lt (local.get $x) (local.get $zero)) (local.get $one)))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (local.set $a (i32.add (local.get $a) (i32.const 16)))
              (br $count))))
          (else (if (i32.eq (local.get $floor) (i32.const -1))
            (then
              (block $done_sum (loop $sum
                (br_if $done_sum (i32.ge_u (local.get $j) (local.get $end)))
                (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a))
                  (f32x4.mul (v128.load (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2)))) (local.get $w))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (local.set $a (i32.add (local.get $a) (i32.const 16)))
                (br $sum))))
            (else
              (block $done_sum_kept (loop $sum_kept
                (br_if $done_sum_kept (i32.ge_u (local.get $j) (local.get $end)))
                (local.set $x (v128.load (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2)))))
                (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a))
                  (f32x4.mul (v128.and (local.get $x) (i32x4.gt_s (v128.and (local.get $x) (i32x4.splat (i32.const 0x7fffffff))) (local.get $t))) (local.get $w))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (local.set $a (i32.add (local.get $a) (i32.const 16)))
                (br $sum_kept)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $models (i32.lt_u (local.get $i) (local.get $m))))
      ;; with consensus: the vote becomes the elected-sign mask; mixed and
      ;; divisor gather the agreeing models
      (if (local.get $mode)
        (then
          (local.set $j (local.get $b))
          (local.set $a (local.get $acc))
          (block $done_elect (loop $elect
            (br_if $done_elect (i32.ge_u (local.get $j) (local.get $end)))
            (v128.store (local.get $a) (f32x4.ge (v128.load (local.get $a)) (local.get $zero)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (br $elect)))
          (local.set $i (i32.const 0))
          (loop $agreeing
            (local.set $d (i32.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $w (f32x4.splat (f32.load (i32.add (local.get $ws) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $t (i32x4.splat (select (i32.load (i32.add (local.get $floors) (i32.shl (local.get $i) (i32.const 2)))) (i32.const -1) (local.get $floors))))
            (local.set $j (local.get $b))
            (local.set $a (local.get $acc))
            (block $done_agree (loop $agree
              (br_if $done_agree (i32.ge_u (local.get $j) (local.get $end)))
              (local.set $x (v128.load (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $x (f32x4.mul (v128.and (local.get $x) (i32x4.gt_s (v128.and (local.get $x) (i32x4.splat (i32.const 0x7fffffff))) (local.get $t))) (local.get $w)))
              (local.set $agree (v128.bitselect (f32x4.gt (local.get $x) (local.get $zero)) (f32x4.lt (local.get $x) (local.get $zero)) (v128.load (local.get $a))))
              (v128.store offset=2048 (local.get $a) (f32x4.add (v128.load offset=2048 (local.get $a)) (v128.and (local.get $x) (local.get $agree))))
              (v128.store offset=4096 (local.get $a) (f32x4.add (v128.load offset=4096 (local.get $a)) (v128.and (local.get $w) (local.get $agree))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (local.set $a (i32.add (local.get $a) (i32.const 16)))
              (br $agree)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $agreeing (i32.lt_u (local.get $i) (local.get $m))))
          ;; the result replaces the vote: mixed, or mixed / divisor (0 → 1)
          (local.set $j (local.get $b))
          (local.set $a (local.get $acc))
          (block $done_result (loop $result
            (br_if $done_result (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $x (v128.load offset=2048 (local.get $a)))
            (if (local.get $normalize)
              (then
                (local.set $w (v128.load offset=4096 (local.get $a)))
                (local.set $x (f32x4.div (local.get $x) (v128.bitselect (local.get $one) (local.get $w) (f32x4.eq (local.get $w) (local.get $zero)))))))
            (v128.store (local.get $a) (local.get $x))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (local.set $a (i32.add (local.get $a) (i32.const 16)))
            (br $result)))))
      ;; out = base + result * scale
      (local.set $j (local.get $b))
      (local.set $a (local.get $acc))
      (block $done_output (loop $output
        (br_if $done_output (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $x (f32x4.add (v128.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2))))
          (f32x4.mul (v128.load (local.get $a)) (local.get $s))))
        (local.set $d (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
        (if (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $n))
          (then (v128.store (local.get $d) (local.get $x)))
          (else
            (v128.store32_lane 0 (local.get $d) (local.get $x))
            (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 2))
              (then (v128.store32_lane offset=4 1 (local.get $d) (local.get $x))))
            (if (i32.ge_u (i32.sub (local.get $n) (local.get $j)) (i32.const 3))
              (then (v128.store32_lane offset=8 2 (local.get $d) (local.get $x))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br $output)))
      (local.set $b (local.get $end))
      (br $blocks))))

  ;; ---------------------------------------------------------------------
  ;; Magnitude ranking (methods/select.ts is the reference). key = bits & 0x7fffffff.

  ;; Magnitude histogram with a window at full resolution. Two tables (even
  ;; lanes count into $histA, odd lanes into $histB, so runs of one bin do
  ;; not wait on their own increments; the caller sums them), each laid out
  ;; as 65536 high-bit bins, then $bins * 65536 bins for the keys whose high
  ;; bits are in [$lo, $lo + $bins) — the bins guessed to hold a selection
  ;; boundary. A key counts in exactly one place: hist[65536 + key - ($lo <<
  ;; 16)] inside the window, hist[key >>> 16] outside. $bins = 0: no window.
  (func (export "hist_high") (param $bits i32) (param $n i32) (param $histA i32) (param $histB i32) (param $lo i32) (param $bins i32)
    (local $j i32) (local $main i32) (local $k0 v128) (local $k1 v128) (local $d v128) (local $tables v128)
    (local $h i32) (local $x i32) (local $base i32) (local $span i32) (local $p i32)
    (local.set $base (i32.shl (local.get $lo) (i32.const 16)))
    (local.set $span (i32.shl (local.get $bins) (i32.const 16)))
    (local.set $tables (i32x4.replace_lane 3 (i32x4.replace_lane 1 (i32x4.splat (local.get $histA)) (local.get $histB)) (local.get $histB)))
    ;; eight elements a round: two groups of four in flight
    (local.set $main (i32.and (local.get $n) (i32.const -8)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $p (i32.add (local.get $bits) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $k0 (v128.and (v128.load (local.get $p)) (i32x4.splat (i32.const 0x7fffffff))))
      (local.set $k1 (v128.and (v128.load offset=16 (local.get $p)) (i32x4.splat (i32.const 0x7fffffff))))
      ;; table addresses (written out for each group: a call would not be inlined)
      (local.set $d (i32x4.sub (local.get $k0) (i32x4.splat (local.get $base))))
      (local.set $k0 (i32x4.add (local.get $tables) (i32x4.shl
        (v128.bitselect
          (i32x4.add (local.get $d) (i32x4.splat (i32.const 65536)))
          (i32x4.shr_u (local.get $k0) (i32.const 16))
          (i32x4.lt_u (local.get $d) (i32x4.splat (local.get $span))))
        (i32.const 2))))
      (local.set $d (i32x4.sub (local.get $k1) (i32x4.splat (local.get $base))))
      (local.set $k1 (i32x4.add (local.get $tables) (i32x4.shl
        (v128.bitselect
          (i32x4.add (local.get $d) (i32x4.splat (i32.const 65536)))
          (i32x4.shr_u (local.get $k1) (i32.const 16))
          (i32x4.lt_u (local.get $d) (i32x4.splat (local.get $span))))
        (i32.const 2))))
      (local.set $h (i32x4.extract_lane 0 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 1 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 2 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 3 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 0 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 1 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 2 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 3 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $top)))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $x (i32.and (i32.load (i32.add (local.get $bits) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 0x7fffffff)))
      (local.set $h (i32.add (select (local.get $histB) (local.get $histA) (i32.and (local.get $j) (i32.const 1))) (i32.shl
        (select
          (i32.add (i32.sub (local.get $x) (local.get $base)) (i32.const 65536))
          (i32.shr_u (local.get $x) (i32.const 16))
          (i32.lt_u (i32.sub (local.get $x) (local.get $base)) (local.get $span)))
        (i32.const 2))))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each))))

  ;; hist_high over deltas that are not in memory: the keys of the n BF16
  ;; weights at $src minus the float32 base at $minus, computed in registers.
  (func (export "hist_high_bf16") (param $src i32) (param $minus i32) (param $n i32) (param $histA i32) (param $histB i32) (param $lo i32) (param $bins i32)
    (local $j i32) (local $main i32) (local $k0 v128) (local $k1 v128) (local $d v128) (local $w v128) (local $tables v128)
    (local $h i32) (local $x i32) (local $base i32) (local $span i32) (local $p i32)
    (local.set $base (i32.shl (local.get $lo) (i32.const 16)))
    (local.set $span (i32.shl (local.get $bins) (i32.const 16)))
    (local.set $tables (i32x4.replace_lane 3 (i32x4.replace_lane 1 (i32x4.splat (local.get $histA)) (local.get $histB)) (local.get $histB)))
    ;; eight elements a round: two groups of four in flight
    (local.set $main (i32.and (local.get $n) (i32.const -8)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $p (i32.add (local.get $minus) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $w (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 1)))))
      (local.set $k0 (v128.and (f32x4.sub (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $w)) (i32.const 16)) (v128.load (local.get $p))) (i32x4.splat (i32.const 0x7fffffff))))
      (local.set $k1 (v128.and (f32x4.sub (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $w)) (i32.const 16)) (v128.load offset=16 (local.get $p))) (i32x4.splat (i32.const 0x7fffffff))))
      ;; table addresses (written out for each group: a call would not be inlined)
      (local.set $d (i32x4.sub (local.get $k0) (i32x4.splat (local.get $base))))
      (local.set $k0 (i32x4.add (local.get $tables) (i32x4.shl
        (v128.bitselect
          (i32x4.add (local.get $d) (i32x4.splat (i32.const 65536)))
          (i32x4.shr_u (local.get $k0) (i32.const 16))
          (i32x4.lt_u (local.get $d) (i32x4.splat (local.get $span))))
        (i32.const 2))))
      (local.set $d (i32x4.sub (local.get $k1) (i32x4.splat (local.get $base))))
      (local.set $k1 (i32x4.add (local.get $tables) (i32x4.shl
        (v128.bitselect
          (i32x4.add (local.get $d) (i32x4.splat (i32.const 65536)))
          (i32x4.shr_u (local.get $k1) (i32.const 16))
          (i32x4.lt_u (local.get $d) (i32x4.splat (local.get $span))))
        (i32.const 2))))
      (local.set $h (i32x4.extract_lane 0 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 1 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 2 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 3 (local.get $k0)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 0 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 1 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 2 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 3 (local.get $k1)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $top)))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $x (i32.and
        (i32.reinterpret_f32 (f32.sub
          (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 1)))) (i32.const 16)))
          (f32.load (i32.add (local.get $minus) (i32.shl (local.get $j) (i32.const 2))))))
        (i32.const 0x7fffffff)))
      (local.set $h (i32.add (select (local.get $histB) (local.get $histA) (i32.and (local.get $j) (i32.const 1))) (i32.shl
        (select
          (i32.add (i32.sub (local.get $x) (local.get $base)) (i32.const 65536))
          (i32.shr_u (local.get $x) (i32.const 16))
          (i32.lt_u (i32.sub (local.get $x) (local.get $base)) (local.get $span)))
        (i32.const 2))))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each))))

  ;; hist[key - ($lo << 16)]++ for the elements whose key >>> 16 is in
  ;; [$lo, $lo + $bins) (hist: $bins * 65536 u32). Branch-free: elements
  ;; outside count into $spare (256 bytes), in a slot that rotates with the
  ;; element index so that those increments do not wait on each other.
  (func (export "hist_window") (param $bits i32) (param $n i32) (param $lo i32) (param $bins i32) (param $hist i32) (param $spare i32)
    (local $j i32) (local $main i32) (local $d v128) (local $idx v128) (local $h i32) (local $x i32) (local $base i32) (local $span i32)
    (local.set $base (i32.shl (local.get $lo) (i32.const 16)))
    (local.set $span (i32.shl (local.get $bins) (i32.const 16)))
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $d (i32x4.sub
        (v128.and (v128.load (i32.add (local.get $bits) (i32.shl (local.get $j) (i32.const 2)))) (i32x4.splat (i32.const 0x7fffffff)))
        (i32x4.splat (local.get $base))))
      (local.set $idx (v128.bitselect
        (i32x4.add (i32x4.splat (local.get $hist)) (i32x4.shl (local.get $d) (i32.const 2)))
        (i32x4.add (i32x4.splat (i32.add (local.get $spare) (i32.and (i32.shl (local.get $j) (i32.const 2)) (i32.const 240)))) (v128.const i32x4 0 4 8 12))
        (i32x4.lt_u (local.get $d) (i32x4.splat (local.get $span)))))
      (local.set $h (i32x4.extract_lane 0 (local.get $idx)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 1 (local.get $idx)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 2 (local.get $idx)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $h (i32x4.extract_lane 3 (local.get $idx)))
      (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $x (i32.sub (i32.and (i32.load (i32.add (local.get $bits) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 0x7fffffff)) (local.get $base)))
      (if (i32.lt_u (local.get $x) (local.get $span))
        (then
          (local.set $h (i32.add (local.get $hist) (i32.shl (local.get $x) (i32.const 2))))
          (i32.store (local.get $h) (i32.add (i32.load (local.get $h)) (i32.const 1)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each))))

  ;; How many of the n float32 bit patterns at $src have magnitude key $key.
  (func (export "count_key") (param $src i32) (param $n i32) (param $key i32) (result i32)
    (local $j i32) (local $main i32) (local $kk v128) (local $c v128) (local $total i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    (local.set $kk (i32x4.splat (local.get $key)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $c (i32x4.sub (local.get $c) (i32x4.eq
        (v128.and (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (i32x4.splat (i32.const 0x7fffffff)))
        (local.get $kk))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (local.set $total (i32.add (i32.add (i32x4.extract_lane 0 (local.get $c)) (i32x4.extract_lane 1 (local.get $c)))
                               (i32.add (i32x4.extract_lane 2 (local.get $c)) (i32x4.extract_lane 3 (local.get $c)))))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $total (i32.add (local.get $total)
        (i32.eq (i32.and (i32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 0x7fffffff)) (local.get $key))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (local.get $total))

;; count_key over deltas that are not in memory: how many of the n BF16
  ;; weights at $src, minus the float32 base at $base, have magnitude key $key.
  (func (export "count_key_bf16") (param $src i32) (param $base i32) (param $n i32) (param $key i32) (result i32)
    (local $j i32) (local $main i32) (local $kk v128) (local $c v128) (local $total i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    (local.set $kk (i32x4.splat (local.get $key)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $c (i32x4.sub (local.get $c) (i32x4.eq
        (v128.and
          (f32x4.sub
            (i32x4.shl (i32x4.extend_low_i16x8_u (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 1))))) (i32.const 16))
            (v128.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2)))))
          (i32x4.splat (i32.const 0x7fffffff)))
        (local.get $kk))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (local.set $total (i32.add (i32.add (i32x4.extract_lane 0 (local.get $c)) (i32x4.extract_lane 1 (local.get $c)))
                               (i32.add (i32x4.extract_lane 2 (local.get $c)) (i32x4.extract_lane 3 (local.get $c)))))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $total (i32.add (local.get $total)
        (i32.eq
          (i32.and
            (i32.reinterpret_f32 (f32.sub
              (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 1)))) (i32.const 16)))
              (f32.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 2))))))
            (i32.const 0x7fffffff))
          (local.get $key))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (local.get $total))

;; Where the k-th (from 1) of the n keys equal to $key is: its index, or -1
  ;; when there are fewer. For floats at $src, then for BF16 weights at $src
  ;; minus the float32 base at $minus.
  (func (export "nth_key") (param $src i32) (param $n i32) (param $key i32) (param $k i32) (result i32)
    (local $j i32) (local $main i32) (local $eq v128) (local $c i32) (local $seen i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    ;; groups of four: only the group that reaches the k-th is looked at element by element
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $eq (i32x4.eq (v128.and (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (local.get $key))))
      (local.set $c (i32.popcnt (i32x4.bitmask (local.get $eq))))
      (br_if $done (i32.ge_u (i32.add (local.get $seen) (local.get $c)) (local.get $k)))
      (local.set $seen (i32.add (local.get $seen) (local.get $c)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (if (i32.eq (i32.and (i32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 0x7fffffff)) (local.get $key))
        (then
          (local.set $seen (i32.add (local.get $seen) (i32.const 1)))
          (if (i32.ge_u (local.get $seen) (local.get $k)) (then (return (local.get $j))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (i32.const -1))

  (func (export "nth_key_bf16") (param $src i32) (param $minus i32) (param $n i32) (param $key i32) (param $k i32) (result i32)
    (local $j i32) (local $main i32) (local $eq v128) (local $c i32) (local $seen i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    ;; groups of four: only the group that reaches the k-th is looked at element by element
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $eq (i32x4.eq (v128.and
          (f32x4.sub
            (i32x4.shl (i32x4.extend_low_i16x8_u (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 1))))) (i32.const 16))
            (v128.load (i32.add (local.get $minus) (i32.shl (local.get $j) (i32.const 2)))))
          (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (local.get $key))))
      (local.set $c (i32.popcnt (i32x4.bitmask (local.get $eq))))
      (br_if $done (i32.ge_u (i32.add (local.get $seen) (local.get $c)) (local.get $k)))
      (local.set $seen (i32.add (local.get $seen) (local.get $c)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (if (i32.eq (i32.and
          (i32.reinterpret_f32 (f32.sub
            (f32.reinterpret_i32 (i32.shl (i32.load16_u (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 1)))) (i32.const 16)))
            (f32.load (i32.add (local.get $minus) (i32.shl (local.get $j) (i32.const 2))))))
          (i32.const 0x7fffffff)) (local.get $key))
        (then
          (local.set $seen (i32.add (local.get $seen) (i32.const 1)))
          (if (i32.ge_u (local.get $seen) (local.get $k)) (then (return (local.get $j))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (i32.const -1))

  ;; Rank probe: how many of the n magnitude keys are above $key, and how
  ;; many are at least $key, added to the two u32 at $acc. When the first
  ;; count is at most a rank and the second above it, $key is the key at that
  ;; descending rank: one cheap pass instead of a histogram. (For BF16
  ;; weights minus a base, one model or several: probe-unrolled.ts.)
  (func (export "rank_probe") (param $src i32) (param $n i32) (param $key i32) (param $acc i32)
    (local $j i32) (local $main i32) (local $k v128) (local $gt v128) (local $ge v128) (local $above v128) (local $least v128)
    (local $x i32) (local $g i32) (local $e i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    ;; keys are at most 0x7fffffff, so signed comparisons order them ("at least key" = "above key - 1")
    (local.set $above (i32x4.splat (local.get $key)))
    (local.set $least (i32x4.splat (i32.sub (local.get $key) (i32.const 1))))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $k (v128.and (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (i32x4.splat (i32.const 0x7fffffff))))
      (local.set $gt (i32x4.sub (local.get $gt) (i32x4.gt_s (local.get $k) (local.get $above))))
      (local.set $ge (i32x4.sub (local.get $ge) (i32x4.gt_s (local.get $k) (local.get $least))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (local.set $g (i32.add (i32.add (i32x4.extract_lane 0 (local.get $gt)) (i32x4.extract_lane 1 (local.get $gt)))
                           (i32.add (i32x4.extract_lane 2 (local.get $gt)) (i32x4.extract_lane 3 (local.get $gt)))))
    (local.set $e (i32.add (i32.add (i32x4.extract_lane 0 (local.get $ge)) (i32x4.extract_lane 1 (local.get $ge)))
                           (i32.add (i32x4.extract_lane 2 (local.get $ge)) (i32x4.extract_lane 3 (local.get $ge)))))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $x (i32.and (i32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 0x7fffffff)))
      (local.set $g (i32.add (local.get $g) (i32.gt_s (local.get $x) (local.get $key))))
      (local.set $e (i32.add (local.get $e) (i32.ge_s (local.get $x) (local.get $key))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (i32.store (local.get $acc) (i32.add (i32.load (local.get $acc)) (local.get $g)))
    (i32.store offset=4 (local.get $acc) (i32.add (i32.load offset=4 (local.get $acc)) (local.get $e))))

  ;; The sum of n u32 counts at $src (modulo 2^32).
  (func (export "sum_u32") (param $src i32) (param $n i32) (result i32)
    (local $j i32) (local $main i32) (local $c v128) (local $total i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $c (i32x4.add (local.get $c) (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    (local.set $total (i32.add (i32.add (i32x4.extract_lane 0 (local.get $c)) (i32x4.extract_lane 1 (local.get $c)))
                               (i32.add (i32x4.extract_lane 2 (local.get $c)) (i32x4.extract_lane 3 (local.get $c)))))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $total (i32.add (local.get $total) (i32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (local.get $total))

  ;; Top-k filter: out[j] = x[j] if key > $key, or key == $key and it is among
  ;; the first $quota such elements ($seen counted so far); else +0.
  ;; Returns the updated $seen. Branch-free: the boundary elements of a group
  ;; of four are numbered by a prefix sum across lanes.
  (func (export "keep_top") (param $src i32) (param $out i32) (param $n i32) (param $key i32) (param $seen i32) (param $quota i32) (result i32)
    (local $j i32) (local $main i32) (local $b v128) (local $k v128) (local $kk v128) (local $eq v128) (local $c v128)
    (local $x i32) (local $p i32)
    (local.set $main (i32.and (local.get $n) (i32.const -4)))
    (local.set $kk (i32x4.splat (local.get $key)))
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $j) (local.get $main)))
      (local.set $b (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $k (v128.and (local.get $b) (i32x4.splat (i32.const 0x7fffffff))))
      (local.set $eq (i32x4.eq (local.get $k) (local.get $kk)))
      ;; c = inclusive count of boundary elements in lanes 0..l
      (local.set $c (i32x4.neg (local.get $eq)))
      (local.set $c (i32x4.add (local.get $c) (i8x16.shuffle 0 1 2 3 16 17 18 19 20 21 22 23 24 25 26 27 (v128.const i32x4 0 0 0 0) (local.get $c))))
      (local.set $c (i32x4.add (local.get $c) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (v128.const i32x4 0 0 0 0) (local.get $c))))
      ;; a boundary element is kept while seen + (its number - 1) < quota
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
        (v128.and (local.get $b)
          (v128.or (i32x4.gt_u (local.get $k) (local.get $kk))
            (v128.and (local.get $eq)
              (i32x4.lt_u (i32x4.add (i32x4.splat (local.get $seen)) (i32x4.add (local.get $c) (local.get $eq))) (i32x4.splat (local.get $quota)))))))
      (local.set $seen (i32.add (local.get $seen) (i32x4.extract_lane 3 (local.get $c))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $top)))
    ;; the tail, element by element
    (local.set $p (local.get $main))
    (block $tail (loop $each
      (br_if $tail (i32.ge_u (local.get $p) (local.get $n)))
      (local.set $x (i32.load (i32.add (local.get $src) (i32.shl (local.get $p) (i32.const 2)))))
      (if (i32.eq (i32.and (local.get $x) (i32.const 0x7fffffff)) (local.get $key))
        (then
          (local.set $x (select (local.get $x) (i32.const 0) (i32.lt_u (local.get $seen) (local.get $quota))))
          (local.set $seen (i32.add (local.get $seen) (i32.const 1))))
        (else
          (local.set $x (select (local.get $x) (i32.const 0) (i32.gt_u (i32.and (local.get $x) (i32.const 0x7fffffff)) (local.get $key))))))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 2))) (local.get $x))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $each)))
    (local.get $seen))
)
