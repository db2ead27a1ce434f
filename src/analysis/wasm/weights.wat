;; One pass of the σ search of the inter-sample entropy (paper 4.4.1, equation 5; estimators.md
;; step 3): the weights exp(-d_j β) of one sample's K neighbours and their sums.
;;
;; Why hand-written WebAssembly: the σ search evaluates K exponentials per Newton step, and
;; Math.exp, one call per value, was most of an epoch's measurement time. This computes two at a
;; time in 128-bit SIMD with the algorithm of fdlibm's e_exp.c, which is also V8's Math.exp
;; (v8/src/base/ieee754.cc), operation for operation, so every weight is bit-identical to
;; Math.exp(-d_j * β) (test/unit/analysis/interSample.test.ts checks it): the entropies do not change.
;; The sums are added one value at a time in index order, as the plain-JS loop adds them.
;;
;; fdlibm: Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved. Developed at SunSoft,
;; a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute this software
;; is freely granted, provided that this notice is preserved.
;;
;; Method for x = -d β ≤ 0 (fdlibm's, specialised to x ≤ 0):
;;   |x| < 2^-28: exp(x) = 1 + x.
;;   else k = 0 if |x| ≤ 0.5 ln2 (by fdlibm's high-word test), else k = trunc(x / ln2 - 0.5);
;;   hi = x - k·ln2_hi, lo = k·ln2_lo, r = hi - lo, t = r²,
;;   c = r - t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5)))), y = 1 - ((lo - r·c / (2 - c)) - hi),
;;   exp(x) = y · 2^k.
;; (fdlibm's separate forms for k = 0 and for |x| < 1.5 ln2 give the same bits as this one for
;; x ≤ 0: with k = 0, lo = 0 and (0 - a) - x = -a - x; for 0.5 ln2 < |x| < 1.5 ln2 its k is -1.)
;; Values x < -708 (2^k below the normal range, and non-numbers) call the imported Math.exp.
;;
;; pass(d, e, K, beta): e[j] = exp(-d[j] · beta) for j < K (float64 arrays at byte offsets d and e),
;;   returns Σ e[j] and sets the global g1 to Σ d[j]·e[j], both summed in index order.
(module
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 1)
  (global $g1 (export "g1") (mut f64) (f64.const 0))

  ;; exp of both lanes of x (each ≤ 0).
  (func $exp2 (param $x v128) (result v128)
    (local $ax v128) (local $kd v128) (local $hi v128) (local $lo v128) (local $r v128)
    (local $t v128) (local $c v128) (local $y v128) (local $scale v128) (local $slow v128)
    (local.set $ax (f64x2.abs (local.get $x)))
    ;; k = trunc(x·invln2 - 0.5), or 0 where |x| ≤ 0.5 ln2 (|x| below the double 0x3fd62e43_00000000).
    (local.set $kd (f64x2.trunc (f64x2.sub
      (f64x2.mul (local.get $x) (f64x2.splat (f64.const 1.44269504088896338700e+00)))
      (f64x2.splat (f64.const 0.5)))))
    (local.set $kd (v128.andnot (local.get $kd)
      (f64x2.lt (local.get $ax) (f64x2.splat (f64.const 0.3465735912322998)))))
    (local.set $hi (f64x2.sub (local.get $x)
      (f64x2.mul (local.get $kd) (f64x2.splat (f64.const 6.93147180369123816490e-01)))))
    (local.set $lo (f64x2.mul (local.get $kd) (f64x2.splat (f64.const 1.90821492927058770002e-10))))
    (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
    (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $c (f64x2.sub (local.get $r) (f64x2.mul (local.get $t)
      (f64x2.add (f64x2.splat (f64.const 1.66666666666666019037e-01)) (f64x2.mul (local.get $t)
      (f64x2.add (f64x2.splat (f64.const -2.77777777770155933842e-03)) (f64x2.mul (local.get $t)
      (f64x2.add (f64x2.splat (f64.const 6.61375632143793436117e-05)) (f64x2.mul (local.get $t)
      (f64x2.add (f64x2.splat (f64.const -1.65339022054652515390e-06)) (f64x2.mul (local.get $t)
        (f64x2.splat (f64.const 4.13813679705723846039e-08)))))))))))))
    (local.set $y (f64x2.sub (f64x2.splat (f64.const 1))
      (f64x2.sub
        (f64x2.sub (local.get $lo)
          (f64x2.div (f64x2.mul (local.get $r) (local.get $c))
            (f64x2.sub (f64x2.splat (f64.const 2)) (local.get $c))))
        (local.get $hi))))
    ;; 2^k from its bits: (k + 1023) << 52, k ≥ -1021 here.
    (local.set $scale (i64x2.shl
      (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $kd)))
        (i64x2.splat (i64.const 1023)))
      (i32.const 52)))
    (local.set $y (f64x2.mul (local.get $y) (local.get $scale)))
    ;; |x| < 2^-28: 1 + x.
    (local.set $y (v128.bitselect
      (f64x2.add (f64x2.splat (f64.const 1)) (local.get $x))
      (local.get $y)
      (f64x2.lt (local.get $ax) (f64x2.splat (f64.const 3.725290298461914e-09)))))
    ;; x < -708 or not a number: Math.exp itself.
    (local.set $slow (v128.not (f64x2.ge (local.get $x) (f64x2.splat (f64.const -708)))))
    (if (v128.any_true (local.get $slow))
      (then
        (if (i64.ne (i64x2.extract_lane 0 (local.get $slow)) (i64.const 0))
          (then (local.set $y (f64x2.replace_lane 0 (local.get $y)
            (call $exp (f64x2.extract_lane 0 (local.get $x)))))))
        (if (i64.ne (i64x2.extract_lane 1 (local.get $slow)) (i64.const 0))
          (then (local.set $y (f64x2.replace_lane 1 (local.get $y)
            (call $exp (f64x2.extract_lane 1 (local.get $x)))))))))
    (local.get $y))

  (func (export "pass") (param $d i32) (param $e i32) (param $K i32) (param $beta f64) (result f64)
    (local $j i32) (local $pairs i32) (local $vb v128) (local $vd v128) (local $ve v128)
    (local $g f64) (local $g1 f64) (local $ej f64)
    (local.set $vb (f64x2.splat (local.get $beta)))
    (local.set $pairs (i32.and (local.get $K) (i32.const -2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $pairs)))
      (local.set $vd (v128.load (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $ve (call $exp2 (f64x2.mul (f64x2.neg (local.get $vd)) (local.get $vb))))
      (v128.store (i32.add (local.get $e) (i32.shl (local.get $j) (i32.const 3))) (local.get $ve))
      (local.set $ej (f64x2.extract_lane 0 (local.get $ve)))
      (local.set $g (f64.add (local.get $g) (local.get $ej)))
      (local.set $g1 (f64.add (local.get $g1) (f64.mul (f64x2.extract_lane 0 (local.get $vd)) (local.get $ej))))
      (local.set $ej (f64x2.extract_lane 1 (local.get $ve)))
      (local.set $g (f64.add (local.get $g) (local.get $ej)))
      (local.set $g1 (f64.add (local.get $g1) (f64.mul (f64x2.extract_lane 1 (local.get $vd)) (local.get $ej))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $next)))
    ;; An odd last value: both lanes hold it, lane 0 is kept.
    (if (i32.lt_u (local.get $j) (local.get $K))
      (then
        (local.set $vd (v128.load64_splat (i32.add (local.get $d) (i32.shl (local.get $j) (i32.const 3)))))
        (local.set $ej (f64x2.extract_lane 0 (call $exp2 (f64x2.mul (f64x2.neg (local.get $vd)) (local.get $vb)))))
        (f64.store (i32.add (local.get $e) (i32.shl (local.get $j) (i32.const 3))) (local.get $ej))
        (local.set $g (f64.add (local.get $g) (local.get $ej)))
        (local.set $g1 (f64.add (local.get $g1) (f64.mul (f64x2.extract_lane 0 (local.get $vd)) (local.get $ej))))))
    (global.set $g1 (local.get $g1))
    (local.get $g))
)
