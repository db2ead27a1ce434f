;; Training-mode batch normalisation in one forward and one backward kernel, run inside
;; TensorFlow.js's own WebAssembly heap (the module imports the memory of
;; @tensorflow/tfjs-backend-wasm; pointers are byte offsets of tensors in that heap).
;;
;; Why: tfjs-layers normalises a batch in training with `moments` and `batchNorm`, a dozen kernels
;; whose gradients the tape records one by one, each keeping its own full-size intermediates
;; (differences from the mean, their squares, normalised values, broadcast scales, ...) until the
;; backward pass, in a heap that never shrinks. These two kernels keep only what the backward pass
;; needs: the input, the batch mean and the batch variance.
;;
;; Layout: x is [rows, C] (channels last: every position of every input is a row), C a multiple
;; of 4. Sums run over the rows in float64 (as wide as the CPU backend's reductions), four channels
;; at a time, accumulators in `scratch`.
;;
;; bnForward(x, gamma, beta, y, mean, variance, scratch, rows, C, epsilon)       scratch: 12·C bytes
;;   mean[c] = Σ x / rows;  variance[c] = Σ (x − mean)² / rows  (biased, as tfjs's `moments`);
;;   y = (x − mean) · gamma / √(variance + epsilon) + beta.
;; bnBackward(x, dy, mean, variance, gamma, dx, dgamma, dbeta, scratch, rows, C, epsilon)
;;                                                                              scratch: 28·C bytes
;;   with s = 1 / √(variance + epsilon) and d = x − mean:
;;   dbeta[c] = Σ dy;  dgamma[c] = s · Σ dy·d;
;;   dx = gamma · s · (dy − Σ dy / rows − d · s² · Σ dy·d / rows), which is the gradient through the
;;   normalisation and through the batch mean and variance both (the stock tape's result).
;; bnInference(x, mean, variance, offset, scale, y, scratch, rows, C, epsilon)    scratch: 16·C bytes
;;   y = offset + (x − mean) · scale / √(variance + epsilon), with given statistics (inference,
;;   tfjs's `FusedBatchNorm` kernel), exactly as the stock WebAssembly kernel rounds it (found by
;;   comparing bits): n = √(variance + epsilon) and t = (x − mean) · scale in float32, then
;;   t / n + offset in float64, rounded to float32 once. Four channels at a time where the stock
;;   kernel goes value by value with four index wrap-arounds (≈ 8× as fast). Any C.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; acc[c..c+3] (float64 at `acc` + 8c) += v (four float32 lanes).
  (func $accumulate (param $acc i32) (param $v v128)
    (v128.store (local.get $acc)
      (f64x2.add (v128.load (local.get $acc)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $acc)
      (f64x2.add (v128.load offset=16 (local.get $acc))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; acc[c..c+3] += a · b, the product of the four lanes taken in float64.
  (func $accumulateProduct (param $acc i32) (param $a v128) (param $b v128)
    (v128.store (local.get $acc)
      (f64x2.add (v128.load (local.get $acc))
        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))))
    (v128.store offset=16 (local.get $acc)
      (f64x2.add (v128.load offset=16 (local.get $acc))
        (f64x2.mul
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))))

  (func (export "bnInference")
        (param $x i32) (param $mean i32) (param $variance i32) (param $offset i32) (param $scale i32)
        (param $y i32) (param $scratch i32) (param $rows i32) (param $C i32) (param $epsilon f32)
    (local $c i32) (local $c4 i32) (local $r i32) (local $px i32) (local $py i32) (local $k i32)
    (local $norm i32) (local $shift i32) (local $t v128)
    ;; scratch: n[c] = √(variance[c] + epsilon) (float32, widened) at 8c, offset[c] widened at 8C + 8c.
    (local.set $norm (local.get $scratch))
    (local.set $shift (i32.add (local.get $scratch) (i32.shl (local.get $C) (i32.const 3))))
    (local.set $c (i32.const 0))
    (block $done (loop $channel
      (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
      (f64.store (i32.add (local.get $norm) (i32.shl (local.get $c) (i32.const 3)))
        (f64.promote_f32 (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (i32.shl (local.get $c) (i32.const 2)))) (local.get $epsilon)))))
      (f64.store (i32.add (local.get $shift) (i32.shl (local.get $c) (i32.const 3)))
        (f64.promote_f32 (f32.load (i32.add (local.get $offset) (i32.shl (local.get $c) (i32.const 2))))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $channel)))
    ;; The channels whole vectors of four cover.
    (local.set $c4 (i32.and (local.get $C) (i32.const -4)))
    (local.set $px (local.get $x))
    (local.set $py (local.get $y))
    (local.set $r (i32.const 0))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (block $vectorsDone (loop $vector
        (br_if $vectorsDone (i32.ge_u (local.get $c) (local.get $c4)))
        (local.set $k (i32.shl (local.get $c) (i32.const 2)))
        (local.set $t
          (f32x4.mul
            (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $k))) (v128.load (i32.add (local.get $mean) (local.get $k))))
            (v128.load (i32.add (local.get $scale) (local.get $k)))))
        (local.set $k (i32.shl (local.get $c) (i32.const 3)))
        (v128.store (i32.add (local.get $py) (i32.shl (local.get $c) (i32.const 2)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero
              (f64x2.add
                (f64x2.div (f64x2.promote_low_f32x4 (local.get $t)) (v128.load (i32.add (local.get $norm) (local.get $k))))
                (v128.load (i32.add (local.get $shift) (local.get $k)))))
            (f32x4.demote_f64x2_zero
              (f64x2.add
                (f64x2.div
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t)))
                  (v128.load offset=16 (i32.add (local.get $norm) (local.get $k))))
                (v128.load offset=16 (i32.add (local.get $shift) (local.get $k)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $vector)))
      (block $tailDone (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $k (i32.shl (local.get $c) (i32.const 2)))
        (f32.store (i32.add (local.get $py) (local.get $k))
          (f32.demote_f64
            (f64.add
              (f64.div
                (f64.promote_f32
                  (f32.mul
                    (f32.sub (f32.load (i32.add (local.get $px) (local.get $k))) (f32.load (i32.add (local.get $mean) (local.get $k))))
                    (f32.load (i32.add (local.get $scale) (local.get $k)))))
                (f64.load (i32.add (local.get $norm) (i32.shl (local.get $c) (i32.const 3)))))
              (f64.load (i32.add (local.get $shift) (i32.shl (local.get $c) (i32.const 3)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tail)))
      (local.set $px (i32.add (local.get $px) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $py (i32.add (local.get $py) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row))))

  (func (export "bnForward")
        (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32) (param $mean i32)
        (param $variance i32) (param $scratch i32) (param $rows i32) (param $C i32) (param $epsilon f32)
    (local $cb i32) (local $c i32) (local $px i32) (local $py i32) (local $end i32) (local $scale i32)
    (local $n f64) (local $d v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $cb))))
    (local.set $scale (i32.add (local.get $scratch) (i32.shl (local.get $C) (i32.const 3))))
    (local.set $n (f64.convert_i32_u (local.get $rows)))
    ;; Pass 1: the sums of x.
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $C) (i32.const 3)))
    (local.set $px (local.get $x))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $px) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $rowDone (loop $channel
        (br_if $rowDone (i32.ge_u (local.get $c) (local.get $cb)))
        (call $accumulate (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 1)))
          (v128.load (i32.add (local.get $px) (local.get $c))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $channel)))
      (local.set $px (i32.add (local.get $px) (local.get $cb)))
      (br $row)))
    (local.set $c (i32.const 0))
    (block $done (loop $channel
      (br_if $done (i32.ge_u (local.get $c) (local.get $cb)))
      (f32.store (i32.add (local.get $mean) (local.get $c))
        (f32.demote_f64 (f64.div (f64.load (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 1)))) (local.get $n))))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $channel)))
    ;; Pass 2: the sums of squared differences from the (float32) mean.
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $C) (i32.const 3)))
    (local.set $px (local.get $x))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $px) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $rowDone (loop $channel
        (br_if $rowDone (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $c))) (v128.load (i32.add (local.get $mean) (local.get $c)))))
        (call $accumulateProduct (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 1))) (local.get $d) (local.get $d))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $channel)))
      (local.set $px (i32.add (local.get $px) (local.get $cb)))
      (br $row)))
    ;; The variance, and each channel's scale gamma / √(variance + epsilon).
    (local.set $c (i32.const 0))
    (block $done (loop $channel
      (br_if $done (i32.ge_u (local.get $c) (local.get $cb)))
      (f32.store (i32.add (local.get $variance) (local.get $c))
        (f32.demote_f64 (f64.div (f64.load (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 1)))) (local.get $n))))
      (f32.store (i32.add (local.get $scale) (local.get $c))
        (f32.div (f32.load (i32.add (local.get $gamma) (local.get $c)))
          (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (local.get $c))) (local.get $epsilon)))))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $channel)))
    ;; Pass 3: y = (x − mean) · scale + beta.
    (local.set $px (local.get $x))
    (local.set $py (local.get $y))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $px) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $rowDone (loop $channel
        (br_if $rowDone (i32.ge_u (local.get $c) (local.get $cb)))
        (v128.store (i32.add (local.get $py) (local.get $c))
          (f32x4.add
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $c))) (v128.load (i32.add (local.get $mean) (local.get $c))))
              (v128.load (i32.add (local.get $scale) (local.get $c))))
            (v128.load (i32.add (local.get $beta) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $channel)))
      (local.set $px (i32.add (local.get $px) (local.get $cb)))
      (local.set $py (i32.add (local.get $py) (local.get $cb)))
      (br $row))))

  (func (export "bnBackward")
        (param $x i32) (param $dy i32) (param $mean i32) (param $variance i32) (param $gamma i32)
        (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $scratch i32) (param $rows i32)
        (param $C i32) (param $epsilon f32)
    (local $cb i32) (local $c i32) (local $px i32) (local $pdy i32) (local $pdx i32) (local $end i32)
    (local $sumDyD i32) (local $coefA i32) (local $coefB i32) (local $coefK i32)
    (local $n f64) (local $s f32) (local $sumDy f64) (local $dyD f64) (local $d v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $cb))))
    ;; scratch: Σ dy (float64, 8C bytes), Σ dy·d (float64, 8C), then the float32 coefficients
    ;; a = gamma·s, b = Σ dy / rows and k = s²·Σ dy·d / rows (4C each).
    (local.set $sumDyD (i32.add (local.get $scratch) (i32.shl (local.get $C) (i32.const 3))))
    (local.set $coefA (i32.add (local.get $sumDyD) (i32.shl (local.get $C) (i32.const 3))))
    (local.set $coefB (i32.add (local.get $coefA) (local.get $cb)))
    (local.set $coefK (i32.add (local.get $coefB) (local.get $cb)))
    (local.set $n (f64.convert_i32_u (local.get $rows)))
    ;; Pass 1: Σ dy and Σ dy·(x − mean).
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $C) (i32.const 4)))
    (local.set $px (local.get $x))
    (local.set $pdy (local.get $dy))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $px) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $rowDone (loop $channel
        (br_if $rowDone (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $c))) (v128.load (i32.add (local.get $mean) (local.get $c)))))
        (call $accumulate (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 1)))
          (v128.load (i32.add (local.get $pdy) (local.get $c))))
        (call $accumulateProduct (i32.add (local.get $sumDyD) (i32.shl (local.get $c) (i32.const 1)))
          (v128.load (i32.add (local.get $pdy) (local.get $c))) (local.get $d))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $channel)))
      (local.set $px (i32.add (local.get $px) (local.get $cb)))
      (local.set $pdy (i32.add (local.get $pdy) (local.get $cb)))
      (br $row)))
    ;; Per channel: dgamma, dbeta and the coefficients of dx.
    (local.set $c (i32.const 0))
    (block $done (loop $channel
      (br_if $done (i32.ge_u (local.get $c) (local.get $cb)))
      (local.set $s (f32.div (f32.const 1)
        (f32.sqrt (f32.add (f32.load (i32.add (local.get $variance) (local.get $c))) (local.get $epsilon)))))
      (local.set $sumDy (f64.load (i32.add (local.get $scratch) (i32.shl (local.get $c) (i32.const 1)))))
      (local.set $dyD (f64.load (i32.add (local.get $sumDyD) (i32.shl (local.get $c) (i32.const 1)))))
      (f32.store (i32.add (local.get $dbeta) (local.get $c)) (f32.demote_f64 (local.get $sumDy)))
      (f32.store (i32.add (local.get $dgamma) (local.get $c))
        (f32.demote_f64 (f64.mul (local.get $dyD) (f64.promote_f32 (local.get $s)))))
      (f32.store (i32.add (local.get $coefA) (local.get $c))
        (f32.mul (f32.load (i32.add (local.get $gamma) (local.get $c))) (local.get $s)))
      (f32.store (i32.add (local.get $coefB) (local.get $c)) (f32.demote_f64 (f64.div (local.get $sumDy) (local.get $n))))
      (f32.store (i32.add (local.get $coefK) (local.get $c))
        (f32.demote_f64 (f64.div
          (f64.mul (local.get $dyD) (f64.mul (f64.promote_f32 (local.get $s)) (f64.promote_f32 (local.get $s))))
          (local.get $n))))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $channel)))
    ;; Pass 2: dx = a · (dy − b − (x − mean) · k).
    (local.set $px (local.get $x))
    (local.set $pdy (local.get $dy))
    (local.set $pdx (local.get $dx))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $px) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $rowDone (loop $channel
        (br_if $rowDone (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $px) (local.get $c))) (v128.load (i32.add (local.get $mean) (local.get $c)))))
        (v128.store (i32.add (local.get $pdx) (local.get $c))
          (f32x4.mul
            (v128.load (i32.add (local.get $coefA) (local.get $c)))
            (f32x4.sub
              (f32x4.sub (v128.load (i32.add (local.get $pdy) (local.get $c))) (v128.load (i32.add (local.get $coefB) (local.get $c))))
              (f32x4.mul (local.get $d) (v128.load (i32.add (local.get $coefK) (local.get $c)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $channel)))
      (local.set $px (i32.add (local.get $px) (local.get $cb)))
      (local.set $pdy (i32.add (local.get $pdy) (local.get $cb)))
      (local.set $pdx (i32.add (local.get $pdx) (local.get $cb)))
      (br $row))))
)
