;; Joint histograms of binned pair distances, four rows at once from interleaved codes (the whole
;; cost of a capacity matrix, paper 5.3.1, Fig. 8; channels² × pairs increments): the same counts
;; as joint.wat, with fewer loads and half the table bytes.
;;
;; jointQuad(col, quad, pairs, tables, out, cells, accumulate, xLogX, result):
;;   x = u16 col[p] (the column channel's bin already multiplied by the row bin count);
;;   w = u32 quad[p] holds the four rows' bins of pair p, one byte each (row k in byte k);
;;   zeroes 8 tables of `cells` u16 counts at `tables`, counts pair p into tables k (even p) or
;;   4 + k (odd p) at x + byte k of w, then writes out[k·cells + i] (i32) = tables[k][i] +
;;   tables[4 + k][i], added to what `out` holds when `accumulate` is not 0. When `result` is not 0
;;   (the last call for these rows and column), `out` is not written: instead f64 result[2k] gets
;;   table k's total count and result[2k + 1] the sum of f64 xLogX[c] (= c·log2(c), computed by
;;   the caller) over its nonzero counts c in cell order, the two sums shannonEntropyBits takes.
;;   Every cell is added, without a branch (a histogram's empty cells are many and scattered: the
;;   branch was mispredicted often): the caller's xLogX[0] is +0, and a sum that starts at +0 and
;;   adds only values ≥ +0 is never −0, so adding +0 leaves it exactly as skipping the cell did.
;; A u16 table counts at most ⌈pairs / 2⌉ pairs: callers pass at most 131,070 pairs per call.
;;
;; jointSmall(col, quad, pairs, t0, out, cells, accumulate, xLogX, result): jointQuad's counts and
;;   sums, bit for bit, for small tables (cells · 2 ≤ 2,112 bytes: 32 × 32 bins and below) and at
;;   about 1.4× its speed: x = u16 col[p] is the column's bin times twice the row bin count (a byte
;;   offset), byte k of u32 quad[p] is row k's bin doubled (interleave4 with shift 1; row bins ≤ 128),
;;   and table t sits at t0 + t·2,112, so that every increment is one byte load, one add and the
;;   load and store of its count at a constant offset (jointQuad spends a shift, a mask and two adds
;;   more on each). Four pairs a trip: p and p + 2 into tables 0..3, p + 1 and p + 3 into 4..7; the
;;   last ones by their parity, so a table still counts at most ⌈pairs / 2⌉ pairs. It zeroes the
;;   8 × 2,112 bytes at t0.
;;
;; sums(out, bins, xLogX, result): for the four square tables of bins × bins i32 counts at `out`
;; (what jointQuad writes with `result` 0), f64 result[2k] = table k's total and result[2k + 1] =
;; the sum of xLogX[c] over its nonzero counts in cell order (jointQuad's two sums, bit for bit),
;; and result[8 + 2k], result[9 + 2k] the same of the transposed table (cell (i, j) read at (j, i)):
;; the sums the joint histogram of the two channels the other way round gives, so one histogram
;; serves both cells of a symmetric capacity matrix.
;; One i32 load gives the four rows' bins (joint.wat loads each byte on its own), and the eight
;; u16 tables of 32 × 32 bins take 16 KB of the L1 cache where eight i32 tables filled it.
;;
;; interleave4(a, b, c, d, out, pairs, shift): u32 out[p] = a[p] | b[p] << 8 | c[p] << 16 | d[p] << 24 for
;; p < pairs (four rows' u8 codes into jointQuad's `quad`), each byte shifted left by `shift` (0, or
;; 1 for jointSmall's doubled bins, of codes below 128), sixteen pairs per step by shuffles.
;;
;; scale(codes, out, pairs, factor): u16 out[p] = u8 codes[p] · factor for p < pairs (a column's codes
;; as offsets into the joint tables, jointQuad's `col`; factor ≤ 255), sixteen pairs per step.
(module
  (memory (export "memory") 1)
  (func (export "jointQuad") (param $col i32) (param $quad i32) (param $pairs i32) (param $t0 i32)
        (param $out i32) (param $cells i32) (param $accumulate i32) (param $xLogX i32) (param $result i32)
    (local $p i32) (local $x i32) (local $y i32) (local $w i32) (local $v i32) (local $a i32)
    (local $t1 i32) (local $t2 i32) (local $t3 i32) (local $u0 i32) (local $u1 i32) (local $u2 i32) (local $u3 i32)
    (local $tableBytes i32) (local $k i32) (local $n i32) (local $s i32) (local $g i32) (local $total i32) (local $sum f64)
    (local.set $tableBytes (i32.shl (local.get $cells) (i32.const 1)))
    (memory.fill (local.get $t0) (i32.const 0) (i32.shl (local.get $tableBytes) (i32.const 3)))
    (local.set $t1 (i32.add (local.get $t0) (local.get $tableBytes)))
    (local.set $t2 (i32.add (local.get $t1) (local.get $tableBytes)))
    (local.set $t3 (i32.add (local.get $t2) (local.get $tableBytes)))
    (local.set $u0 (i32.add (local.get $t3) (local.get $tableBytes)))
    (local.set $u1 (i32.add (local.get $u0) (local.get $tableBytes)))
    (local.set $u2 (i32.add (local.get $u1) (local.get $tableBytes)))
    (local.set $u3 (i32.add (local.get $u2) (local.get $tableBytes)))
    ;; Two pairs per trip: p into tables 0..3, p + 1 into 4..7.
    (block $end2 (loop $loop2
      (br_if $end2 (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $pairs)))
      (local.set $x (i32.shl (i32.load16_u (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))) (i32.const 1)))
      (local.set $y (i32.shl (i32.load16_u offset=2 (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))) (i32.const 1)))
      (local.set $w (i32.load (i32.add (local.get $quad) (i32.shl (local.get $p) (i32.const 2)))))
      (local.set $v (i32.load offset=4 (i32.add (local.get $quad) (i32.shl (local.get $p) (i32.const 2)))))
      (local.set $a (i32.add (i32.add (local.get $t0) (local.get $x)) (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 1))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $u0) (local.get $y)) (i32.shl (i32.and (local.get $v) (i32.const 255)) (i32.const 1))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $t1) (local.get $x)) (i32.and (i32.shr_u (local.get $w) (i32.const 7)) (i32.const 510))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $u1) (local.get $y)) (i32.and (i32.shr_u (local.get $v) (i32.const 7)) (i32.const 510))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $t2) (local.get $x)) (i32.and (i32.shr_u (local.get $w) (i32.const 15)) (i32.const 510))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $u2) (local.get $y)) (i32.and (i32.shr_u (local.get $v) (i32.const 15)) (i32.const 510))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $t3) (local.get $x)) (i32.and (i32.shr_u (local.get $w) (i32.const 23)) (i32.const 510))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (i32.add (local.get $u3) (local.get $y)) (i32.and (i32.shr_u (local.get $v) (i32.const 23)) (i32.const 510))))
      (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br $loop2)))
    ;; An odd count leaves one pair, for tables 0..3.
    (if (i32.lt_u (local.get $p) (local.get $pairs))
      (then
        (local.set $x (i32.shl (i32.load16_u (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))) (i32.const 1)))
        (local.set $w (i32.load (i32.add (local.get $quad) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $a (i32.add (i32.add (local.get $t0) (local.get $x)) (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 1))))
        (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (i32.add (local.get $t1) (local.get $x)) (i32.and (i32.shr_u (local.get $w) (i32.const 7)) (i32.const 510))))
        (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (i32.add (local.get $t2) (local.get $x)) (i32.and (i32.shr_u (local.get $w) (i32.const 15)) (i32.const 510))))
        (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (i32.add (local.get $t3) (local.get $x)) (i32.and (i32.shr_u (local.get $w) (i32.const 23)) (i32.const 510))))
        (i32.store16 (local.get $a) (i32.add (i32.load16_u (local.get $a)) (i32.const 1)))))
