;; The network graph's two kernels on channel profiles (channelClusters.ts).
;;
;; `dots`: dot products of a layer's standardised channel profiles (`correlationDistances`, the
;; clustering): every pair's sum in the order the JavaScript loop adds it — the products of n = 0,
;; 1, … added one by one to a sum that starts at +0, each product and each sum rounded to float64 (a
;; multiply then an add, never fused) — so the same bits, with two pairs to a SIMD lane pair and
;; sixteen pairs a trip.
;;
;; dots(rows, t, channels, pad, count, out): rows = channel a's profile at rows + 8·(a·count + n)
;;   (row-major [channels, count]); t = the same transposed, profile value (n, b) at t + 8·(n·pad + b)
;;   with pad a multiple of 16 and columns b ≥ channels zero; writes f64 out[a·pad + b] for every
;;   a < channels and b from a + 1 rounded down to a multiple of 16 up to the next multiple of 16 at
;;   or past `channels` (entries with b ≤ a or b ≥ channels are written too, and mean nothing).
;;
;; sums(x, inputs, units, channels, out): the profiles' sums (channelClusters.ts `channelProfiles`)
;;   of float32 activations x[n, p, c] at x + 4·((n·units + p)·channels + c): out[n·channels + c] =
;;   Σ_p x[n, p, c] in float64, p = 0, 1, … added one by one to a sum that starts at +0 (each value
;;   widened exactly, each sum rounded to float64): the JavaScript loop's sums, bit for bit, read in
;;   memory order, four channels a load.
(module
  (memory (export "memory") 1)
  (func (export "dots") (param $rows i32) (param $t i32) (param $channels i32) (param $pad i32) (param $count i32) (param $out i32)
    (local $a i32) (local $b i32) (local $n i32) (local $x v128) (local $p i32) (local $r i32) (local $rEnd i32) (local $stride i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128)
    (local $o i32)
    (local.set $stride (i32.shl (local.get $pad) (i32.const 3)))
    (block $aEnd (loop $aLoop
      (br_if $aEnd (i32.ge_u (local.get $a) (local.get $channels)))
      (local.set $b (i32.and (i32.add (local.get $a) (i32.const 1)) (i32.const -16)))
      (block $bEnd (loop $bLoop
        (br_if $bEnd (i32.ge_u (local.get $b) (local.get $channels)))
        (local.set $s0 (v128.const i64x2 0 0)) (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0)) (local.set $s3 (v128.const i64x2 0 0))
        (local.set $s4 (v128.const i64x2 0 0)) (local.set $s5 (v128.const i64x2 0 0))
        (local.set $s6 (v128.const i64x2 0 0)) (local.set $s7 (v128.const i64x2 0 0))
        (local.set $r (i32.add (local.get $rows) (i32.shl (i32.mul (local.get $a) (local.get $count)) (i32.const 3))))
        (local.set $rEnd (i32.add (local.get $r) (i32.shl (local.get $count) (i32.const 3))))
        (local.set $p (i32.add (local.get $t) (i32.shl (local.get $b) (i32.const 3))))
        ;; One input a trip: profile a's value against sixteen channels' values of that input.
        (block $nEnd (loop $nLoop
          (br_if $nEnd (i32.ge_u (local.get $r) (local.get $rEnd)))
          (local.set $x (v128.load64_splat (local.get $r)))
          (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $x) (v128.load offset=0 (local.get $p)))))
          (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $x) (v128.load offset=16 (local.get $p)))))
          (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $x) (v128.load offset=32 (local.get $p)))))
          (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $x) (v128.load offset=48 (local.get $p)))))
          (local.set $s4 (f64x2.add (local.get $s4) (f64x2.mul (local.get $x) (v128.load offset=64 (local.get $p)))))
          (local.set $s5 (f64x2.add (local.get $s5) (f64x2.mul (local.get $x) (v128.load offset=80 (local.get $p)))))
          (local.set $s6 (f64x2.add (local.get $s6) (f64x2.mul (local.get $x) (v128.load offset=96 (local.get $p)))))
          (local.set $s7 (f64x2.add (local.get $s7) (f64x2.mul (local.get $x) (v128.load offset=112 (local.get $p)))))
          (local.set $r (i32.add (local.get $r) (i32.const 8)))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (br $nLoop)))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $pad)) (local.get $b)) (i32.const 3))))
        (v128.store offset=0 (local.get $o) (local.get $s0))
        (v128.store offset=16 (local.get $o) (local.get $s1))
        (v128.store offset=32 (local.get $o) (local.get $s2))
        (v128.store offset=48 (local.get $o) (local.get $s3))
        (v128.store offset=64 (local.get $o) (local.get $s4))
        (v128.store offset=80 (local.get $o) (local.get $s5))
        (v128.store offset=96 (local.get $o) (local.get $s6))
        (v128.store offset=112 (local.get $o) (local.get $s7))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $bLoop)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $aLoop)))
  )
  (func (export "sums") (param $x i32) (param $inputs i32) (param $units i32) (param $channels i32) (param $out i32)
    (local $n i32) (local $p i32) (local $c i32) (local $quads i32) (local $row i32) (local $o i32) (local $a i32) (local $v v128)
    (local.set $quads (i32.and (local.get $channels) (i32.const -4)))
    (local.set $row (local.get $x))
    (block $nEnd (loop $nLoop
      (br_if $nEnd (i32.ge_u (local.get $n) (local.get $inputs)))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $n) (local.get $channels)) (i32.const 3))))
      (memory.fill (local.get $o) (i32.const 0) (i32.shl (local.get $channels) (i32.const 3)))
      (local.set $p (i32.const 0))
      (block $pEnd (loop $pLoop
        (br_if $pEnd (i32.ge_u (local.get $p) (local.get $units)))
        ;; Four channels a load: lanes 0–1 widened into one f64x2, lanes 2–3 into the next.
        (local.set $c (i32.const 0))
        (block $qEnd (loop $qLoop
          (br_if $qEnd (i32.ge_u (local.get $c) (local.get $quads)))
          (local.set $v (v128.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
          (local.set $a (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 3))))
          (v128.store offset=0 (local.get $a)
            (f64x2.add (v128.load offset=0 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $v))))
          (v128.store offset=16 (local.get $a)
            (f64x2.add (v128.load offset=16 (local.get $a))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $qLoop)))
        (block $cEnd (loop $cLoop
          (br_if $cEnd (i32.ge_u (local.get $c) (local.get $channels)))
          (local.set $a (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 3))))
          (f64.store (local.get $a)
            (f64.add (f64.load (local.get $a)) (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cLoop)))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $channels) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pLoop)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nLoop)))
  )
)
