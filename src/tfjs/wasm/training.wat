;; Training kernels that run inside TensorFlow.js's own WebAssembly heap: the module imports the
;; memory of @tensorflow/tfjs-backend-wasm, so they read and write tensors where tfjs keeps them
;; (pointers are byte offsets of tensors in that heap), with no copy in or out.
;;
;; Why hand-written: in tfjs these are either JavaScript loops (the max-pool gradient, ≈14% of a
;; LeNet epoch) or dozens of tiny element-wise kernels per weight tensor (the optimizers' updates:
;; tfjs-core's Adam runs ~12 kernels per variable per step, each with its engine overhead and a
;; pass over memory). One SIMD pass does the same arithmetic, op for op in float32 in the same order
;; as tfjs-core, so results are identical up to the last bit where tfjs's own kernels round the same.
;;
;; maxPoolGrad(x, dy, dx, batch, inH, inW, C, outH, outW, filterH, filterW, strideH, strideW, top, left)
;;   dx (zeroed here) receives each dy entry at the first largest x of its window (row-major window
;;   order, strict >, so NaN never wins and ties go to the first), summed where windows overlap.
;;   Four channels at a time when C is a multiple of 4; else one at a time.
;; adam(value, grad, m, v, outValue, outM, outV, n, lr, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
;;      epsilon, oneMinusAccBeta1, oneMinusAccBeta2)
;; filterGrad(x, dy, dw, batch, inH, inW, C, O, outH, outW, filterH, filterW, top, left, xPixel)
;;   The filter gradient of a stride-1 convolution, channels last, C a multiple of 4 and O of 8:
;;   dw[kh, kw, c, o] = Σ_b Σ_oh Σ_ow x[b, oh + kh − top, ow + kw − left, c] · dy[b, oh, ow, o],
;;   where x has xPixel values per pixel (C for a plain convolution). One output row (b, oh) at a
;;   time, all filter taps and channel tiles: the row's inputs and output gradients stay in the
;;   first-level cache, and each 4×8 tile of dw is held in registers across the row.
;;   With xPixel < C (few input channels), "channel" c reads the values c … c + 3 from pixel ow on,
;;   which run on into the next pixels: filterH × 1 taps of C = filterW × xPixel (rounded up to 4)
;;   "channels" then compute a filterH × filterW filter's gradient from an input padded to a
;;   'valid' convolution (the caller's filterGradientPatches), with no work on padding channels.
;; pad(x, out, batch, H, W, C, top, bottom, left, right, outC)
;;   x [batch, H, W, C] into out [batch, top + H + bottom, left + W + right, outC] (outC ≥ C), zeros
;;   around and in the added channels: whole rows are copied when outC = C. tfjs's PadV2 kernel
;;   goes element by element (≈5 ns each), which made padding a layer's input cost as much as
;;   half of the convolution it was padded for.
;; reluGrad(dy, x, out, n)
;;   The gradient of ReLU as tfjs-core computes it, dy · step(x) with step(x) = 1 where x > 0, NaN
;;   where x is NaN, else 0, in one pass instead of three kernels (step, a cast and a multiply), so
;;   −0 (negative dy where x ≤ 0) and NaN come out where they do in tfjs.
;; addBias(x, bias, out, rows, C)
;;   out[r, c] = x[r, c] + bias[c]: the bias of a convolution or dense layer, which tfjs's Add
;;   broadcasts element by element (twice the time of adding two tensors of the same shape).
;; momentum(value, grad, acc, outValue, outAcc, n, c, m, nesterov)           c = −learning rate
;; rmsprop(value, grad, ms, mom, mg, outValue, outMs, outMom, outMg, n, lr, decay, oneMinusDecay,
;;         momentum, epsilon, centered)                                     mg, outMg: centered only
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func $maxPoolGrad (export "maxPoolGrad")
        (param $x i32) (param $dy i32) (param $dx i32) (param $batch i32) (param $inH i32) (param $inW i32)
        (param $C i32) (param $outH i32) (param $outW i32) (param $fH i32) (param $fW i32)
        (param $sH i32) (param $sW i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $c i32) (local $r i32) (local $q i32)
    (local $r0 i32) (local $r1 i32) (local $q0 i32) (local $q1 i32)
    (local $base i32) (local $idx i32) (local $dyp i32) (local $lane i32)
    (local $best v128) (local $bestIdx v128) (local $val v128) (local $mask v128) (local $cand v128)
    (local $bestS f32) (local $bestIdxS i32) (local $valS f32)
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.shl (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (i32.mul (local.get $inW) (local.get $C))) (i32.const 2)))
    (local.set $dyp (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bend (loop $bloop
      (br_if $bend (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $ohend (loop $ohloop
        (br_if $ohend (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $r0 (i32.sub (i32.mul (local.get $oh) (local.get $sH)) (local.get $top)))
        (local.set $r1 (i32.add (local.get $r0) (local.get $fH)))
        (if (i32.lt_s (local.get $r0) (i32.const 0)) (then (local.set $r0 (i32.const 0))))
        (if (i32.gt_s (local.get $r1) (local.get $inH)) (then (local.set $r1 (local.get $inH))))
        (local.set $ow (i32.const 0))
        (block $owend (loop $owloop
          (br_if $owend (i32.ge_u (local.get $ow) (local.get $outW)))
          (local.set $q0 (i32.sub (i32.mul (local.get $ow) (local.get $sW)) (local.get $left)))
          (local.set $q1 (i32.add (local.get $q0) (local.get $fW)))
          (if (i32.lt_s (local.get $q0) (i32.const 0)) (then (local.set $q0 (i32.const 0))))
          (if (i32.gt_s (local.get $q1) (local.get $inW)) (then (local.set $q1 (local.get $inW))))
          (local.set $c (i32.const 0))
          ;; Four channels at a time (C a multiple of 4).
          (if (i32.eqz (i32.and (local.get $C) (i32.const 3))) (then
            (block $cend (loop $cloop
              (br_if $cend (i32.ge_u (local.get $c) (local.get $C)))
              (local.set $best (f32x4.splat (f32.const -inf)))
              (local.set $bestIdx (i32x4.splat (i32.const -1)))
              (local.set $r (local.get $r0))
              (block $rend (loop $rloop
                (br_if $rend (i32.ge_s (local.get $r) (local.get $r1)))
                (local.set $q (local.get $q0))
                (block $qend (loop $qloop
                  (br_if $qend (i32.ge_s (local.get $q) (local.get $q1)))
                  ;; Element index of x[b, r, q, c].
                  (local.set $base (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH))
                    (local.get $r)) (local.get $inW)) (local.get $q)) (local.get $C)) (local.get $c)))
                  (local.set $val (v128.load (i32.add (local.get $x) (i32.shl (local.get $base) (i32.const 2)))))
                  (local.set $mask (f32x4.gt (local.get $val) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $val) (local.get $best) (local.get $mask)))
                  (local.set $cand (i32x4.add (i32x4.splat (local.get $base)) (v128.const i32x4 0 1 2 3)))
                  (local.set $bestIdx (v128.bitselect (local.get $cand) (local.get $bestIdx) (local.get $mask)))
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (br $qloop)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rloop)))
              ;; Scatter the four lanes' gradients.
              (local.set $idx (i32x4.extract_lane 0 (local.get $bestIdx)))
              (if (i32.ge_s (local.get $idx) (i32.const 0)) (then
                (call $addAt (local.get $dx) (local.get $idx) (f32.load offset=0 (local.get $dyp)))))
              (local.set $idx (i32x4.extract_lane 1 (local.get $bestIdx)))
              (if (i32.ge_s (local.get $idx) (i32.const 0)) (then
                (call $addAt (local.get $dx) (local.get $idx) (f32.load offset=4 (local.get $dyp)))))
              (local.set $idx (i32x4.extract_lane 2 (local.get $bestIdx)))
              (if (i32.ge_s (local.get $idx) (i32.const 0)) (then
                (call $addAt (local.get $dx) (local.get $idx) (f32.load offset=8 (local.get $dyp)))))
              (local.set $idx (i32x4.extract_lane 3 (local.get $bestIdx)))
              (if (i32.ge_s (local.get $idx) (i32.const 0)) (then
                (call $addAt (local.get $dx) (local.get $idx) (f32.load offset=12 (local.get $dyp)))))
              (local.set $dyp (i32.add (local.get $dyp) (i32.const 16)))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (br $cloop))))
          (else
            (block $csend (loop $csloop
              (br_if $csend (i32.ge_u (local.get $c) (local.get $C)))
              (local.set $bestS (f32.const -inf))
              (local.set $bestIdxS (i32.const -1))
              (local.set $r (local.get $r0))
              (block $rsend (loop $rsloop
                (br_if $rsend (i32.ge_s (local.get $r) (local.get $r1)))
                (local.set $q (local.get $q0))
                (block $qsend (loop $qsloop
                  (br_if $qsend (i32.ge_s (local.get $q) (local.get $q1)))
                  (local.set $base (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH))
                    (local.get $r)) (local.get $inW)) (local.get $q)) (local.get $C)) (local.get $c)))
                  (local.set $valS (f32.load (i32.add (local.get $x) (i32.shl (local.get $base) (i32.const 2)))))
                  (if (f32.gt (local.get $valS) (local.get $bestS)) (then
                    (local.set $bestS (local.get $valS))
                    (local.set $bestIdxS (local.get $base))))
                  (local.set $q (i32.add (local.get $q) (i32.const 1)))
                  (br $qsloop)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rsloop)))
              (if (i32.ge_s (local.get $bestIdxS) (i32.const 0)) (then
                (call $addAt (local.get $dx) (local.get $bestIdxS) (f32.load (local.get $dyp)))))
              (local.set $dyp (i32.add (local.get $dyp) (i32.const 4)))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br $csloop)))))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $owloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))

  (func (export "filterGrad")
        (param $x i32) (param $dy i32) (param $dw i32) (param $batch i32) (param $inH i32) (param $inW i32)
        (param $C i32) (param $O i32) (param $outH i32) (param $outW i32) (param $fH i32) (param $fW i32)
        (param $top i32) (param $left i32) (param $xPixel i32)
    (local $b i32) (local $oh i32) (local $kh i32) (local $kw i32) (local $ih i32) (local $ow i32)
    (local $ow0 i32) (local $ow1 i32) (local $c i32) (local $o i32)
    (local $acc i32) (local $rowO i32) (local $xp i32) (local $dyp i32) (local $xStep i32) (local $dyStep i32) (local $n i32)
    (local $d0 v128) (local $d1 v128) (local $xv v128) (local $s v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (memory.fill (local.get $dw) (i32.const 0)
      (i32.shl (i32.mul (i32.mul (local.get $fH) (local.get $fW)) (i32.mul (local.get $C) (local.get $O))) (i32.const 2)))
    (local.set $rowO (i32.shl (local.get $O) (i32.const 2)))
    (local.set $xStep (i32.shl (local.get $xPixel) (i32.const 2)))
    (local.set $dyStep (local.get $rowO))
    (local.set $b (i32.const 0))
    (block $bend (loop $bloop
      (br_if $bend (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $ohend (loop $ohloop
        (br_if $ohend (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $kh (i32.const 0))
        (block $khend (loop $khloop
          (br_if $khend (i32.ge_u (local.get $kh) (local.get $fH)))
          (local.set $ih (i32.sub (i32.add (local.get $oh) (local.get $kh)) (local.get $top)))
          (if (i32.and (i32.ge_s (local.get $ih) (i32.const 0)) (i32.lt_s (local.get $ih) (local.get $inH))) (then
            (local.set $kw (i32.const 0))
            (block $kwend (loop $kwloop
              (br_if $kwend (i32.ge_u (local.get $kw) (local.get $fW)))
              ;; Output columns whose input column ow + kw − left lies in the input.
              (local.set $ow0 (i32.sub (local.get $left) (local.get $kw)))
              (if (i32.lt_s (local.get $ow0) (i32.const 0)) (then (local.set $ow0 (i32.const 0))))
              (local.set $ow1 (i32.sub (i32.add (local.get $inW) (local.get $left)) (local.get $kw)))
              (if (i32.gt_s (local.get $ow1) (local.get $outW)) (then (local.set $ow1 (local.get $outW))))
              (if (i32.lt_s (local.get $ow0) (local.get $ow1)) (then
                (local.set $c (i32.const 0))
                (block $cend (loop $cloop
                  (br_if $cend (i32.ge_u (local.get $c) (local.get $C)))
                  (local.set $o (i32.const 0))
                  (block $oend (loop $oloop
                    (br_if $oend (i32.ge_u (local.get $o) (local.get $O)))
                    ;; dw[kh, kw, c, o]: rows c … c + 3, columns o … o + 7.
                    (local.set $acc (i32.add (local.get $dw) (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $fW)) (local.get $kw))
                        (local.get $C)) (local.get $c)) (local.get $O)) (local.get $o)) (i32.const 2))))
                    (local.set $a00 (v128.load offset=0 (local.get $acc)))
                    (local.set $a01 (v128.load offset=16 (local.get $acc)))
                    (local.set $a10 (v128.load offset=0 (i32.add (local.get $acc) (local.get $rowO))))
                    (local.set $a11 (v128.load offset=16 (i32.add (local.get $acc) (local.get $rowO))))
                    (local.set $a20 (v128.load offset=0 (i32.add (local.get $acc) (i32.shl (local.get $rowO) (i32.const 1)))))
                    (local.set $a21 (v128.load offset=16 (i32.add (local.get $acc) (i32.shl (local.get $rowO) (i32.const 1)))))
                    (local.set $a30 (v128.load offset=0 (i32.add (local.get $acc) (i32.mul (local.get $rowO) (i32.const 3)))))
                    (local.set $a31 (v128.load offset=16 (i32.add (local.get $acc) (i32.mul (local.get $rowO) (i32.const 3)))))
                    ;; x[b, ih, ow0 + kw − left, c] and dy[b, oh, ow0, o].
                    (local.set $xp (i32.add (local.get $x) (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $ih)) (local.get $inW))
                        (i32.sub (i32.add (local.get $ow0) (local.get $kw)) (local.get $left))) (local.get $xPixel)) (local.get $c)) (i32.const 2))))
                    (local.set $dyp (i32.add (local.get $dy) (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH)) (local.get $oh)) (local.get $outW))
                        (local.get $ow0)) (local.get $O)) (local.get $o)) (i32.const 2))))
                    (local.set $n (i32.sub (local.get $ow1) (local.get $ow0)))
                    (loop $owloop
                      (local.set $d0 (v128.load offset=0 (local.get $dyp)))
                      (local.set $d1 (v128.load offset=16 (local.get $dyp)))
                      (local.set $xv (v128.load (local.get $xp)))
                      (local.set $s (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $xv) (local.get $xv)))
                      (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $d0))))
                      (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $d1))))
                      (local.set $s (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $xv) (local.get $xv)))
                      (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $d0))))
                      (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $d1))))
                      (local.set $s (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $xv) (local.get $xv)))
                      (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $d0))))
                      (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $d1))))
                      (local.set $s (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $xv) (local.get $xv)))
                      (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $d0))))
                      (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $d1))))
                      (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                      (local.set $dyp (i32.add (local.get $dyp) (local.get $dyStep)))
                      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                      (br_if $owloop (local.get $n)))
                    (v128.store offset=0 (local.get $acc) (local.get $a00))
                    (v128.store offset=16 (local.get $acc) (local.get $a01))
                    (v128.store offset=0 (i32.add (local.get $acc) (local.get $rowO)) (local.get $a10))
                    (v128.store offset=16 (i32.add (local.get $acc) (local.get $rowO)) (local.get $a11))
                    (v128.store offset=0 (i32.add (local.get $acc) (i32.shl (local.get $rowO) (i32.const 1))) (local.get $a20))
                    (v128.store offset=16 (i32.add (local.get $acc) (i32.shl (local.get $rowO) (i32.const 1))) (local.get $a21))
                    (v128.store offset=0 (i32.add (local.get $acc) (i32.mul (local.get $rowO) (i32.const 3))) (local.get $a30))
                    (v128.store offset=16 (i32.add (local.get $acc) (i32.mul (local.get $rowO) (i32.const 3))) (local.get $a31))
                    (local.set $o (i32.add (local.get $o) (i32.const 8)))
                    (br $oloop)))
                  (local.set $c (i32.add (local.get $c) (i32.const 4)))
                  (br $cloop)))))
              (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
              (br $kwloop)))))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))

  (func (export "pad")
        (param $x i32) (param $out i32) (param $batch i32) (param $H i32) (param $W i32) (param $C i32)
        (param $top i32) (param $bottom i32) (param $left i32) (param $right i32) (param $outC i32)
    (local $b i32) (local $h i32) (local $w i32) (local $c i32) (local $src i32) (local $dst i32)
    (local $pixelOut i32) (local $rowOut i32) (local $rowIn i32) (local $extra i32)
    (local.set $pixelOut (i32.shl (local.get $outC) (i32.const 2)))
    (local.set $rowOut (i32.mul (i32.add (i32.add (local.get $left) (local.get $W)) (local.get $right)) (local.get $pixelOut)))
    (local.set $rowIn (i32.shl (i32.mul (local.get $W) (local.get $C)) (i32.const 2)))
    (local.set $extra (i32.shl (i32.sub (local.get $outC) (local.get $C)) (i32.const 2)))
    (local.set $src (local.get $x))
    (local.set $dst (local.get $out))
    (local.set $b (i32.const 0))
    (block $bend (loop $bloop
      (br_if $bend (i32.ge_u (local.get $b) (local.get $batch)))
      (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $top) (local.get $rowOut)))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $top) (local.get $rowOut))))
      (local.set $h (i32.const 0))
      (block $hend (loop $hloop
        (br_if $hend (i32.ge_u (local.get $h) (local.get $H)))
        (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $left) (local.get $pixelOut)))
        (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $left) (local.get $pixelOut))))
        (if (i32.eqz (local.get $extra))
          (then
            (memory.copy (local.get $dst) (local.get $src) (local.get $rowIn))
            (local.set $dst (i32.add (local.get $dst) (local.get $rowIn)))
            (local.set $src (i32.add (local.get $src) (local.get $rowIn))))
          (else
            (local.set $w (i32.const 0))
            (block $wend (loop $wloop
              (br_if $wend (i32.ge_u (local.get $w) (local.get $W)))
              (local.set $c (i32.const 0))
              (block $cend (loop $cloop
                (br_if $cend (i32.ge_u (local.get $c) (local.get $C)))
                (f32.store (local.get $dst) (f32.load (local.get $src)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                (local.set $src (i32.add (local.get $src) (i32.const 4)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $cloop)))
              (memory.fill (local.get $dst) (i32.const 0) (local.get $extra))
              (local.set $dst (i32.add (local.get $dst) (local.get $extra)))
              (local.set $w (i32.add (local.get $w) (i32.const 1)))
              (br $wloop)))))
        (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $right) (local.get $pixelOut)))
        (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $right) (local.get $pixelOut))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $hloop)))
      (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $bottom) (local.get $rowOut)))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $bottom) (local.get $rowOut))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))

  (func (export "reluGrad") (param $dy i32) (param $x i32) (param $out i32) (param $n i32)
    (local $i i32) (local $end4 i32) (local $xv v128) (local $step v128) (local $xs f32)
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $vend (loop $vloop
      (br_if $vend (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $xv (v128.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
      ;; 1.0 where x > 0, NaN where x ≠ x, else 0.
      (local.set $step (v128.or
        (v128.and (f32x4.gt (local.get $xv) (f32x4.splat (f32.const 0))) (f32x4.splat (f32.const 1)))
        (v128.and (f32x4.ne (local.get $xv) (local.get $xv)) (f32x4.splat (f32.const nan)))))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.shl (local.get $i) (i32.const 2)))) (local.get $step)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vloop)))
    (block $send (loop $sloop
      (br_if $send (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $xs (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32.mul (f32.load (i32.add (local.get $dy) (i32.shl (local.get $i) (i32.const 2))))
          (select (f32.const 1)
            (select (f32.const nan) (f32.const 0) (f32.ne (local.get $xs) (local.get $xs)))
            (f32.gt (local.get $xs) (f32.const 0)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sloop))))

  (func (export "addBias") (param $x i32) (param $bias i32) (param $out i32) (param $rows i32) (param $C i32)
    (local $r i32) (local $c i32) (local $C4 i32) (local $row i32)
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (block $rend (loop $rloop
      (br_if $rend (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2)))
      (local.set $c (i32.const 0))
      (block $vend (loop $vloop
        (br_if $vend (i32.ge_u (local.get $c) (local.get $C4)))
        (v128.store (i32.add (local.get $out) (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))
          (f32x4.add
            (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
            (v128.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $vloop)))
      (block $send (loop $sloop
        (br_if $send (i32.ge_u (local.get $c) (local.get $C)))
        (f32.store (i32.add (local.get $out) (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2))))
          (f32.add
            (f32.load (i32.add (local.get $x) (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 2)))))
            (f32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $sloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; dx[idx] += g
  (func $addAt (param $dx i32) (param $idx i32) (param $g f32)
    (local $p i32)
    (local.set $p (i32.add (local.get $dx) (i32.shl (local.get $idx) (i32.const 2))))
    (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $g))))

  ;; tfjs-core's Adam, op for op: m' = m·β1 + g·(1−β1); v' = v·β2 + g²·(1−β2);
  ;; value' = ((m'/(1−β1ᵗ)) / (√(v'/(1−β2ᵗ)) + ε))·(−lr) + value.
  (func (export "adam")
        (param $value i32) (param $grad i32) (param $m i32) (param $v i32)
        (param $outValue i32) (param $outM i32) (param $outV i32) (param $n i32)
        (param $lr f32) (param $beta1 f32) (param $omb1 f32) (param $beta2 f32) (param $omb2 f32)
        (param $eps f32) (param $omab1 f32) (param $omab2 f32)
    (local $i i32) (local $off i32) (local $end4 i32) (local $negLr f32)
    (local $g v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $negLr (f32.neg (local.get $lr)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (local.set $g (v128.load (i32.add (local.get $grad) (local.get $off))))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $off))) (f32x4.splat (local.get $beta1)))
                                (f32x4.mul (local.get $g) (f32x4.splat (local.get $omb1)))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $off))) (f32x4.splat (local.get $beta2)))
                                (f32x4.mul (f32x4.mul (local.get $g) (local.get $g)) (f32x4.splat (local.get $omb2)))))
      (v128.store (i32.add (local.get $outM) (local.get $off)) (local.get $mv))
      (v128.store (i32.add (local.get $outV) (local.get $off)) (local.get $vv))
      (v128.store (i32.add (local.get $outValue) (local.get $off))
        (f32x4.add
          (f32x4.mul
            (f32x4.div (f32x4.div (local.get $mv) (f32x4.splat (local.get $omab1)))
                       (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $omab2)))) (f32x4.splat (local.get $eps))))
            (f32x4.splat (local.get $negLr)))
          (v128.load (i32.add (local.get $value) (local.get $off)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $loop)))
    (block $tend (loop $tloop
      (br_if $tend (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gs (f32.load (i32.add (local.get $grad) (local.get $off))))
      (local.set $ms (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $off))) (local.get $beta1))
                              (f32.mul (local.get $gs) (local.get $omb1))))
      (local.set $vs (f32.add (f32.mul (f32.load (i32.add (local.get $v) (local.get $off))) (local.get $beta2))
                              (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
      (f32.store (i32.add (local.get $outM) (local.get $off)) (local.get $ms))
      (f32.store (i32.add (local.get $outV) (local.get $off)) (local.get $vs))
      (f32.store (i32.add (local.get $outValue) (local.get $off))
        (f32.add
          (f32.mul
            (f32.div (f32.div (local.get $ms) (local.get $omab1))
                     (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $omab2))) (local.get $eps)))
            (local.get $negLr))
          (f32.load (i32.add (local.get $value) (local.get $off)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tloop))))

  ;; tfjs-core's momentum: acc' = m·acc + g; value' = c·acc' + value, or with Nesterov
  ;; value' = c·(g + acc'·m) + value (c = −lr).
  (func (export "momentum")
        (param $value i32) (param $grad i32) (param $acc i32) (param $outValue i32) (param $outAcc i32)
        (param $n i32) (param $c f32) (param $m f32) (param $nesterov i32)
    (local $i i32) (local $off i32) (local $a f32) (local $g f32)
    ;; Scalar: with few ops per element the loop is bound by memory, not arithmetic.
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (local.set $g (f32.load (i32.add (local.get $grad) (local.get $off))))
      (local.set $a (f32.add (f32.mul (local.get $m) (f32.load (i32.add (local.get $acc) (local.get $off)))) (local.get $g)))
      (f32.store (i32.add (local.get $outAcc) (local.get $off)) (local.get $a))
      (f32.store (i32.add (local.get $outValue) (local.get $off))
        (f32.add
          (f32.mul (local.get $c)
            (select (f32.add (local.get $g) (f32.mul (local.get $a) (local.get $m))) (local.get $a) (local.get $nesterov)))
          (f32.load (i32.add (local.get $value) (local.get $off)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $loop))))

  ;; tfjs-core's RMSprop: ms' = ms·ρ + g²·(1−ρ); plain: mom' = mom·μ + (g·lr)/√(ms' + ε);
  ;; centered: mg' = mg·ρ + g·(1−ρ), mom' = mom·μ + (g·lr)/√(ms' − (mg'² + ε)); value' = value − mom'.
  (func (export "rmsprop")
        (param $value i32) (param $grad i32) (param $ms i32) (param $mom i32) (param $mg i32)
        (param $outValue i32) (param $outMs i32) (param $outMom i32) (param $outMg i32) (param $n i32)
        (param $lr f32) (param $decay f32) (param $omd f32) (param $momentum f32) (param $eps f32) (param $centered i32)
    (local $i i32) (local $off i32) (local $g f32) (local $s f32) (local $mgv f32) (local $denom f32) (local $mo f32)
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (local.set $g (f32.load (i32.add (local.get $grad) (local.get $off))))
      (local.set $s (f32.add (f32.mul (f32.load (i32.add (local.get $ms) (local.get $off))) (local.get $decay))
                             (f32.mul (f32.mul (local.get $g) (local.get $g)) (local.get $omd))))
      (f32.store (i32.add (local.get $outMs) (local.get $off)) (local.get $s))
      (if (local.get $centered)
        (then
          (local.set $mgv (f32.add (f32.mul (f32.load (i32.add (local.get $mg) (local.get $off))) (local.get $decay))
                                   (f32.mul (local.get $g) (local.get $omd))))
          (f32.store (i32.add (local.get $outMg) (local.get $off)) (local.get $mgv))
          (local.set $denom (f32.sqrt (f32.sub (local.get $s) (f32.add (f32.mul (local.get $mgv) (local.get $mgv)) (local.get $eps))))))
        (else
          (local.set $denom (f32.sqrt (f32.add (local.get $s) (local.get $eps))))))
      (local.set $mo (f32.add (f32.mul (f32.load (i32.add (local.get $mom) (local.get $off))) (local.get $momentum))
                              (f32.div (f32.mul (local.get $g) (local.get $lr)) (local.get $denom))))
      (f32.store (i32.add (local.get $outMom) (local.get $off)) (local.get $mo))
      (f32.store (i32.add (local.get $outValue) (local.get $off))
        (f32.sub (f32.load (i32.add (local.get $value) (local.get $off))) (local.get $mo)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $loop))))
)
