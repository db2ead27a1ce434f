;; Float32 dot products of rows of one matrix: the screening pass of the channel capacity's pair
;; distances (distanceCodes.ts). Twice the lanes of gram.wat's float64 kernel; distanceCodes.ts
;; bounds the rounding error of every entry and recomputes in float64 (gram.wat's order) the few
;; pairs whose bin the error could change, so the capacity's codes stay the float64 ones.
;;
;; Layout: row r of X occupies D float32 values at x + r·D·4. D must be a multiple of 8 and the
;; caller pads the row count so that every 2×4 tile it asks for exists (padding rows are zeros).
;;
;; dist32(x, D, i0, i1, j0, j1, norms, out, ldo): out[(i - i0)·ldo + (j - j0)] (float64) = the
;;   distance of rows i and j from the float32 dot product g = x_i · x_j and the float64 squared
;;   norms (norms + 8·r): sq = (|x_i|² + |x_j|²) − 2g, √sq when sq > 0, else 0 — the arithmetic of
;;   distances.ts with g in float32. For i in [i0, i1) step 2, j in [j0, j1) step 4. Each g sums
;;   four lanes of D/4 products (lane k takes the coordinates ≡ k mod 4), then
;;   (lane0 + lane2) + (lane1 + lane3), four entries at once (two shuffles and an add per level), and
;;   the four distances in two f64x2 steps.
;;
;; binRow(dist, count, ni, ri, norms, roots, codes, lo, hi, bins, c0, c1, c2): for the `count`
;;   pairs of one row (an even count may be read and written one past the end), the bin of each
;;   distance v when its error bound e (distanceCodes.ts) cannot change it, else 255:
;;   esq = c1·ri·rj + c0 + c2·(ni + nj); e = (esq / v if v² ≥ esq, else √esq)·(1 + 2⁻²⁰) + v·2⁻⁵⁰,
;;   e = 0 when ri·rj = 0; the bins of max(v − e, lo) and min(v + e, hi) by binning.ts's binOf
;;   arithmetic must agree. Each code is also counted in `tally` (two i32 tables of 256, one per
;;   lane, 255 included), which the caller zeroes first.
;;
;; binRows(dist, n, norms, roots, codes, lo, hi, bins, c0, c1, c2, tally): binRow for every row
;;   i < n − 1 of the condensed pairs, in order (row i's pairs at dist + 8p and codes + p, p the row's
;;   first pair; its ni, ri at norms + 8i, roots + 8i and the other samples' from i + 1 on): one call
;;   where a call a row from JavaScript went through V8's generic wrapper (14 arguments) 500 times a channel.
;;
;; minMax(ptr, count, out): the least and greatest of `count` float64 values (count ≥ 1) at out, out + 8.
;;
;; norms64(x, D, n, out): f64 out[r] = |x_r|² of rows r < n in the float64 kernel's order
;;   (distances.ts squaredNorms, gram.wat): the products of float32 coordinates are exact in float64,
;;   lane 0 sums the even coordinates in order, lane 1 the odd ones, then lane 0 + lane 1 (a row's
;;   zero padding adds +0, which changes no sum). Two rows per trip, for two independent chains.
;;
;; exact64(x, D, i, j, ni, nj): the float64 kernel's distance of rows i and j, bit for bit:
;;   g = x_i · x_j summed as norms64 sums, sq = (ni + nj) − 2g, √sq when sq > 0, else 0.
;;
;; outside(ptr, count, lo, hi, out): the indices k < count, ascending, of the float64 values at ptr
;;   that are not strictly between lo and hi (v ≤ lo, v ≥ hi or NaN), written as i32 at out (room
;;   for `count` of them); returns how many. Two values per step; a step with none is one compare.
(module
  (memory (export "memory") 1)
  (func (export "dist32") (param $x i32) (param $D i32) (param $i0 i32) (param $i1 i32)
        (param $j0 i32) (param $j1 i32) (param $norms i32) (param $out i32) (param $ldo i32)
    (local $ni0 f64) (local $ni1 f64) (local $nj i32) (local $s01 v128) (local $s23 v128) (local $h v128) (local $vsq v128)
    (local $i i32) (local $j i32) (local $rowBytes i32) (local $end i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $va0 v128) (local $va1 v128) (local $vb v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $p i32) (local $ldoBytes i32)
    (local.set $ldoBytes (i32.shl (local.get $ldo) (i32.const 3)))
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
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
                   (i32.sub (local.get $j) (local.get $j0))) (i32.const 3))))
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c02 (v128.const i64x2 0 0)) (local.set $c03 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c12 (v128.const i64x2 0 0)) (local.set $c13 (v128.const i64x2 0 0))
        (local.set $end (i32.add (local.get $a0) (local.get $rowBytes)))
        ;; Eight coordinates per trip (two f32x4 steps) with constant offsets.
        (block $dend (loop $dloop
          (br_if $dend (i32.ge_u (local.get $a0) (local.get $end)))
          (local.set $va0 (v128.load offset=0 (local.get $a0)))
          (local.set $va1 (v128.load offset=0 (local.get $a1)))
          (local.set $vb (v128.load offset=0 (local.get $b0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=0 (local.get $b1)))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=0 (local.get $b2)))
          (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=0 (local.get $b3)))
          (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $va0 (v128.load offset=16 (local.get $a0)))
          (local.set $va1 (v128.load offset=16 (local.get $a1)))
          (local.set $vb (v128.load offset=16 (local.get $b0)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=16 (local.get $b1)))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=16 (local.get $b2)))
          (local.set $c02 (f32x4.add (local.get $c02) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c12 (f32x4.add (local.get $c12) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $vb (v128.load offset=16 (local.get $b3)))
          (local.set $c03 (f32x4.add (local.get $c03) (f32x4.mul (local.get $va0) (local.get $vb))))
          (local.set $c13 (f32x4.add (local.get $c13) (f32x4.mul (local.get $va1) (local.get $vb))))
          (local.set $a0 (i32.add (local.get $a0) (i32.const 32)))
          (local.set $a1 (i32.add (local.get $a1) (i32.const 32)))
          (local.set $b0 (i32.add (local.get $b0) (i32.const 32)))
          (local.set $b1 (i32.add (local.get $b1) (i32.const 32)))
          (local.set $b2 (i32.add (local.get $b2) (i32.const 32)))
          (local.set $b3 (i32.add (local.get $b3) (i32.const 32)))
          (br $dloop)))
        (local.set $ni0 (f64.load (i32.add (local.get $norms) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $ni1 (f64.load offset=8 (i32.add (local.get $norms) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $nj (i32.add (local.get $norms) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $s01 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c00) (local.get $c01)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c00) (local.get $c01))))
        (local.set $s23 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c02) (local.get $c03)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c02) (local.get $c03))))
        (local.set $h (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $s01) (local.get $s23)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $s01) (local.get $s23))))
        (local.set $vsq (f64x2.sub (f64x2.add (f64x2.splat (local.get $ni0)) (v128.load offset=0 (local.get $nj))) (f64x2.mul (f64x2.splat (f64.const 2)) (f64x2.promote_low_f32x4 (local.get $h)))))
        (v128.store offset=0 (local.get $p) (v128.and (f64x2.sqrt (local.get $vsq)) (f64x2.gt (local.get $vsq) (f64x2.splat (f64.const 0)))))
        (local.set $vsq (f64x2.sub (f64x2.add (f64x2.splat (local.get $ni0)) (v128.load offset=16 (local.get $nj))) (f64x2.mul (f64x2.splat (f64.const 2)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))))
        (v128.store offset=16 (local.get $p) (v128.and (f64x2.sqrt (local.get $vsq)) (f64x2.gt (local.get $vsq) (f64x2.splat (f64.const 0)))))
        (local.set $p (i32.add (local.get $p) (local.get $ldoBytes)))
        (local.set $s01 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c10) (local.get $c11)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c10) (local.get $c11))))
        (local.set $s23 (f32x4.add (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c12) (local.get $c13)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c12) (local.get $c13))))
        (local.set $h (f32x4.add (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $s01) (local.get $s23)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $s01) (local.get $s23))))
        (local.set $vsq (f64x2.sub (f64x2.add (f64x2.splat (local.get $ni1)) (v128.load offset=0 (local.get $nj))) (f64x2.mul (f64x2.splat (f64.const 2)) (f64x2.promote_low_f32x4 (local.get $h)))))
        (v128.store offset=0 (local.get $p) (v128.and (f64x2.sqrt (local.get $vsq)) (f64x2.gt (local.get $vsq) (f64x2.splat (f64.const 0)))))
        (local.set $vsq (f64x2.sub (f64x2.add (f64x2.splat (local.get $ni1)) (v128.load offset=16 (local.get $nj))) (f64x2.mul (f64x2.splat (f64.const 2)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $h) (local.get $h))))))
        (v128.store offset=16 (local.get $p) (v128.and (f64x2.sqrt (local.get $vsq)) (f64x2.gt (local.get $vsq) (f64x2.splat (f64.const 0)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $iloop)))
  )
  ;; binRow's bins use binOf's arithmetic on two lanes, `/ 2` written as the equal `· 0.5`:
  ;; min(bins − 1, floor((((x − lo) / span)·2 − 1 + 1) · 0.5 · bins)).
  ;;
  ;; Most pairs sit well inside one bin, and a first test settles them without a division: with
  ;; k = bins / span, q = (v − lo)·k and f = floor(q), the interval [v − e, v + e] lies inside bin f
  ;; when e·k + 10⁻⁹ < g, g = min(q − f, f + 1 − q), and f < bins. binOf's value of any x in it
  ;; differs from q by at most e·k plus roundings (a few units of 2⁻⁵³·bins, under 10⁻¹³ for
  ;; 255 bins), so every x there — the pair's float64 distance among them — has bin f. As e ≤
  ;; (esq / v)·(1 + 2⁻²⁰) + v·2⁻⁵⁰ in both of e's cases (esq / v ≥ √esq when v² < esq), the test is
  ;; esq·(1 + 2⁻²⁰)·k + v²·2⁻⁵⁰·k < (g − 10⁻⁹)·v, its two sides inflated and deflated by 2⁻³⁰
  ;; against their own roundings. Two lanes that pass take f; else both take the arithmetic below
  ;; (which gives f too where the test passed: only the pairs it leaves open differ, never a code).
  (func $binRow (export "binRow") (param $dist i32) (param $count i32) (param $ni f64) (param $ri f64) (param $norms i32) (param $roots i32)
        (param $codes i32) (param $lo f64) (param $hi f64) (param $bins f64) (param $c0 f64) (param $c1 f64) (param $c2 f64)
        (param $tally i32)
    (local $at i32)
    (local $k i32) (local $v v128) (local $rr v128) (local $esq v128) (local $e v128) (local $a v128) (local $b v128) (local $r v128)
    (local $vlo v128) (local $vhi v128) (local $span v128) (local $vbins v128) (local $last v128)
    (local $vk v128) (local $k1 v128) (local $k2 v128) (local $q v128) (local $f v128) (local $g v128)
    (local.set $vk (f64x2.splat (f64.div (local.get $bins) (f64.sub (local.get $hi) (local.get $lo)))))
    (local.set $k1 (f64x2.mul (local.get $vk) (f64x2.splat (f64.const 0x1.00001p+0))))
    (local.set $k1 (f64x2.mul (local.get $k1) (f64x2.splat (f64.const 0x1.00000004p+0))))
    (local.set $k2 (f64x2.mul (local.get $vk) (f64x2.splat (f64.const 0x1.00000004p-50))))
    (local.set $vlo (f64x2.splat (local.get $lo)))
    (local.set $vhi (f64x2.splat (local.get $hi)))
    (local.set $span (f64x2.splat (f64.sub (local.get $hi) (local.get $lo))))
    (local.set $vbins (f64x2.splat (local.get $bins)))
    (local.set $last (f64x2.splat (f64.sub (local.get $bins) (f64.const 1))))
    (block $end (loop $pairs
      (br_if $end (i32.ge_s (local.get $k) (local.get $count)))
      (local.set $v (v128.load (i32.add (local.get $dist) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $rr (f64x2.mul (f64x2.splat (local.get $ri)) (v128.load (i32.add (local.get $roots) (i32.shl (local.get $k) (i32.const 3))))))
      (local.set $esq
        (f64x2.add
          (f64x2.add (f64x2.mul (f64x2.splat (local.get $c1)) (local.get $rr)) (f64x2.splat (local.get $c0)))
          (f64x2.mul (f64x2.splat (local.get $c2))
                     (f64x2.add (f64x2.splat (local.get $ni)) (v128.load (i32.add (local.get $norms) (i32.shl (local.get $k) (i32.const 3))))))))
      (local.set $q (f64x2.mul (f64x2.sub (local.get $v) (local.get $vlo)) (local.get $vk)))
      (local.set $f (f64x2.floor (local.get $q)))
      (local.set $g (f64x2.pmin (f64x2.sub (local.get $q) (local.get $f)) (f64x2.sub (f64x2.add (local.get $f) (f64x2.splat (f64.const 1))) (local.get $q))))
      (if (i64x2.all_true
            (v128.and
              (v128.and (f64x2.lt (local.get $f) (local.get $vbins)) (f64x2.ge (local.get $f) (f64x2.splat (f64.const 0))))
              (f64x2.lt
                (f64x2.add (f64x2.mul (local.get $esq) (local.get $k1)) (f64x2.mul (f64x2.mul (local.get $v) (local.get $v)) (local.get $k2)))
                (f64x2.mul (f64x2.mul (f64x2.sub (local.get $g) (f64x2.splat (f64.const 1e-9))) (local.get $v)) (f64x2.splat (f64.const 0x1.fffffff8p-1))))))
        (then (local.set $r (i32x4.trunc_sat_f64x2_u_zero (local.get $f))))
        (else
      (local.set $e
        (v128.bitselect
          (f64x2.div (local.get $esq) (local.get $v))
          (f64x2.sqrt (local.get $esq))
          (f64x2.ge (f64x2.mul (local.get $v) (local.get $v)) (local.get $esq))))
      (local.set $e
        (v128.and
          (f64x2.add (f64x2.mul (local.get $e) (f64x2.splat (f64.const 0x1.00001p+0))) (f64x2.mul (local.get $v) (f64x2.splat (f64.const 0x1p-50))))
          (f64x2.ne (local.get $rr) (f64x2.splat (f64.const 0)))))
      (local.set $a (f64x2.pmin
        (f64x2.floor
          (f64x2.mul
            (f64x2.mul
              (f64x2.add
                (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.pmax (f64x2.sub (local.get $v) (local.get $e)) (local.get $vlo)) (local.get $vlo)) (local.get $span)) (f64x2.splat (f64.const 2)))
                           (f64x2.splat (f64.const 1)))
                (f64x2.splat (f64.const 1)))
              (f64x2.splat (f64.const 0.5)))
            (local.get $vbins)))
        (local.get $last)))
      (local.set $b (f64x2.pmin
        (f64x2.floor
          (f64x2.mul
            (f64x2.mul
              (f64x2.add
                (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.pmin (f64x2.add (local.get $v) (local.get $e)) (local.get $vhi)) (local.get $vlo)) (local.get $span)) (f64x2.splat (f64.const 2)))
                           (f64x2.splat (f64.const 1)))
                (f64x2.splat (f64.const 1)))
              (f64x2.splat (f64.const 0.5)))
            (local.get $vbins)))
        (local.get $last)))
      (local.set $r (i32x4.trunc_sat_f64x2_u_zero
        (v128.bitselect (local.get $a) (f64x2.splat (f64.const 255)) (f64x2.eq (local.get $a) (local.get $b)))))))
      (i32.store8 (i32.add (local.get $codes) (local.get $k)) (i32x4.extract_lane 0 (local.get $r)))
      (i32.store8 offset=1 (i32.add (local.get $codes) (local.get $k)) (i32x4.extract_lane 1 (local.get $r)))
      ;; Counted in two tables of 256 (one per lane, so that equal codes do not wait on each other);
      ;; the second lane only when it is a pair of this row.
      (local.set $at (i32.add (local.get $tally) (i32.shl (i32x4.extract_lane 0 (local.get $r)) (i32.const 2))))
      (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
      (if (i32.lt_s (i32.add (local.get $k) (i32.const 1)) (local.get $count))
        (then
          (local.set $at (i32.add (local.get $tally) (i32.shl (i32x4.extract_lane 1 (local.get $r)) (i32.const 2))))
          (i32.store offset=1024 (local.get $at) (i32.add (i32.load offset=1024 (local.get $at)) (i32.const 1)))))
      (local.set $k (i32.add (local.get $k) (i32.const 2)))
      (br $pairs)))
  )
  (func (export "binRows") (param $dist i32) (param $n i32) (param $norms i32) (param $roots i32) (param $codes i32)
        (param $lo f64) (param $hi f64) (param $bins f64) (param $c0 f64) (param $c1 f64) (param $c2 f64) (param $tally i32)
    (local $i i32) (local $p i32) (local $count i32) (local $at i32)
    (block $end (loop $rows
      (local.set $count (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $i)))
      (br_if $end (i32.le_s (local.get $count) (i32.const 0)))
      (local.set $at (i32.shl (local.get $i) (i32.const 3)))
      (call $binRow
        (i32.add (local.get $dist) (i32.shl (local.get $p) (i32.const 3)))
        (local.get $count)
        (f64.load (i32.add (local.get $norms) (local.get $at)))
        (f64.load (i32.add (local.get $roots) (local.get $at)))
        (i32.add (i32.add (local.get $norms) (local.get $at)) (i32.const 8))
        (i32.add (i32.add (local.get $roots) (local.get $at)) (i32.const 8))
        (i32.add (local.get $codes) (local.get $p))
        (local.get $lo) (local.get $hi) (local.get $bins) (local.get $c0) (local.get $c1) (local.get $c2) (local.get $tally))
      (local.set $p (i32.add (local.get $p) (local.get $count)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
  )
  (func (export "minMax") (param $ptr i32) (param $count i32) (param $out i32)
    (local $lo v128) (local $hi v128) (local $v v128) (local $end i32)
    (local.set $lo (v128.load64_splat (local.get $ptr)))
    (local.set $hi (local.get $lo))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $count) (i32.const -2)) (i32.const 3))))
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
      (local.set $v (v128.load (local.get $ptr)))
      (local.set $lo (f64x2.pmin (local.get $lo) (local.get $v)))
      (local.set $hi (f64x2.pmax (local.get $hi) (local.get $v)))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
      (br $pairs)))
    (if (i32.and (local.get $count) (i32.const 1))
      (then
        (local.set $v (v128.load64_splat (local.get $ptr)))
        (local.set $lo (f64x2.pmin (local.get $lo) (local.get $v)))
        (local.set $hi (f64x2.pmax (local.get $hi) (local.get $v)))))
    (f64.store (local.get $out) (f64.min (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (f64.store offset=8 (local.get $out) (f64.max (f64x2.extract_lane 0 (local.get $hi)) (f64x2.extract_lane 1 (local.get $hi)))))
  (func (export "outside") (param $ptr i32) (param $count i32) (param $lo f64) (param $hi f64) (param $out i32) (result i32)
    (local $k i32) (local $found i32) (local $vlo v128) (local $vhi v128) (local $v v128) (local $in v128)
    (local.set $vlo (f64x2.splat (local.get $lo)))
    (local.set $vhi (f64x2.splat (local.get $hi)))
    (block $done (loop $pairs
      (br_if $done (i32.ge_s (i32.add (local.get $k) (i32.const 1)) (local.get $count)))
      (local.set $v (v128.load (i32.add (local.get $ptr) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $in (v128.and (f64x2.gt (local.get $v) (local.get $vlo)) (f64x2.lt (local.get $v) (local.get $vhi))))
      (if (i32.ne (i8x16.bitmask (local.get $in)) (i32.const 0xffff))
        (then
          (if (i64.eqz (i64x2.extract_lane 0 (local.get $in)))
            (then
              (i32.store (i32.add (local.get $out) (i32.shl (local.get $found) (i32.const 2))) (local.get $k))
              (local.set $found (i32.add (local.get $found) (i32.const 1)))))
          (if (i64.eqz (i64x2.extract_lane 1 (local.get $in)))
            (then
              (i32.store (i32.add (local.get $out) (i32.shl (local.get $found) (i32.const 2))) (i32.add (local.get $k) (i32.const 1)))
              (local.set $found (i32.add (local.get $found) (i32.const 1)))))))
      (local.set $k (i32.add (local.get $k) (i32.const 2)))
      (br $pairs)))
    (if (i32.lt_s (local.get $k) (local.get $count))
      (then
        (local.set $v (v128.load64_splat (i32.add (local.get $ptr) (i32.shl (local.get $k) (i32.const 3)))))
        (if (i32.eqz (i32.and (f64.gt (f64x2.extract_lane 0 (local.get $v)) (local.get $lo)) (f64.lt (f64x2.extract_lane 0 (local.get $v)) (local.get $hi))))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $found) (i32.const 2))) (local.get $k))
            (local.set $found (i32.add (local.get $found) (i32.const 1)))))))
    (local.get $found))
  (func $dot64 (param $a i32) (param $b i32) (param $end i32) (result f64)
    (local $acc v128)
    (block $done (loop $k
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $acc (f64x2.add (local.get $acc)
        (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $a))) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $b))))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (br $k)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
  (func (export "norms64") (param $x i32) (param $D i32) (param $n i32) (param $out i32)
    (local $r i32) (local $a i32) (local $b i32) (local $end i32) (local $rowBytes i32)
    (local $acc0 v128) (local $acc1 v128) (local $v v128)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
    (block $rows (loop $pair
      (br_if $rows (i32.ge_s (i32.add (local.get $r) (i32.const 1)) (local.get $n)))
      (local.set $a (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))))
      (local.set $b (i32.add (local.get $a) (local.get $rowBytes)))
      (local.set $end (local.get $b))
      (local.set $acc0 (v128.const i64x2 0 0))
      (local.set $acc1 (v128.const i64x2 0 0))
      (block $done (loop $k
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $v (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $a))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $v) (local.get $v))))
        (local.set $v (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $b))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $v) (local.get $v))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (br $k)))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3)))
        (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
      (f64.store offset=8 (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3)))
        (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1))))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $pair)))
    (if (i32.lt_s (local.get $r) (local.get $n))
      (then
        (local.set $a (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $rowBytes))))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3)))
          (call $dot64 (local.get $a) (local.get $a) (i32.add (local.get $a) (local.get $rowBytes)))))))
  (func (export "exact64") (param $x i32) (param $D i32) (param $i i32) (param $j i32) (param $ni f64) (param $nj f64) (result f64)
    (local $a i32) (local $rowBytes i32) (local $sq f64)
    (local.set $rowBytes (i32.shl (local.get $D) (i32.const 2)))
    (local.set $a (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
    (local.set $sq (f64.sub (f64.add (local.get $ni) (local.get $nj))
      (f64.mul (f64.const 2)
        (call $dot64 (local.get $a) (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $rowBytes))) (i32.add (local.get $a) (local.get $rowBytes))))))
    (select (f64.const 0) (f64.sqrt (local.get $sq)) (f64.le (local.get $sq) (f64.const 0))))
)
