;; The filter gradient of ./training.wat (filterGrad: same parameters, same loops, same tiles) with
;; fused multiply-adds: each `a + s·d` is one `f32x4.relaxed_madd`, which V8 compiles to the CPU's
;; FMA instruction where it has one, and each input value is broadcast straight from memory
;; (`v128.load32_splat`) instead of loaded once and shuffled. The 4×8 tile's inner loop was bound by
;; the two floating-point ports doing 8 multiplies and 8 adds; with FMA it does 8 fused operations.
;;
;; Relaxed SIMD is standard WebAssembly (phase 5) but sits behind --experimental-wasm-relaxed-simd
;; in Node 20's V8 (11.3); ../wasmTrainingModule.ts turns the flag on before compiling this module
;; and falls back to training.wat's kernel where this one does not compile. The sums differ from
;; the unfused kernel's only in rounding (a fused operation rounds once).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "filterGrad")
        (param $x i32) (param $dy i32) (param $dw i32) (param $batch i32) (param $inH i32) (param $inW i32)
        (param $C i32) (param $O i32) (param $outH i32) (param $outW i32) (param $fH i32) (param $fW i32)
        (param $top i32) (param $left i32) (param $xPixel i32)
    (local $b i32) (local $oh i32) (local $kh i32) (local $kw i32) (local $ih i32) (local $ow i32)
    (local $ow0 i32) (local $ow1 i32) (local $c i32) (local $o i32)
    (local $acc i32) (local $rowO i32) (local $xp i32) (local $dyp i32) (local $xStep i32) (local $dyStep i32) (local $n i32)
    (local $d0 v128) (local $d1 v128) (local $s v128)
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
                      (local.set $s (v128.load32_splat offset=0 (local.get $xp)))
                      (local.set $a00 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a00)))
                      (local.set $a01 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a01)))
                      (local.set $s (v128.load32_splat offset=4 (local.get $xp)))
                      (local.set $a10 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a10)))
                      (local.set $a11 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a11)))
                      (local.set $s (v128.load32_splat offset=8 (local.get $xp)))
                      (local.set $a20 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a20)))
                      (local.set $a21 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a21)))
                      (local.set $s (v128.load32_splat offset=12 (local.get $xp)))
                      (local.set $a30 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a30)))
                      (local.set $a31 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a31)))
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


  ;; conv2d(x, w, y, batch, inH, inW, C, O, outH, outW, filterH, filterW, rowFirst, rowEnd)
  ;;   A 'valid' stride-1 convolution, channels last, O a multiple of 8 and outW ≥ 4 (the caller
  ;;   pads the input for any other padding): y[b, oh, ow, o] = Σ_kh Σ_kw Σ_c x[b, oh + kh, ow + kw, c] · w[kh, kw, c, o].
  ;;   Tiles of 4 output pixels × 8 output channels stay in registers over the whole sum. For a
  ;;   filter row kh, the pairs (kw, c) are j = kw·C + c, consecutive both in w's rows and in the
  ;;   input row from pixel ow on, so the sum is one loop of filterW·C steps per filter row: two
  ;;   loads of w and four broadcasts of x, then eight fused multiply-adds. The last tile of a row
  ;;   is moved left to end at the row's end when outW is not a multiple of 4 (its first pixels are
  ;;   computed twice, identically). Tiles run output channels outside pixels, so a tile column's
  ;;   filterH × filterW × C × 8 weights stay in the first-level cache along the row. Input rows
  ;;   outside [rowFirst, rowEnd) are known to be zero padding and skipped (for the input gradient,
  ;;   a convolution of the output gradient padded by the filter's size less one, that is a third
  ;;   of LeNet's second layer's work).
  (func (export "conv2d")
        (param $x i32) (param $w i32) (param $y i32) (param $batch i32) (param $inH i32) (param $inW i32)
        (param $C i32) (param $O i32) (param $outH i32) (param $outW i32) (param $fH i32) (param $fW i32)
        (param $rowFirst i32) (param $rowEnd i32)
    (local $b i32) (local $oh i32) (local $o i32) (local $ow i32) (local $kh i32) (local $n i32) (local $J i32)
    (local $khFirst i32) (local $khEnd i32)
    (local $cs i32) (local $cs2 i32) (local $cs3 i32) (local $xp i32) (local $wp i32) (local $wStep i32) (local $yp i32)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128) (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $J (i32.mul (local.get $fW) (local.get $C)))
    (local.set $cs (i32.shl (local.get $C) (i32.const 2)))
    (local.set $cs2 (i32.shl (local.get $C) (i32.const 3)))
    (local.set $cs3 (i32.mul (local.get $C) (i32.const 12)))
    (local.set $wStep (i32.shl (local.get $O) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $bend (loop $bloop
      (br_if $bend (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $ohend (loop $ohloop
        (br_if $ohend (i32.ge_u (local.get $oh) (local.get $outH)))
        ;; Filter rows kh whose input row oh + kh lies in [rowFirst, rowEnd).
        (local.set $khFirst (i32.sub (local.get $rowFirst) (local.get $oh)))
        (if (i32.lt_s (local.get $khFirst) (i32.const 0)) (then (local.set $khFirst (i32.const 0))))
        (local.set $khEnd (i32.sub (local.get $rowEnd) (local.get $oh)))
        (if (i32.gt_s (local.get $khEnd) (local.get $fH)) (then (local.set $khEnd (local.get $fH))))
        (local.set $o (i32.const 0))
        (block $oend (loop $oloop
          (br_if $oend (i32.ge_u (local.get $o) (local.get $O)))
          (local.set $ow (i32.const 0))
          (block $owend (loop $owloop
            (br_if $owend (i32.ge_u (local.get $ow) (local.get $outW)))
            ;; The last tile ends at the row's end.
            (if (i32.gt_u (i32.add (local.get $ow) (i32.const 4)) (local.get $outW)) (then
              (local.set $ow (i32.sub (local.get $outW) (i32.const 4)))))
            (local.set $a00 (v128.const i32x4 0 0 0 0))
            (local.set $a01 (v128.const i32x4 0 0 0 0))
            (local.set $a10 (v128.const i32x4 0 0 0 0))
            (local.set $a11 (v128.const i32x4 0 0 0 0))
            (local.set $a20 (v128.const i32x4 0 0 0 0))
            (local.set $a21 (v128.const i32x4 0 0 0 0))
            (local.set $a30 (v128.const i32x4 0 0 0 0))
            (local.set $a31 (v128.const i32x4 0 0 0 0))
            (local.set $kh (local.get $khFirst))
            (block $khend (loop $khloop
              (br_if $khend (i32.ge_s (local.get $kh) (local.get $khEnd)))
              ;; x[b, oh + kh, ow, 0] and w[kh, 0, 0, o].
              (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH))
                (i32.add (local.get $oh) (local.get $kh))) (local.get $inW)) (local.get $ow)) (local.get $C)) (i32.const 2))))
              (local.set $wp (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (i32.mul (local.get $kh) (local.get $J)) (local.get $O))
                (local.get $o)) (i32.const 2))))
              (local.set $n (local.get $J))
              (loop $jloop
                (local.set $d0 (v128.load offset=0 (local.get $wp)))
                (local.set $d1 (v128.load offset=16 (local.get $wp)))
                (local.set $s (v128.load32_splat (local.get $xp)))
                (local.set $a00 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a00)))
                (local.set $a01 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a01)))
                (local.set $s (v128.load32_splat (i32.add (local.get $xp) (local.get $cs))))
                (local.set $a10 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a10)))
                (local.set $a11 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a11)))
                (local.set $s (v128.load32_splat (i32.add (local.get $xp) (local.get $cs2))))
                (local.set $a20 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a20)))
                (local.set $a21 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a21)))
                (local.set $s (v128.load32_splat (i32.add (local.get $xp) (local.get $cs3))))
                (local.set $a30 (f32x4.relaxed_madd (local.get $s) (local.get $d0) (local.get $a30)))
                (local.set $a31 (f32x4.relaxed_madd (local.get $s) (local.get $d1) (local.get $a31)))
                (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                (local.set $wp (i32.add (local.get $wp) (local.get $wStep)))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br_if $jloop (local.get $n)))
              (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
              (br $khloop)))
            ;; y[b, oh, ow + q, o … o + 7].
            (local.set $yp (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $outH))
              (local.get $oh)) (local.get $outW)) (local.get $ow)) (local.get $O)) (local.get $o)) (i32.const 2))))
            (v128.store offset=0 (local.get $yp) (local.get $a00))
            (v128.store offset=16 (local.get $yp) (local.get $a01))
            (local.set $yp (i32.add (local.get $yp) (local.get $wStep)))
            (v128.store offset=0 (local.get $yp) (local.get $a10))
            (v128.store offset=16 (local.get $yp) (local.get $a11))
            (local.set $yp (i32.add (local.get $yp) (local.get $wStep)))
            (v128.store offset=0 (local.get $yp) (local.get $a20))
            (v128.store offset=16 (local.get $yp) (local.get $a21))
            (local.set $yp (i32.add (local.get $yp) (local.get $wStep)))
            (v128.store offset=0 (local.get $yp) (local.get $a30))
            (v128.store offset=16 (local.get $yp) (local.get $a31))
            (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
            (br $owloop)))
          (local.set $o (i32.add (local.get $o) (i32.const 8)))
          (br $oloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))
)
