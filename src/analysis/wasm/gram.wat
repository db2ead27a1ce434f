;; Dot products of rows of one matrix: the heart of every pairwise Euclidean distance in CNN Slicer
;; (inter-sample entropy, paper 4.4.1; channel capacity, paper 5.3.1).
;;
;; Why hand-written WebAssembly rather than tfjs: TensorFlow.js multiplies in float32, while the
;; estimators accumulate in float64 (estimators.md), and tfjs cannot use the symmetry of X·Xᵀ.
;; This kernel runs 128-bit SIMD in float64 (≈11–13 GFLOP/s per core on the CI machine kind,
;; against ≈3 for the best plain-JS loop), needs no import, and runs unchanged in Node and webviews.
;;
;; Layout: row r of X occupies D float64 values at x + r·D·8. D must be a multiple of 4 and the
;; caller pads the row count so that every 2×4 tile it asks for exists (padding rows are zeros).
;;
;; gram(x, D, i0, i1, j0, j1, out, ldo, carry):
;;   carry = 0: out[(i - i0)·ldo + (j - j0)] = x_i · x_j (float64 entries)
;;   carry ≠ 0: the entries are f64x2 lane sums (16 bytes each): each is loaded, the D coordinates
;;              are added to its lanes and both lanes are stored back. Feeding the coordinates in
;;              chunks (of a multiple of 4, zero-initialised sums) and adding lane0 + lane1 at the
;;              end gives bit-identical results to one call over all coordinates.
;;   for i in [i0, i1) step 2, j in [j0, j1) step 4.
;; Summation order (relied on by distances.ts to make x_i·x_i bit-identical to the JS norms):
;;   lane 0 sums the even coordinates in order, lane 1 the odd ones, result = lane0 + lane1.
(module
  (memory (export "memory") 1)
  (func (export "gram") (param $x i32) (param $D i32) (param $i0 i32) (param $i1 i32)
        (param $j0 i32) (param $j1 i32) (param $out i32) (param $ldo i32) (param $carry i32)
    (local $i i32) (local $j i32) (local $rowBytes i32) (local $end i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $va0 v128) (local $va1 v128) (local $vb v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $p i32) (local $shift i32) (local $ldoBytes i32)
    ;; Entry size: 8 bytes (a sum) or 16 (two lane sums).
    (local.set $shift (select (i32.const 4) (i32.const 3) (local.get $carry)))
    (local.set $ldoBytes (i32.shl (local.get $ldo) (local.get $shift)))
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 3)))
    (local.set $i (local.get $i0))
    (block $iend (loop $iloop
      (br_if $iend (i32.ge_u (local.get $i) (local.get $i1)))
      (local.set $j (local.get $j0))
      (block $jend (loop $jloop
        (br_if $jend (i32.ge_u (local.get $j) (local.get $j1)))
        (local.set $a0 (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $rowBytes)))
        (local.set $b0 (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rowBytes))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $rowBytes)))
        (local.set $b2 (i32.add (local.get $b1) (local.get $rowBytes)))
        (local.set $b3 (i32.add (local.get $b2) (local.get $rowBytes)))
        (local.set $p (i32.add (local.get $out) (i32.shl
          (i32.add (i32.mul (i32.sub (local.get $i) (local.get $i0)) (local.get $ldo))
                   (i32.sub (local.get $j) (local.get $j0))) (local.get $shift))))
        (if (local.get $carry)
          (then
            (local.set $c00 (v128.load offset=0 (local.get $p))) (local.set $c01 (v128.load offset=16 (local.get $p)))
            (local.set $c02 (v128.load offset=32 (local.get $p))) (local.set $c03 (v128.load offset=48 (local.get $p)))
            (local.set $c10 (v128.load offset=0 (i32.add (local.get $p) (local.get $ldoBytes))))
            (local.set $c11 (v128.load offset=16 (i32.add (local.get $p) (local.get $ldoBytes))))
            (local.set $c12 (v128.load offset=32 (i32.add (local.get $p) (local.get $ldoBytes))))
            (local.set $c13 (v128.load offset=48 (i32.add (local.get $p) (local.get $ldoBytes)))))
          (else
            (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
            (local.set $c02 (v128.const i64x2 0 0)) (local.set $c03 (v128.const i64x2 0 0))
            (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
            (local.set $c12 (v128.const i64x2 0 0)) (local.set $c13 (v128.const i64x2 0 0))))
        (local.set $end (i32.add (local.get $a0) (local.get $rowBytes)))
        ;; Four coordinates per trip (two f64x2 steps) with constant offsets.
        (block $dend (loop $dloop
          (br_if $dend (i32.ge_u (local.get $a0) (local.get $end)))
          (local.set $va0 (v128.load offset=0 (local.get $a0)))
          (local.set $va1 (v128.load offset=0 (local.get $a1)))
          (local.set $vb (v128.load offset=0 (local.get $b0)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=0 (local.get $b1)))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=0 (local.get $b2)))
          (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=0 (local.get $b3)))
          (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $va0 (v128.load offset=16 (local.get $a0)))
          (local.set $va1 (v128.load offset=16 (local.get $a1)))
          (local.set $vb (v128.load offset=16 (local.get $b0)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=16 (local.get $b1)))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=16 (local.get $b2)))
          (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=16 (local.get $b3)))
          (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $va0) (local.get $vb))))
          (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $va1) (local.get $vb))))
          (local.set $a0 (i32.add (local.get $a0) (i32.const 32)))
          (local.set $a1 (i32.add (local.get $a1) (i32.const 32)))
          (local.set $b0 (i32.add (local.get $b0) (i32.const 32)))
          (local.set $b1 (i32.add (local.get $b1) (i32.const 32)))
          (local.set $b2 (i32.add (local.get $b2) (i32.const 32)))
          (local.set $b3 (i32.add (local.get $b3) (i32.const 32)))
          (br $dloop)))
        (if (local.get $carry)
          (then
            (v128.store offset=0 (local.get $p) (local.get $c00)) (v128.store offset=16 (local.get $p) (local.get $c01))
            (v128.store offset=32 (local.get $p) (local.get $c02)) (v128.store offset=48 (local.get $p) (local.get $c03))
            (local.set $p (i32.add (local.get $p) (local.get $ldoBytes)))
            (v128.store offset=0 (local.get $p) (local.get $c10)) (v128.store offset=16 (local.get $p) (local.get $c11))
            (v128.store offset=32 (local.get $p) (local.get $c12)) (v128.store offset=48 (local.get $p) (local.get $c13)))
          (else
            (f64.store offset=0 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c00)) (f64x2.extract_lane 1 (local.get $c00))))
            (f64.store offset=8 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c01)) (f64x2.extract_lane 1 (local.get $c01))))
            (f64.store offset=16 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c02)) (f64x2.extract_lane 1 (local.get $c02))))
            (f64.store offset=24 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c03)) (f64x2.extract_lane 1 (local.get $c03))))
            (local.set $p (i32.add (local.get $p) (local.get $ldoBytes)))
            (f64.store offset=0 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c10)) (f64x2.extract_lane 1 (local.get $c10))))
            (f64.store offset=8 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c11)) (f64x2.extract_lane 1 (local.get $c11))))
            (f64.store offset=16 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c12)) (f64x2.extract_lane 1 (local.get $c12))))
            (f64.store offset=24 (local.get $p) (f64.add (f64x2.extract_lane 0 (local.get $c13)) (f64x2.extract_lane 1 (local.get $c13))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $iloop)))
  )
)
