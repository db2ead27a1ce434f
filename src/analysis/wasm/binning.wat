;; Min–max binning of float32 layer outputs (estimators.md "Intra-sample entropy" steps 2–3 and
;; the binning estimator): the recorder bins every value of every layer at every epoch twice, once
;; for the channel entropies and once for the binned information, and the plain-JS loops spent
;; 16–28 ns a value on it (unpredictable branches, one division at a time).
;;
;; Why hand-written WebAssembly rather than TensorFlow.js: the bins must be exactly binOf's, whose
;; arithmetic is float64 (tfjs computes in float32, which moves values across bin edges), and the
;; histograms and symbol hashes are integer bookkeeping no tensor operation expresses. Here the
;; arithmetic runs two float64 lanes at a time, operation for operation as binOf writes it:
;;   z = ((v - lo) / span) · 2 - 1,   b = min(B - 1, floor((z + 1) / 2 · B)),
;; with (z + 1) / 2 computed as (z + 1) · 0.5: both are the correctly rounded value of the same
;; real number (halving is exact except in the subnormal range, where both round it alike), so
;; the bits are the same. min(B - 1, b) is f64x2.pmin(B - 1, b) = (b < B - 1 ? b : B - 1), the
;; JS comparison's semantics. v === lo needs no branch: it gives 0 / span = 0, z = -1, bin 0 by the
;; arithmetic itself. A span of 0 (every finite value equal) is passed as 1 by the caller, which
;; gives the same bin 0 to every finite value. Non-finite values get the code B (one past the last
;; bin): the binned estimator's code for them, and a slot the channel histograms never read.
;; Min and max are f32x4.pmin/pmax (= JS `v < lo ? v : lo`) on the float32 values, which widen to
;; float64 exactly; only the sign of a zero lo or hi can differ from the JS loop's, and no bin
;; depends on it (v - (±0) = v for v ≠ 0, and v = lo is bin 0 either way).
;; The vector bins are written out inline where they are used, in `codes` and `entropies` (a call
;; per four values cost a third of the time); there the bin b (an integer from 0 to B - 1 in a
;; float64) becomes an int32 as the low word of b + 2^52, which is exact, and a shuffle gathers
;; four such words. $bin1 is the scalar twin for the last d mod 4 values.
;; test/unit/analysis/binningKernel.test.ts compares every result with the plain-JS path bit for bit.
(module
  (memory (export "memory") 1)
  (global $lo (export "lo") (mut f64) (f64.const 0))
  (global $hi (export "hi") (mut f64) (f64.const 0))

  ;; The bin of one value, the scalar twin of the vector bins (same operations, same order); B for a non-finite v.
  (func $bin1 (param $v f64) (param $lo f64) (param $span f64) (param $bins i32) (result i32)
    (local $b f64) (local $last f64)
    (if (f64.ne (f64.sub (local.get $v) (local.get $v)) (f64.const 0)) (then (return (local.get $bins))))
    (local.set $last (f64.convert_i32_s (i32.sub (local.get $bins) (i32.const 1))))
    (local.set $b (f64.floor (f64.mul
      (f64.mul
        (f64.add
          (f64.sub (f64.mul (f64.div (f64.sub (local.get $v) (local.get $lo)) (local.get $span)) (f64.const 2)) (f64.const 1))
          (f64.const 1))
        (f64.const 0.5))
      (f64.convert_i32_s (local.get $bins)))))
    (i32.trunc_sat_f64_s (select (local.get $b) (local.get $last) (f64.lt (local.get $b) (local.get $last)))))

  ;; range(ptr, len): min and max of the finite float32 values at ptr (into the globals lo and hi,
  ;; +Infinity and -Infinity when there is none); returns how many values are finite.
  (func (export "range") (param $ptr i32) (param $len i32) (result i32)
    (local $end i32) (local $end4 i32) (local $v v128) (local $fin v128) (local $lo v128) (local $hi v128)
    (local $n v128) (local $count i32) (local $k i32) (local $x f32) (local $l f32) (local $h f32)
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $len) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 2))))
    (local.set $lo (f32x4.splat (f32.const inf)))
    (local.set $hi (f32x4.splat (f32.const -inf)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end4)))
      (local.set $v (v128.load (local.get $ptr)))
      (local.set $fin (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (f32x4.splat (f32.const 0))))
      (local.set $lo (f32x4.pmin (local.get $lo) (v128.bitselect (local.get $v) (f32x4.splat (f32.const inf)) (local.get $fin))))
      (local.set $hi (f32x4.pmax (local.get $hi) (v128.bitselect (local.get $v) (f32x4.splat (f32.const -inf)) (local.get $fin))))
      (local.set $n (i32x4.sub (local.get $n) (local.get $fin)))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
      (br $next)))
    (local.set $l (f32x4.extract_lane 0 (local.get $lo)))
    (local.set $h (f32x4.extract_lane 0 (local.get $hi)))
    (local.set $x (f32x4.extract_lane 1 (local.get $lo))) (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
    (local.set $x (f32x4.extract_lane 2 (local.get $lo))) (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
    (local.set $x (f32x4.extract_lane 3 (local.get $lo))) (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
    (local.set $x (f32x4.extract_lane 1 (local.get $hi))) (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
    (local.set $x (f32x4.extract_lane 2 (local.get $hi))) (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
    (local.set $x (f32x4.extract_lane 3 (local.get $hi))) (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
    (local.set $count (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $n)) (i32x4.extract_lane 1 (local.get $n)))
      (i32.add (i32x4.extract_lane 2 (local.get $n)) (i32x4.extract_lane 3 (local.get $n)))))
    (block $tailDone (loop $tail
      (br_if $tailDone (i32.ge_u (local.get $ptr) (local.get $end)))
      (local.set $x (f32.load (local.get $ptr)))
      (if (f32.eq (f32.sub (local.get $x) (local.get $x)) (f32.const 0))
        (then
          (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
          (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
          (local.set $count (i32.add (local.get $count) (i32.const 1)))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
      (br $tail)))
    (global.set $lo (f64.promote_f32 (local.get $l)))
    (global.set $hi (f64.promote_f32 (local.get $h)))
    (local.get $count))

  ;; codes(ptr, count, d, bins, lo, span, out, hashes): for each of `count` inputs of d float32
  ;; values at ptr, the d codes (uint16, at out + i·d·2; a non-finite value's code is bins) and
  ;; their hash (int32 at hashes + i·4): h = 0x811c9dc5 ^ d, then h = imul(h ^ code, 0x01000193)
  ;; code by code, labelInformation.ts binRow's chain.
  (func (export "codes") (param $ptr i32) (param $count i32) (param $d i32) (param $bins i32) (param $lo f64) (param $span f64)
    (param $out i32) (param $hashes i32)
    (local $i i32) (local $u i32) (local $d4 i32) (local $h i32) (local $v v128) (local $c v128) (local $code i32)
    (local $vlo v128) (local $vspan v128) (local $vbins v128) (local $vlast v128) (local $vbinsI v128)
    (local.set $vlo (f64x2.splat (local.get $lo)))
    (local.set $vspan (f64x2.splat (local.get $span)))
    (local.set $vbins (f64x2.splat (f64.convert_i32_s (local.get $bins))))
    (local.set $vlast (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $bins) (i32.const 1)))))
    (local.set $vbinsI (i32x4.splat (local.get $bins)))
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (block $inputsDone (loop $input
      (br_if $inputsDone (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $h (i32.xor (i32.const 0x811c9dc5) (local.get $d)))
      (local.set $u (i32.const 0))
      (block $groupsDone (loop $group
        (br_if $groupsDone (i32.ge_u (local.get $u) (local.get $d4)))
        (local.set $v (v128.load (i32.add (local.get $ptr) (i32.shl (local.get $u) (i32.const 2)))))
        (local.set $c (v128.bitselect
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
              (f64x2.add (f64x2.splat (f64.const 0x1p52))
                (f64x2.pmin (local.get $vlast) (f64x2.floor (f64x2.mul
                  (f64x2.mul
                    (f64x2.add
                      (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $vlo)) (local.get $vspan)) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
                      (f64x2.splat (f64.const 1)))
                    (f64x2.splat (f64.const 0.5)))
                  (local.get $vbins)))))
              (f64x2.add (f64x2.splat (f64.const 0x1p52))
                (f64x2.pmin (local.get $vlast) (f64x2.floor (f64x2.mul
                  (f64x2.mul
                    (f64x2.add
                      (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $vlo)) (local.get $vspan)) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
                      (f64x2.splat (f64.const 1)))
                    (f64x2.splat (f64.const 0.5)))
                  (local.get $vbins))))))
            (local.get $vbinsI)
            (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (f32x4.splat (f32.const 0)))))
        (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (local.get $u) (i32.const 1)))
          (i8x16.shuffle 0 1 4 5 8 9 12 13 0 1 4 5 8 9 12 13 (local.get $c) (local.get $c)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32x4.extract_lane 0 (local.get $c))) (i32.const 0x01000193)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32x4.extract_lane 1 (local.get $c))) (i32.const 0x01000193)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32x4.extract_lane 2 (local.get $c))) (i32.const 0x01000193)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32x4.extract_lane 3 (local.get $c))) (i32.const 0x01000193)))
        (local.set $u (i32.add (local.get $u) (i32.const 4)))
        (br $group)))
      (block $tailDone (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $u) (local.get $d)))
        (local.set $code (call $bin1 (f64.promote_f32 (f32.load (i32.add (local.get $ptr) (i32.shl (local.get $u) (i32.const 2)))))
          (local.get $lo) (local.get $span) (local.get $bins)))
        (i32.store16 (i32.add (local.get $out) (i32.shl (local.get $u) (i32.const 1))) (local.get $code))
        (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $code)) (i32.const 0x01000193)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $tail)))
      (i32.store (i32.add (local.get $hashes) (i32.shl (local.get $i) (i32.const 2))) (local.get $h))
      (local.set $ptr (i32.add (local.get $ptr) (i32.shl (local.get $d) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $input)))
  )

  ;; entropies(header): the channel histograms and entropy sums of `count` inputs of L = units·C
  ;; float32 values (channels last). The caller writes the header, 16 int32 at `header`:
  ;;   0 data, 1 count, 2 L, 3 P, 4 C, 5 bins, 6 table, 7 slotOffsets, 8 slotLo, 9 slotHi,
  ;;   10 laneLo, 11 laneSpan, 12 channelLo, 13 channelHi, 14 counts, 15 out.
  ;; Position p of an input is channel p mod C and slot p mod P, P a multiple of lcm(C, 4) (at least 16: binningKernel.ts): every vector
  ;; of 4 values meets the same 4 slots at every period, so lo, span and histogram of each lane come
  ;; from fixed addresses. Each slot has a histogram of B + 1 int32 (the last counts non-finite
  ;; values), summed over the slots of a channel before the entropy (integer sums: order-free);
  ;; consecutive equal bins (ReLU zeros) of a channel with fewer than 4 slots land in different
  ;; histograms, which keeps the increments from waiting on each other.
  ;; For each input and channel, out holds two float64: Σ_b c_b log2 c_b summed in bin order from
  ;; `table` (c log2 c for c = 0..units, computed by the caller as shannonEntropyBits does) and the
  ;; count T of finite values; T = -1 when the channel has no finite value, T = 0 (sum 0) when its
  ;; finite values are all equal. The caller takes H = log2 T - sum / T. Returns the non-finite count;
  ;; the globals lo and hi get the least and greatest finite value of the call (as `range` gives them:
  ;; +Infinity and -Infinity when there is none), so that the binned information needs no pass of its own.
  (func (export "entropies") (param $header i32) (result i32)
    (local $data i32) (local $count i32) (local $L i32) (local $P i32) (local $C i32) (local $bins i32)
    (local $table i32) (local $slotOff i32) (local $slotLo i32) (local $slotHi i32) (local $laneLo i32)
    (local $laneSpan i32) (local $chLo i32) (local $chHi i32) (local $counts i32) (local $out i32)
    (local $n i32) (local $p i32) (local $s i32) (local $L4 i32) (local $j i32) (local $c i32) (local $b i32)
    (local $stride i32) (local $rowBytes i32) (local $m i32) (local $nonFinite i32) (local $a i32) (local $end i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $t0 i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local $v v128) (local $fin v128) (local $idx v128) (local $vbins v128) (local $vlast v128) (local $vbinsI v128)
    (local $x f32) (local $l f32) (local $h f32) (local $lo f64) (local $hi f64) (local $span f64)
    (local.set $data (i32.load offset=0 (local.get $header)))
    (local.set $count (i32.load offset=4 (local.get $header)))
    (local.set $L (i32.load offset=8 (local.get $header)))
    (local.set $P (i32.load offset=12 (local.get $header)))
    (local.set $C (i32.load offset=16 (local.get $header)))
    (local.set $bins (i32.load offset=20 (local.get $header)))
    (local.set $table (i32.load offset=24 (local.get $header)))
    (local.set $slotOff (i32.load offset=28 (local.get $header)))
    (local.set $slotLo (i32.load offset=32 (local.get $header)))
    (local.set $slotHi (i32.load offset=36 (local.get $header)))
    (local.set $laneLo (i32.load offset=40 (local.get $header)))
    (local.set $laneSpan (i32.load offset=44 (local.get $header)))
    (local.set $chLo (i32.load offset=48 (local.get $header)))
    (local.set $chHi (i32.load offset=52 (local.get $header)))
    (local.set $counts (i32.load offset=56 (local.get $header)))
    (local.set $out (i32.load offset=60 (local.get $header)))
    (local.set $L4 (i32.and (local.get $L) (i32.const -4)))
    (local.set $stride (i32.and (i32.add (local.get $bins) (i32.const 4)) (i32.const -4)))
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $vbins (f64x2.splat (f64.convert_i32_s (local.get $bins))))
    (local.set $vlast (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $bins) (i32.const 1)))))
    (local.set $vbinsI (i32x4.splat (local.get $bins)))
    ;; The finite range of every value of the call, from the channels' (range's globals lo and hi).
    (global.set $lo (f64.const inf))
    (global.set $hi (f64.const -inf))
    (block $inputsDone (loop $input
      (br_if $inputsDone (i32.ge_u (local.get $n) (local.get $count)))

      ;; 1. Min and max of each slot's finite values.
      (local.set $s (i32.const 0))
      (block $initDone (loop $init
        (br_if $initDone (i32.ge_u (local.get $s) (local.get $P)))
        (v128.store (i32.add (local.get $slotLo) (i32.shl (local.get $s) (i32.const 2))) (f32x4.splat (f32.const inf)))
        (v128.store (i32.add (local.get $slotHi) (i32.shl (local.get $s) (i32.const 2))) (f32x4.splat (f32.const -inf)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $init)))
      (local.set $p (i32.const 0))
      (local.set $s (i32.const 0))
      (block $rangeDone (loop $range
        (br_if $rangeDone (i32.ge_u (local.get $p) (local.get $L4)))
        (local.set $v (v128.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $fin (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (f32x4.splat (f32.const 0))))
        (local.set $a (i32.add (local.get $slotLo) (i32.shl (local.get $s) (i32.const 2))))
        (v128.store (local.get $a) (f32x4.pmin (v128.load (local.get $a))
          (v128.bitselect (local.get $v) (f32x4.splat (f32.const inf)) (local.get $fin))))
        (local.set $a (i32.add (local.get $slotHi) (i32.shl (local.get $s) (i32.const 2))))
        (v128.store (local.get $a) (f32x4.pmax (v128.load (local.get $a))
          (v128.bitselect (local.get $v) (f32x4.splat (f32.const -inf)) (local.get $fin))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (if (i32.eq (local.get $s) (local.get $P)) (then (local.set $s (i32.const 0))))
        (br $range)))
      ;; The last L mod 4 values (their slots follow on: s + 3 < P).
      (block $rangeTailDone (loop $rangeTail
        (br_if $rangeTailDone (i32.ge_u (local.get $p) (local.get $L)))
        (local.set $x (f32.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 2)))))
        (if (f32.eq (f32.sub (local.get $x) (local.get $x)) (f32.const 0))
          (then
            (local.set $a (i32.add (local.get $slotLo) (i32.shl (local.get $s) (i32.const 2))))
            (if (f32.lt (local.get $x) (f32.load (local.get $a))) (then (f32.store (local.get $a) (local.get $x))))
            (local.set $a (i32.add (local.get $slotHi) (i32.shl (local.get $s) (i32.const 2))))
            (if (f32.gt (local.get $x) (f32.load (local.get $a))) (then (f32.store (local.get $a) (local.get $x))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $rangeTail)))

      ;; 2. Each channel's range from its slots, and each slot's lo and span (a span of 0 as 1).
      (local.set $c (i32.const 0))
      (block $channelsDone (loop $channel
        (br_if $channelsDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $l (f32.load (i32.add (local.get $slotLo) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $h (f32.load (i32.add (local.get $slotHi) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $j (i32.add (local.get $c) (local.get $C)))
        (block $slotsDone (loop $slot
          (br_if $slotsDone (i32.ge_u (local.get $j) (local.get $P)))
          (local.set $x (f32.load (i32.add (local.get $slotLo) (i32.shl (local.get $j) (i32.const 2)))))
          (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
          (local.set $x (f32.load (i32.add (local.get $slotHi) (i32.shl (local.get $j) (i32.const 2)))))
          (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
          (local.set $j (i32.add (local.get $j) (local.get $C)))
          (br $slot)))
        (f64.store (i32.add (local.get $chLo) (i32.shl (local.get $c) (i32.const 3))) (f64.promote_f32 (local.get $l)))
        (f64.store (i32.add (local.get $chHi) (i32.shl (local.get $c) (i32.const 3))) (f64.promote_f32 (local.get $h)))
        (if (f64.lt (f64.promote_f32 (local.get $l)) (global.get $lo)) (then (global.set $lo (f64.promote_f32 (local.get $l)))))
        (if (f64.gt (f64.promote_f32 (local.get $h)) (global.get $hi)) (then (global.set $hi (f64.promote_f32 (local.get $h)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $channel)))
      (local.set $j (i32.const 0))
      (local.set $c (i32.const 0))
      (block $lanesDone (loop $lane
        (br_if $lanesDone (i32.ge_u (local.get $j) (local.get $P)))
        (local.set $lo (f64.load (i32.add (local.get $chLo) (i32.shl (local.get $c) (i32.const 3)))))
        (local.set $span (f64.sub (f64.load (i32.add (local.get $chHi) (i32.shl (local.get $c) (i32.const 3)))) (local.get $lo)))
        (f64.store (i32.add (local.get $laneLo) (i32.shl (local.get $j) (i32.const 3))) (local.get $lo))
        (f64.store (i32.add (local.get $laneSpan) (i32.shl (local.get $j) (i32.const 3)))
          (select (f64.const 1) (local.get $span) (f64.eq (local.get $span) (f64.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (if (i32.eq (local.get $c) (local.get $C)) (then (local.set $c (i32.const 0))))
        (br $lane)))

      ;; 3. Histograms: every value's code counted in its slot's histogram.
      (memory.fill (local.get $counts) (i32.const 0) (i32.shl (i32.mul (local.get $P) (local.get $stride)) (i32.const 2)))
      (local.set $p (i32.const 0))
      (local.set $s (i32.const 0))
      (block $binDone (loop $bin
        (br_if $binDone (i32.ge_u (local.get $p) (local.get $L4)))
        (local.set $a (i32.add (local.get $laneLo) (i32.shl (local.get $s) (i32.const 3))))
        (local.set $j (i32.add (local.get $laneSpan) (i32.shl (local.get $s) (i32.const 3))))
        (local.set $v (v128.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $idx (i32x4.shl
          (i32x4.add
            (v128.bitselect
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                (f64x2.add (f64x2.splat (f64.const 0x1p52))
                  (f64x2.pmin (local.get $vlast) (f64x2.floor (f64x2.mul
                    (f64x2.mul
                      (f64x2.add
                        (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (v128.load (local.get $a))) (v128.load (local.get $j))) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
                        (f64x2.splat (f64.const 1)))
                      (f64x2.splat (f64.const 0.5)))
                    (local.get $vbins)))))
                (f64x2.add (f64x2.splat (f64.const 0x1p52))
                  (f64x2.pmin (local.get $vlast) (f64x2.floor (f64x2.mul
                    (f64x2.mul
                      (f64x2.add
                        (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (v128.load offset=16 (local.get $a))) (v128.load offset=16 (local.get $j))) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
                        (f64x2.splat (f64.const 1)))
                      (f64x2.splat (f64.const 0.5)))
                    (local.get $vbins))))))
              (local.get $vbinsI)
              (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (f32x4.splat (f32.const 0))))
            (v128.load (i32.add (local.get $slotOff) (i32.shl (local.get $s) (i32.const 2)))))
          (i32.const 2)))
        ;; The four byte offsets go through memory (header + 64): four loads beat four lane extractions.
        (v128.store offset=64 (local.get $header) (local.get $idx))
        (local.set $a (i32.add (local.get $counts) (i32.load offset=64 (local.get $header))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $counts) (i32.load offset=68 (local.get $header))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $counts) (i32.load offset=72 (local.get $header))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $counts) (i32.load offset=76 (local.get $header))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (if (i32.eq (local.get $s) (local.get $P)) (then (local.set $s (i32.const 0))))
        (br $bin)))
      (block $binTailDone (loop $binTail
        (br_if $binTailDone (i32.ge_u (local.get $p) (local.get $L)))
        (local.set $a (i32.add (local.get $counts) (i32.shl
          (i32.add (i32.load (i32.add (local.get $slotOff) (i32.shl (local.get $s) (i32.const 2))))
            (call $bin1 (f64.promote_f32 (f32.load (i32.add (local.get $data) (i32.shl (local.get $p) (i32.const 2)))))
              (f64.load (i32.add (local.get $laneLo) (i32.shl (local.get $s) (i32.const 3))))
              (f64.load (i32.add (local.get $laneSpan) (i32.shl (local.get $s) (i32.const 3))))
              (local.get $bins)))
          (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $binTail)))

      ;; 4. The slots' histograms added into their channel's (slot j > C into slot j mod C).
      (local.set $j (local.get $C))
      (local.set $c (i32.const 0))
      (block $foldDone (loop $fold
        (br_if $foldDone (i32.ge_u (local.get $j) (local.get $P)))
        (local.set $a (i32.add (local.get $counts) (i32.mul (local.get $j) (local.get $rowBytes))))
        (local.set $m (i32.add (local.get $counts) (i32.mul (local.get $c) (local.get $rowBytes))))
        (local.set $b (i32.const 0))
        (block $rowDone (loop $row
          (br_if $rowDone (i32.ge_u (local.get $b) (local.get $rowBytes)))
          (v128.store (i32.add (local.get $m) (local.get $b))
            (i32x4.add (v128.load (i32.add (local.get $m) (local.get $b))) (v128.load (i32.add (local.get $a) (local.get $b)))))
          (local.set $b (i32.add (local.get $b) (i32.const 16)))
          (br $row)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (if (i32.eq (local.get $c) (local.get $C)) (then (local.set $c (i32.const 0))))
        (br $fold)))

      ;; 5. Per channel: T and Σ c log2 c over its bins in bin order (shannonEntropyBits' order),
      ;; four channels side by side so that the four chains of additions overlap. c log2 c is 0
      ;; for an empty bin, and adding 0 to the sum (≥ 0) leaves it unchanged: no branch on empty bins.
      (local.set $c (i32.const 0))
      (block $quadsDone (loop $quads
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $C)))
        (local.set $r0 (i32.add (local.get $counts) (i32.mul (local.get $c) (local.get $rowBytes))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $rowBytes)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
        (local.set $s0 (f64.const 0)) (local.set $s1 (f64.const 0)) (local.set $s2 (f64.const 0)) (local.set $s3 (f64.const 0))
        (local.set $t0 (i32.const 0)) (local.set $t1 (i32.const 0)) (local.set $t2 (i32.const 0)) (local.set $t3 (i32.const 0))
        (local.set $b (i32.const 0))
        (local.set $end (i32.shl (local.get $bins) (i32.const 2)))
        (block $quadBinsDone (loop $quadBins
          (br_if $quadBinsDone (i32.ge_u (local.get $b) (local.get $end)))
          (local.set $m (i32.load (i32.add (local.get $r0) (local.get $b))))
          (local.set $t0 (i32.add (local.get $t0) (local.get $m)))
          (local.set $s0 (f64.add (local.get $s0) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))
          (local.set $m (i32.load (i32.add (local.get $r1) (local.get $b))))
          (local.set $t1 (i32.add (local.get $t1) (local.get $m)))
          (local.set $s1 (f64.add (local.get $s1) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))
          (local.set $m (i32.load (i32.add (local.get $r2) (local.get $b))))
          (local.set $t2 (i32.add (local.get $t2) (local.get $m)))
          (local.set $s2 (f64.add (local.get $s2) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))
          (local.set $m (i32.load (i32.add (local.get $r3) (local.get $b))))
          (local.set $t3 (i32.add (local.get $t3) (local.get $m)))
          (local.set $s3 (f64.add (local.get $s3) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (br $quadBins)))
        (local.set $a (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 4))))
        (f64.store offset=0 (local.get $a) (local.get $s0))
        (f64.store offset=8 (local.get $a) (f64.convert_i32_s (local.get $t0)))
        (f64.store offset=16 (local.get $a) (local.get $s1))
        (f64.store offset=24 (local.get $a) (f64.convert_i32_s (local.get $t1)))
        (f64.store offset=32 (local.get $a) (local.get $s2))
        (f64.store offset=40 (local.get $a) (f64.convert_i32_s (local.get $t2)))
        (f64.store offset=48 (local.get $a) (local.get $s3))
        (f64.store offset=56 (local.get $a) (f64.convert_i32_s (local.get $t3)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $quads)))
      ;; The last C mod 4 channels one at a time.
      (block $singlesDone (loop $singles
        (br_if $singlesDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $r0 (i32.add (local.get $counts) (i32.mul (local.get $c) (local.get $rowBytes))))
        (local.set $s0 (f64.const 0))
        (local.set $t0 (i32.const 0))
        (local.set $b (i32.const 0))
        (local.set $end (i32.shl (local.get $bins) (i32.const 2)))
        (block $singleBinsDone (loop $singleBins
          (br_if $singleBinsDone (i32.ge_u (local.get $b) (local.get $end)))
          (local.set $m (i32.load (i32.add (local.get $r0) (local.get $b))))
          (local.set $t0 (i32.add (local.get $t0) (local.get $m)))
          (local.set $s0 (f64.add (local.get $s0) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))
          (local.set $b (i32.add (local.get $b) (i32.const 4)))
          (br $singleBins)))
        (local.set $a (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 4))))
        (f64.store offset=0 (local.get $a) (local.get $s0))
        (f64.store offset=8 (local.get $a) (f64.convert_i32_s (local.get $t0)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $singles)))
      ;; A channel without finite values: T = -1; with all finite values equal: 0 and T = 0.
      ;; Non-finite values: the last count of every channel.
      (local.set $c (i32.const 0))
      (block $flagsDone (loop $flags
        (br_if $flagsDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $lo (f64.load (i32.add (local.get $chLo) (i32.shl (local.get $c) (i32.const 3)))))
        (local.set $hi (f64.load (i32.add (local.get $chHi) (i32.shl (local.get $c) (i32.const 3)))))
        (local.set $a (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.const 4))))
        (if (i32.eqz (f64.lt (local.get $lo) (local.get $hi)))
          (then
            (f64.store offset=0 (local.get $a) (f64.const 0))
            (f64.store offset=8 (local.get $a) (select (f64.const -1) (f64.const 0) (f64.gt (local.get $lo) (local.get $hi))))))
        (local.set $nonFinite (i32.add (local.get $nonFinite) (i32.load (i32.add
          (i32.add (local.get $counts) (i32.mul (local.get $c) (local.get $rowBytes))) (i32.shl (local.get $bins) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $flags)))

      (local.set $data (i32.add (local.get $data) (i32.shl (local.get $L) (i32.const 2))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $input)))
    (local.get $nonFinite))
  ;; maps(header): `entropies` for feature maps taken one at a time (a channels-first layer's maps:
  ;; one channel, C = 1), with the header's fields 0 data, 1 count (maps), 2 L (values per map),
  ;; 5 bins, 6 table, 14 counts, 15 out; the same results, bit for bit.
  ;; Per map: its finite range, then each value's bin counted in one of 16 histograms (lane k of the
  ;; j-th vector of four values into histogram 4·(j mod 4) + k, so that a run of equal bins, ReLU
  ;; zeros, increments counters that do not wait on each other), laid out bin-major, counts[b·16 + h]:
  ;; the histograms fold into one by adding 16 consecutive counters, which the fold zeroes for the next
  ;; map. The bins come from float32 arithmetic: x = (v − lo) · (B / span), b = floor x. Its error is
  ;; at most B · 2^-22.3 (three float32 roundings of a value at most B, where the span is within
  ;; [2^-90, 2^90] and v − lo ≥ 0), and binOf's own detour through z moves x by less than B · 2^-51;
  ;; so wherever x is more than B · 2^-20 from every integer from 1 up, binOf's float64 chain gives
  ;; the same floor. A vector with a lane that near (about 1 value in 10^4 at 32 bins, and the map's
  ;; largest value, x ≈ B), or every vector of a map whose span is out of that range, takes binOf's
  ;; chain itself, as `entropies` writes it. v = lo is x = 0, bin 0: a ReLU zero never takes it.
  ;; A non-finite v makes x non-finite, whose bits less those of 2^23 are at least 0x34800001 as an
  ;; unsigned integer: min_u(·, B) makes it B, the non-finite count, as it makes a finite x's bin.
  ;; The loops read their invariants (the map's lo and scale, the constants) from memory at
  ;; header + 96 (`$k`): V8 computes a value where it is used, so a splat or a division written
  ;; before a loop ran on every trip of it (twice the time).
  (func (export "maps") (param $header i32) (result i32)
    (local $data i32) (local $count i32) (local $L i32) (local $bins i32) (local $table i32) (local $counts i32) (local $out i32)
    (local $k i32) (local $n i32) (local $p i32) (local $end i32) (local $b i32) (local $a i32) (local $m i32) (local $t i32)
    (local $nonFinite i32) (local $code i32)
    (local $v v128) (local $v2 v128) (local $fin v128) (local $lo4 v128) (local $hi4 v128) (local $lo4b v128) (local $hi4b v128)
    (local $q v128) (local $r v128) (local $idx v128) (local $vlo64 v128) (local $vspan64 v128) (local $vbins v128) (local $vlast v128)
    (local $x f32) (local $l f32) (local $h f32) (local $lo f64) (local $hi f64) (local $span f64) (local $sum f64)
    (local.set $data (i32.load offset=0 (local.get $header)))
    (local.set $count (i32.load offset=4 (local.get $header)))
    (local.set $L (i32.load offset=8 (local.get $header)))
    (local.set $bins (i32.load offset=20 (local.get $header)))
    (local.set $table (i32.load offset=24 (local.get $header)))
    (local.set $counts (i32.load offset=56 (local.get $header)))
    (local.set $out (i32.load offset=60 (local.get $header)))
    (local.set $k (i32.add (local.get $header) (i32.const 96)))
    ;; $k: 0 lo, 16 scale (the map's), 32 the margin B · 2^-20, 48 1.0, 64 2^23, 80 the bits of 2^23,
    ;; 96 B, 112 the map's float64 flag, 128 .. 192 the histograms' offsets of the four vectors in
    ;; turn, 192 +Infinity, 208 -Infinity, 224 0.
    (v128.store offset=32 (local.get $k) (f32x4.splat (f32.mul (f32.convert_i32_s (local.get $bins)) (f32.const 0x1p-20))))
    (v128.store offset=48 (local.get $k) (f32x4.splat (f32.const 1)))
    (v128.store offset=64 (local.get $k) (f32x4.splat (f32.const 0x1p23)))
    (v128.store offset=80 (local.get $k) (i32x4.splat (i32.const 0x4b000000)))
    (v128.store offset=96 (local.get $k) (i32x4.splat (local.get $bins)))
    (v128.store offset=128 (local.get $k) (v128.const i32x4 0 4 8 12))
    (v128.store offset=144 (local.get $k) (v128.const i32x4 16 20 24 28))
    (v128.store offset=160 (local.get $k) (v128.const i32x4 32 36 40 44))
    (v128.store offset=176 (local.get $k) (v128.const i32x4 48 52 56 60))
    (v128.store offset=192 (local.get $k) (f32x4.splat (f32.const inf)))
    (v128.store offset=208 (local.get $k) (f32x4.splat (f32.const -inf)))
    (v128.store offset=224 (local.get $k) (f32x4.splat (f32.const 0)))
    (local.set $vbins (f64x2.splat (f64.convert_i32_s (local.get $bins))))
    (local.set $vlast (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $bins) (i32.const 1)))))
    (global.set $lo (f64.const inf))
    (global.set $hi (f64.const -inf))
    ;; The counters start at 0 (each map's fold zeroes them after).
    (memory.fill (local.get $counts) (i32.const 0) (i32.shl (i32.add (local.get $bins) (i32.const 1)) (i32.const 6)))
    (block $mapsDone (loop $map
      (br_if $mapsDone (i32.ge_u (local.get $n) (local.get $count)))
      ;; 1. The map's finite range: two pairs of accumulators.
      (local.set $lo4 (v128.load offset=192 (local.get $k))) (local.set $lo4b (local.get $lo4))
      (local.set $hi4 (v128.load offset=208 (local.get $k))) (local.set $hi4b (local.get $hi4))
      (local.set $p (local.get $data))
      (local.set $end (i32.add (local.get $data) (i32.shl (i32.and (local.get $L) (i32.const -8)) (i32.const 2))))
      (block $range8Done (loop $range8
        (br_if $range8Done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $v2 (v128.load offset=16 (local.get $p)))
        (local.set $fin (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (v128.load offset=224 (local.get $k))))
        (local.set $lo4 (f32x4.pmin (local.get $lo4) (v128.bitselect (local.get $v) (v128.load offset=192 (local.get $k)) (local.get $fin))))
        (local.set $hi4 (f32x4.pmax (local.get $hi4) (v128.bitselect (local.get $v) (v128.load offset=208 (local.get $k)) (local.get $fin))))
        (local.set $fin (f32x4.eq (f32x4.sub (local.get $v2) (local.get $v2)) (v128.load offset=224 (local.get $k))))
        (local.set $lo4b (f32x4.pmin (local.get $lo4b) (v128.bitselect (local.get $v2) (v128.load offset=192 (local.get $k)) (local.get $fin))))
        (local.set $hi4b (f32x4.pmax (local.get $hi4b) (v128.bitselect (local.get $v2) (v128.load offset=208 (local.get $k)) (local.get $fin))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $range8)))
      (local.set $lo4 (f32x4.pmin (local.get $lo4) (local.get $lo4b)))
      (local.set $hi4 (f32x4.pmax (local.get $hi4) (local.get $hi4b)))
      (local.set $l (f32x4.extract_lane 0 (local.get $lo4)))
      (local.set $h (f32x4.extract_lane 0 (local.get $hi4)))
      (local.set $x (f32x4.extract_lane 1 (local.get $lo4))) (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
      (local.set $x (f32x4.extract_lane 2 (local.get $lo4))) (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
      (local.set $x (f32x4.extract_lane 3 (local.get $lo4))) (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
      (local.set $x (f32x4.extract_lane 1 (local.get $hi4))) (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
      (local.set $x (f32x4.extract_lane 2 (local.get $hi4))) (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
      (local.set $x (f32x4.extract_lane 3 (local.get $hi4))) (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))
      (local.set $end (i32.add (local.get $data) (i32.shl (local.get $L) (i32.const 2))))
      (block $rangeTailDone (loop $rangeTail
        (br_if $rangeTailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (f32.load (local.get $p)))
        (if (f32.eq (f32.sub (local.get $x) (local.get $x)) (f32.const 0))
          (then
            (if (f32.lt (local.get $x) (local.get $l)) (then (local.set $l (local.get $x))))
            (if (f32.gt (local.get $x) (local.get $h)) (then (local.set $h (local.get $x))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $rangeTail)))
      (local.set $lo (f64.promote_f32 (local.get $l)))
      (local.set $hi (f64.promote_f32 (local.get $h)))
      (if (f64.lt (local.get $lo) (global.get $lo)) (then (global.set $lo (local.get $lo))))
      (if (f64.gt (local.get $hi) (global.get $hi)) (then (global.set $hi (local.get $hi))))
      ;; A span of 0 as 1 (every finite value bin 0); none (no finite value) takes binOf's chain.
      (local.set $span (f64.sub (local.get $hi) (local.get $lo)))
      (local.set $span (select (f64.const 1) (local.get $span) (f64.eq (local.get $span) (f64.const 0))))
      (i32.store offset=112 (local.get $k)
        (i32.eqz (i32.and (f64.ge (local.get $span) (f64.const 0x1p-90)) (f64.le (local.get $span) (f64.const 0x1p90)))))
      (v128.store offset=0 (local.get $k) (f32x4.splat (local.get $l)))
      (v128.store offset=16 (local.get $k) (f32x4.splat (f32.demote_f64 (f64.div (f64.convert_i32_s (local.get $bins)) (local.get $span)))))
      (local.set $vlo64 (f64x2.splat (local.get $lo)))
      (local.set $vspan64 (f64x2.splat (local.get $span)))

      ;; 2. The histograms.
      (local.set $p (local.get $data))
      (local.set $end (i32.add (local.get $data) (i32.shl (i32.and (local.get $L) (i32.const -4)) (i32.const 2))))
      (block $binDone (loop $bin
        (br_if $binDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $q (f32x4.mul (f32x4.sub (local.get $v) (v128.load offset=0 (local.get $k))) (v128.load offset=16 (local.get $k))))
        (local.set $r (f32x4.nearest (local.get $q)))
        (if (i32.or (i32.load offset=112 (local.get $k)) (v128.any_true (v128.and
              (f32x4.lt (f32x4.abs (f32x4.sub (local.get $q) (local.get $r))) (v128.load offset=32 (local.get $k)))
              (f32x4.ge (local.get $r) (v128.load offset=48 (local.get $k))))))
          (then
            ;; binOf's chain, as `entropies` writes it.
            (local.set $idx (v128.bitselect
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                (f64x2.add (f64x2.splat (f64.const 0x1p52))
                  (f64x2.pmin (local.get $vlast) (f64x2.floor (f64x2.mul
                    (f64x2.mul
                      (f64x2.add
                        (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $vlo64)) (local.get $vspan64)) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
                        (f64x2.splat (f64.const 1)))
                      (f64x2.splat (f64.const 0.5)))
                    (local.get $vbins)))))
                (f64x2.add (f64x2.splat (f64.const 0x1p52))
                  (f64x2.pmin (local.get $vlast) (f64x2.floor (f64x2.mul
                    (f64x2.mul
                      (f64x2.add
                        (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))) (local.get $vlo64)) (local.get $vspan64)) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
                        (f64x2.splat (f64.const 1)))
                      (f64x2.splat (f64.const 0.5)))
                    (local.get $vbins))))))
              (v128.load offset=96 (local.get $k))
              (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (v128.load offset=224 (local.get $k))))))
          (else
            ;; floor x as an integer: the bits of floor x + 2^23 less those of 2^23 (exact below 2^23).
            (local.set $idx (i32x4.min_u
              (i32x4.sub (f32x4.add (f32x4.floor (local.get $q)) (v128.load offset=64 (local.get $k))) (v128.load offset=80 (local.get $k)))
              (v128.load offset=96 (local.get $k))))))
        (local.set $idx (i32x4.add (i32x4.shl (local.get $idx) (i32.const 6))
          (v128.load offset=128 (i32.add (local.get $k) (i32.and (i32.sub (local.get $p) (local.get $data)) (i32.const 48))))))
        (local.set $a (i32.add (local.get $counts) (i32x4.extract_lane 0 (local.get $idx))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $counts) (i32x4.extract_lane 1 (local.get $idx))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $counts) (i32x4.extract_lane 2 (local.get $idx))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $counts) (i32x4.extract_lane 3 (local.get $idx))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $bin)))
      (local.set $end (i32.add (local.get $data) (i32.shl (local.get $L) (i32.const 2))))
      (block $binTailDone (loop $binTail
        (br_if $binTailDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $code (call $bin1 (f64.promote_f32 (f32.load (local.get $p))) (local.get $lo) (local.get $span) (local.get $bins)))
        (local.set $a (i32.add (local.get $counts) (i32.shl (local.get $code) (i32.const 6))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $binTail)))

      ;; 3. Per bin, in bin order: its 16 counters added (and zeroed), T and Σ c log2 c.
      (local.set $sum (f64.const 0))
      (local.set $t (i32.const 0))
      (local.set $b (i32.const 0))
      (local.set $a (local.get $counts))
      (block $foldDone (loop $fold
        (br_if $foldDone (i32.ge_u (local.get $b) (local.get $bins)))
        (local.set $v (i32x4.add
          (i32x4.add (v128.load offset=0 (local.get $a)) (v128.load offset=16 (local.get $a)))
          (i32x4.add (v128.load offset=32 (local.get $a)) (v128.load offset=48 (local.get $a)))))
        (v128.store offset=0 (local.get $a) (v128.const i32x4 0 0 0 0))
        (v128.store offset=16 (local.get $a) (v128.const i32x4 0 0 0 0))
        (v128.store offset=32 (local.get $a) (v128.const i32x4 0 0 0 0))
        (v128.store offset=48 (local.get $a) (v128.const i32x4 0 0 0 0))
        (local.set $m (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
          (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
        (local.set $t (i32.add (local.get $t) (local.get $m)))
        (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $table) (i32.shl (local.get $m) (i32.const 3))))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $fold)))
      ;; The non-finite counters (bin B).
      (local.set $v (i32x4.add
        (i32x4.add (v128.load offset=0 (local.get $a)) (v128.load offset=16 (local.get $a)))
        (i32x4.add (v128.load offset=32 (local.get $a)) (v128.load offset=48 (local.get $a)))))
      (v128.store offset=0 (local.get $a) (v128.const i32x4 0 0 0 0))
      (v128.store offset=16 (local.get $a) (v128.const i32x4 0 0 0 0))
      (v128.store offset=32 (local.get $a) (v128.const i32x4 0 0 0 0))
      (v128.store offset=48 (local.get $a) (v128.const i32x4 0 0 0 0))
      (local.set $nonFinite (i32.add (local.get $nonFinite) (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
        (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))))
      ;; Out: (Σ, T); a map without finite values (0, -1), with all finite values equal (0, 0).
      (local.set $a (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 4))))
      (if (f64.lt (local.get $lo) (local.get $hi))
        (then
          (f64.store offset=0 (local.get $a) (local.get $sum))
          (f64.store offset=8 (local.get $a) (f64.convert_i32_s (local.get $t))))
        (else
          (f64.store offset=0 (local.get $a) (f64.const 0))
          (f64.store offset=8 (local.get $a) (select (f64.const -1) (f64.const 0) (f64.gt (local.get $lo) (local.get $hi))))))
      (local.set $data (i32.add (local.get $data) (i32.shl (local.get $L) (i32.const 2))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $map)))
    (local.get $nonFinite))
  ;; bin64(ptr, len, bins, codes, counts): float64 pair distances at ptr binned as capacity.ts
  ;; `binDistances` bins them, operation for operation in float64, two lanes at a time: lo and hi =
  ;; the finite values' min and max; b = floor(((((v − lo) / (hi − lo)) · 2 − 1) + 1) / 2 · B), then
  ;; B − 1 where larger (f64x2.pmin(B − 1, b) = b < B − 1 ? b : B − 1), or 0 for every value when
  ;; hi = lo; u8 codes[i] = b and i32 counts[b] += 1 (zeroed here), a non-finite value's code B and
  ;; no count. The sign of a zero lo or hi changes no bin (see the top). B ≤ 255.
  (func (export "bin64") (param $ptr i32) (param $len i32) (param $bins i32) (param $codes i32) (param $counts i32)
    (local $p i32) (local $end i32) (local $end2 i32) (local $i i32) (local $v v128) (local $fin v128) (local $lov v128) (local $hiv v128)
    (local $lo f64) (local $hi f64) (local $x f64) (local $b v128) (local $span v128) (local $last v128) (local $nb v128) (local $code i32) (local $c i32)
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $len) (i32.const 3))))
    (local.set $end2 (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
    (local.set $lov (f64x2.splat (f64.const inf)))
    (local.set $hiv (f64x2.splat (f64.const -inf)))
    (local.set $p (local.get $ptr))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end2)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $fin (f64x2.eq (f64x2.sub (local.get $v) (local.get $v)) (f64x2.splat (f64.const 0))))
      (local.set $lov (f64x2.pmin (local.get $lov) (v128.bitselect (local.get $v) (f64x2.splat (f64.const inf)) (local.get $fin))))
      (local.set $hiv (f64x2.pmax (local.get $hiv) (v128.bitselect (local.get $v) (f64x2.splat (f64.const -inf)) (local.get $fin))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (local.set $lo (f64x2.extract_lane 0 (local.get $lov)))
    (local.set $hi (f64x2.extract_lane 0 (local.get $hiv)))
    (local.set $x (f64x2.extract_lane 1 (local.get $lov)))
    (if (f64.lt (local.get $x) (local.get $lo)) (then (local.set $lo (local.get $x))))
    (local.set $x (f64x2.extract_lane 1 (local.get $hiv)))
    (if (f64.gt (local.get $x) (local.get $hi)) (then (local.set $hi (local.get $x))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (local.set $x (f64.load (local.get $p)))
        (if (f64.eq (f64.sub (local.get $x) (local.get $x)) (f64.const 0))
          (then
            (if (f64.lt (local.get $x) (local.get $lo)) (then (local.set $lo (local.get $x))))
            (if (f64.gt (local.get $x) (local.get $hi)) (then (local.set $hi (local.get $x))))))))
    (memory.fill (local.get $counts) (i32.const 0) (i32.shl (local.get $bins) (i32.const 2)))
    (local.set $span (f64x2.splat (f64.sub (local.get $hi) (local.get $lo))))
    (local.set $lov (f64x2.splat (local.get $lo)))
    (local.set $nb (f64x2.splat (f64.convert_i32_s (local.get $bins))))
    (local.set $last (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $bins) (i32.const 1)))))
    ;; Two values a trip (the last one alone reads a lane past the end: its result is not used).
    (local.set $p (local.get $ptr))
    (local.set $i (i32.const 0))
    (block $done2 (loop $next2
      (br_if $done2 (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $fin (f64x2.eq (f64x2.sub (local.get $v) (local.get $v)) (f64x2.splat (f64.const 0))))
      (local.set $b (f64x2.pmin (local.get $last) (f64x2.floor (f64x2.mul
        (f64x2.div
          (f64x2.add
            (f64x2.sub (f64x2.mul (f64x2.div (f64x2.sub (local.get $v) (local.get $lov)) (local.get $span)) (f64x2.splat (f64.const 2))) (f64x2.splat (f64.const 1)))
            (f64x2.splat (f64.const 1)))
          (f64x2.splat (f64.const 2)))
        (local.get $nb)))))
      ;; hi = lo: bin 0 for every finite value.
      (if (f64.eq (local.get $hi) (local.get $lo)) (then (local.set $b (f64x2.splat (f64.const 0)))))
      ;; Lane 0.
      (local.set $code (local.get $bins))
      (if (i32x4.extract_lane 0 (local.get $fin))
        (then
          (local.set $code (i32.trunc_f64_s (f64x2.extract_lane 0 (local.get $b))))
          (local.set $c (i32.add (local.get $counts) (i32.shl (local.get $code) (i32.const 2))))
          (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.const 1)))))
      (i32.store8 (i32.add (local.get $codes) (local.get $i)) (local.get $code))
      ;; Lane 1, when there is a value there.
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $len))
        (then
          (local.set $code (local.get $bins))
          (if (i32x4.extract_lane 2 (local.get $fin))
            (then
              (local.set $code (i32.trunc_f64_s (f64x2.extract_lane 1 (local.get $b))))
              (local.set $c (i32.add (local.get $counts) (i32.shl (local.get $code) (i32.const 2))))
              (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.const 1)))))
          (i32.store8 (i32.add (local.get $codes) (i32.add (local.get $i) (i32.const 1))) (local.get $code))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $next2)))
  )
)
