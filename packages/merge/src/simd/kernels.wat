;; SIMD kernels for the merge hot path: 16-bit float decode (optionally fused
;; with a subtraction) and float32 → bfloat16 encode with round-to-nearest-even.
;; All pointers are byte offsets into the imported memory; n is a multiple of 8
;; (callers handle the tail). Built by scripts/build-simd.ts into kernels.wasm.ts.
(module
  (import "env" "memory" (memory 1))

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

  ;; one float32x4 → four bf16 in the low halves of i32 lanes, round to nearest even; NaN stays (quiet) NaN
  (func $round_bf16 (param $x v128) (result v128)
    (local $hi v128)
    (local.set $hi (i32x4.shr_u (local.get $x) (i32.const 16)))
    (v128.bitselect
      (v128.or (local.get $hi) (i32x4.splat (i32.const 0x40)))
      (i32x4.shr_u
        (i32x4.add (i32x4.add (local.get $x) (i32x4.splat (i32.const 0x7fff)))
                   (v128.and (local.get $hi) (i32x4.splat (i32.const 1))))
        (i32.const 16))
      (i32x4.gt_u (v128.and (local.get $x) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))

  ;; out[i] = bf16(src[i])
  (func (export "bf16_encode") (param $s i32) (param $o i32) (param $n i32)
    (local $i i32) (local $sp i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sp (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2))))
      (v128.store (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 1)))
        (i16x8.narrow_i32x4_u
          (call $round_bf16 (v128.load (local.get $sp)))
          (call $round_bf16 (v128.load offset=16 (local.get $sp)))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $top))))
)