;; Table k's counts: c = tables[k][i] + tables[4 + k][i] (+ out[k·cells + i]), into `out` or,
    ;; when `result` is not 0, into the two sums of its entropy.
    (local.set $s (i32.shl (local.get $cells) (i32.const 3)))
    (local.set $k (i32.const 0))
    (local.set $g (i32.const 0))
    (block $endTables (loop $perTable
      (br_if $endTables (i32.ge_u (local.get $g) (i32.const 4)))
      (local.set $n (i32.add (local.get $k) (local.get $cells)))
      (local.set $total (i32.const 0))
      (local.set $sum (f64.const 0))
      (block $endSum (loop $sum
        (br_if $endSum (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $a (i32.add (local.get $t0) (i32.shl (local.get $k) (i32.const 1))))
        (local.set $x (i32.add (i32.load16_u (local.get $a)) (i32.load16_u (i32.add (local.get $a) (local.get $s)))))
        (local.set $a (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2))))
        (if (local.get $accumulate) (then (local.set $x (i32.add (local.get $x) (i32.load (local.get $a))))))
        (if (local.get $result)
          (then
            (local.set $total (i32.add (local.get $total) (local.get $x)))
            (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $xLogX) (i32.shl (local.get $x) (i32.const 3))))))
          )
          (else (i32.store (local.get $a) (local.get $x))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $sum)))
      (if (local.get $result)
        (then
          (local.set $a (i32.add (local.get $result) (i32.shl (local.get $g) (i32.const 4))))
          (f64.store (local.get $a) (f64.convert_i32_u (local.get $total)))
          (f64.store offset=8 (local.get $a) (local.get $sum))))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $perTable)))
  )
  (func (export "jointSmall") (param $col i32) (param $quad i32) (param $pairs i32) (param $t0 i32)
        (param $out i32) (param $cells i32) (param $accumulate i32) (param $xLogX i32) (param $result i32)
    (local $p i32) (local $c i32) (local $q i32) (local $a i32) (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $g i32) (local $i i32) (local $base i32) (local $n i32) (local $total i32) (local $sum f64)
    (memory.fill (local.get $t0) (i32.const 0) (i32.const 16896))
    ;; Four pairs per trip: p and p + 2 into tables 0..3, p + 1 and p + 3 into 4..7. x = the column's
    ;; table offset plus t0; byte k of the quad word is row k's doubled bin; table t at offset t·2112.
    (block $end4 (loop $loop4
      (br_if $end4 (i32.ge_u (i32.add (local.get $p) (i32.const 3)) (local.get $pairs)))
      (local.set $c (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1))))
      (local.set $x0 (i32.add (local.get $t0) (i32.load16_u offset=0 (local.get $c))))
      (local.set $x1 (i32.add (local.get $t0) (i32.load16_u offset=2 (local.get $c))))
      (local.set $x2 (i32.add (local.get $t0) (i32.load16_u offset=4 (local.get $c))))
      (local.set $x3 (i32.add (local.get $t0) (i32.load16_u offset=6 (local.get $c))))
      (local.set $q (i32.add (local.get $quad) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=0 (local.get $q))))
      (i32.store16 offset=0 (local.get $a) (i32.add (i32.load16_u offset=0 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x1) (i32.load8_u offset=4 (local.get $q))))
      (i32.store16 offset=8448 (local.get $a) (i32.add (i32.load16_u offset=8448 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x2) (i32.load8_u offset=8 (local.get $q))))
      (i32.store16 offset=0 (local.get $a) (i32.add (i32.load16_u offset=0 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x3) (i32.load8_u offset=12 (local.get $q))))
      (i32.store16 offset=8448 (local.get $a) (i32.add (i32.load16_u offset=8448 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=1 (local.get $q))))
      (i32.store16 offset=2112 (local.get $a) (i32.add (i32.load16_u offset=2112 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x1) (i32.load8_u offset=5 (local.get $q))))
      (i32.store16 offset=10560 (local.get $a) (i32.add (i32.load16_u offset=10560 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x2) (i32.load8_u offset=9 (local.get $q))))
      (i32.store16 offset=2112 (local.get $a) (i32.add (i32.load16_u offset=2112 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x3) (i32.load8_u offset=13 (local.get $q))))
      (i32.store16 offset=10560 (local.get $a) (i32.add (i32.load16_u offset=10560 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=2 (local.get $q))))
      (i32.store16 offset=4224 (local.get $a) (i32.add (i32.load16_u offset=4224 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x1) (i32.load8_u offset=6 (local.get $q))))
      (i32.store16 offset=12672 (local.get $a) (i32.add (i32.load16_u offset=12672 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x2) (i32.load8_u offset=10 (local.get $q))))
      (i32.store16 offset=4224 (local.get $a) (i32.add (i32.load16_u offset=4224 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x3) (i32.load8_u offset=14 (local.get $q))))
      (i32.store16 offset=12672 (local.get $a) (i32.add (i32.load16_u offset=12672 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=3 (local.get $q))))
      (i32.store16 offset=6336 (local.get $a) (i32.add (i32.load16_u offset=6336 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x1) (i32.load8_u offset=7 (local.get $q))))
      (i32.store16 offset=14784 (local.get $a) (i32.add (i32.load16_u offset=14784 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x2) (i32.load8_u offset=11 (local.get $q))))
      (i32.store16 offset=6336 (local.get $a) (i32.add (i32.load16_u offset=6336 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x3) (i32.load8_u offset=15 (local.get $q))))
      (i32.store16 offset=14784 (local.get $a) (i32.add (i32.load16_u offset=14784 (local.get $a)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $loop4)))
    ;; The last pairs one at a time, into the tables their parity picks (so tables 0..3 count ⌈pairs / 2⌉ at most).
    (block $end1 (loop $loop1
      (br_if $end1 (i32.ge_u (local.get $p) (local.get $pairs)))
      (local.set $x0 (i32.add (i32.add (local.get $t0) (i32.load16_u (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))))
        (i32.mul (i32.and (local.get $p) (i32.const 1)) (i32.const 8448))))
      (local.set $q (i32.add (local.get $quad) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=0 (local.get $q))))
      (i32.store16 offset=0 (local.get $a) (i32.add (i32.load16_u offset=0 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=1 (local.get $q))))
      (i32.store16 offset=2112 (local.get $a) (i32.add (i32.load16_u offset=2112 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=2 (local.get $q))))
      (i32.store16 offset=4224 (local.get $a) (i32.add (i32.load16_u offset=4224 (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $x0) (i32.load8_u offset=3 (local.get $q))))
      (i32.store16 offset=6336 (local.get $a) (i32.add (i32.load16_u offset=6336 (local.get $a)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $loop1)))
    ;; Table g's counts: c = tables[g][i] + tables[4 + g][i] (+ out[g·cells + i]), into `out` or,
    ;; when `result` is not 0, into the two sums of its entropy (jointQuad's, in the same order).
    (block $endTables (loop $perTable
      (br_if $endTables (i32.ge_u (local.get $g) (i32.const 4)))
      (local.set $base (i32.add (local.get $t0) (i32.mul (local.get $g) (i32.const 2112))))
      (local.set $n (i32.mul (local.get $g) (local.get $cells)))
      (local.set $total (i32.const 0))
      (local.set $sum (f64.const 0))
      (local.set $i (i32.const 0))
      (block $endSum (loop $sum
        (br_if $endSum (i32.ge_u (local.get $i) (local.get $cells)))
        (local.set $a (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 1))))
        (local.set $c (i32.add (i32.load16_u (local.get $a)) (i32.load16_u offset=8448 (local.get $a))))
        (local.set $a (i32.add (local.get $out) (i32.shl (i32.add (local.get $n) (local.get $i)) (i32.const 2))))
        (if (local.get $accumulate) (then (local.set $c (i32.add (local.get $c) (i32.load (local.get $a))))))
        (if (local.get $result)
          (then
            (local.set $total (i32.add (local.get $total) (local.get $c)))
            (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $xLogX) (i32.shl (local.get $c) (i32.const 3))))))
          )
          (else (i32.store (local.get $a) (local.get $c))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sum)))
      (if (local.get $result)
        (then
          (local.set $a (i32.add (local.get $result) (i32.shl (local.get $g) (i32.const 4))))
          (f64.store (local.get $a) (f64.convert_i32_u (local.get $total)))
          (f64.store offset=8 (local.get $a) (local.get $sum))))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $perTable)))
  )
  (func (export "sums") (param $out i32) (param $bins i32) (param $xLogX i32) (param $result i32)
    (local $g i32) (local $base i32) (local $i i32) (local $j i32) (local $c i32) (local $total i32)
    (local $direct f64) (local $transposed f64) (local $cells i32) (local $at i32)
    (local.set $cells (i32.mul (local.get $bins) (local.get $bins)))
    (block $endTables (loop $perTable
      (br_if $endTables (i32.ge_u (local.get $g) (i32.const 4)))
      (local.set $base (i32.add (local.get $out) (i32.shl (i32.mul (local.get $g) (local.get $cells)) (i32.const 2))))
      (local.set $total (i32.const 0))
      (local.set $direct (f64.const 0))
      (local.set $transposed (f64.const 0))
      ;; Cell order: i · bins + j.
      (local.set $i (i32.const 0))
      (block $endDirect (loop $direct
        (br_if $endDirect (i32.ge_u (local.get $i) (local.get $cells)))
        (local.set $c (i32.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $total (i32.add (local.get $total) (local.get $c)))
        (local.set $direct (f64.add (local.get $direct) (f64.load (i32.add (local.get $xLogX) (i32.shl (local.get $c) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $direct)))
      ;; Transposed order: cell j · bins + i for i, then j.
      (local.set $i (i32.const 0))
      (block $endRows (loop $rows
        (br_if $endRows (i32.ge_u (local.get $i) (local.get $bins)))
        (local.set $j (i32.const 0))
        (block $endColumns (loop $columns
          (br_if $endColumns (i32.ge_u (local.get $j) (local.get $bins)))
          (local.set $c (i32.load (i32.add (local.get $base)
            (i32.shl (i32.add (i32.mul (local.get $j) (local.get $bins)) (local.get $i)) (i32.const 2)))))
          (local.set $transposed (f64.add (local.get $transposed) (f64.load (i32.add (local.get $xLogX) (i32.shl (local.get $c) (i32.const 3))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $columns)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
      (local.set $at (i32.add (local.get $result) (i32.shl (local.get $g) (i32.const 4))))
      (f64.store (local.get $at) (f64.convert_i32_u (local.get $total)))
      (f64.store offset=8 (local.get $at) (local.get $direct))
      (f64.store offset=64 (local.get $at) (f64.convert_i32_u (local.get $total)))
      (f64.store offset=72 (local.get $at) (local.get $transposed))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $perTable)))
  )
  (func (export "interleave4") (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $out i32) (param $pairs i32) (param $shift i32)
    (local $p i32) (local $ab v128) (local $cd v128) (local $ab2 v128) (local $cd2 v128) (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128) (local $o i32)
    (block $done (loop $step
      (br_if $done (i32.gt_s (i32.add (local.get $p) (i32.const 16)) (local.get $pairs)))
      (local.set $va (i8x16.shl (v128.load (i32.add (local.get $a) (local.get $p))) (local.get $shift)))
      (local.set $vb (i8x16.shl (v128.load (i32.add (local.get $b) (local.get $p))) (local.get $shift)))
      (local.set $vc (i8x16.shl (v128.load (i32.add (local.get $c) (local.get $p))) (local.get $shift)))
      (local.set $vd (i8x16.shl (v128.load (i32.add (local.get $d) (local.get $p))) (local.get $shift)))
      (local.set $ab (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $va) (local.get $vb)))
      (local.set $ab2 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $va) (local.get $vb)))
      (local.set $cd (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $vc) (local.get $vd)))
      (local.set $cd2 (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $vc) (local.get $vd)))
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 2))))
      (v128.store offset=0 (local.get $o) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $ab) (local.get $cd)))
      (v128.store offset=16 (local.get $o) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $ab) (local.get $cd)))
      (v128.store offset=32 (local.get $o) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $ab2) (local.get $cd2)))
      (v128.store offset=48 (local.get $o) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $ab2) (local.get $cd2)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $step)))
    (block $end (loop $tail
      (br_if $end (i32.ge_s (local.get $p) (local.get $pairs)))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 2))) (i32.shl
        (i32.or
          (i32.or (i32.load8_u (i32.add (local.get $a) (local.get $p))) (i32.shl (i32.load8_u (i32.add (local.get $b) (local.get $p))) (i32.const 8)))
          (i32.or (i32.shl (i32.load8_u (i32.add (local.get $c) (local.get $p))) (i32.const 16)) (i32.shl (i32.load8_u (i32.add (local.get $d) (local.get $p))) (i32.const 24))))
        (local.get $shift)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $tail)))
  )
  (func (export "scale") (param $src i32) (param $out i32) (param $pairs i32) (param $factor i32)
    (local $p i32) (local $f v128) (local $v v128) (local $o i32)
    (local.set $f (i16x8.splat (local.get $factor)))
    (block $done (loop $step
      (br_if $done (i32.gt_s (i32.add (local.get $p) (i32.const 16)) (local.get $pairs)))
      (local.set $v (v128.load (i32.add (local.get $src) (local.get $p))))
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 1))))
      (v128.store offset=0 (local.get $o) (i16x8.mul (i16x8.extend_low_i8x16_u (local.get $v)) (local.get $f)))
      (v128.store offset=16 (local.get $o) (i16x8.mul (i16x8.extend_high_i8x16_u (local.get $v)) (local.get $f)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $step)))
    (block $end (loop $tail
      (br_if $end (i32.ge_s (local.get $p) (local.get $pairs)))
      (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $p) (i32.const 1)))
        (i32.mul (i32.load8_u (i32.add (local.get $src) (local.get $p))) (local.get $factor)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $tail)))
  )
)
