;; The centred Gram matrix of a layer's channels (channelCorrelation.ts `centredGram`, the
;; near-duplicate screen's Pearson r), a chunk of rows at a time, with the JavaScript loop's sums:
;; each cell is its products x[i, c]·x[i, d] added one by one in the order of the rows to a sum
;; that starts at +0, each product and each sum rounded to float64 (a multiply then an add, never
;; fused); a sum carried from one chunk to the next through `out` is the same float64, so chunks
;; change no bit. Two lanes of a SIMD pair take two cells, 2 × 8 cells a trip.
;;
;; gram(x, rows, np, out): x = the chunk's centred values, row-major [rows, np] f64 (np a multiple
;;   of 8, the columns past the layer's channels zero); out = [np, np] f64 row-major; adds to
;;   out[c·np + d] the chunk's Σ_i x[i, c]·x[i, d] for every c and every d from c rounded down to a
;;   multiple of 8 up to np (the upper triangle, and the few cells below the diagonal its tiles
;;   hold, which mean nothing).
(module
  (memory (export "memory") 1)
  (func (export "gram") (param $x i32) (param $rows i32) (param $np i32) (param $out i32)
    (local $c i32) (local $d i32) (local $stride i32) (local $pc i32) (local $pd i32) (local $end i32)
    (local $o0 i32) (local $o1 i32) (local $u v128) (local $w v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $stride (i32.shl (local.get $np) (i32.const 3)))
    (block $cEnd (loop $cLoop
      (br_if $cEnd (i32.ge_u (local.get $c) (local.get $np)))
      (local.set $d (i32.and (local.get $c) (i32.const -8)))
      (block $dEnd (loop $dLoop
        (br_if $dEnd (i32.ge_u (local.get $d) (local.get $np)))
        ;; Cells (c, d … d + 7) and (c + 1, d … d + 7): their sums so far.
        (local.set $o0 (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $np)) (local.get $d)) (i32.const 3))))
        (local.set $o1 (i32.add (local.get $o0) (local.get $stride)))
        (local.set $a0 (v128.load offset=0 (local.get $o0)))
        (local.set $a1 (v128.load offset=16 (local.get $o0)))
        (local.set $a2 (v128.load offset=32 (local.get $o0)))
        (local.set $a3 (v128.load offset=48 (local.get $o0)))
        (local.set $b0 (v128.load offset=0 (local.get $o1)))
        (local.set $b1 (v128.load offset=16 (local.get $o1)))
        (local.set $b2 (v128.load offset=32 (local.get $o1)))
        (local.set $b3 (v128.load offset=48 (local.get $o1)))
        (local.set $pc (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $pd (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 3))))
        (local.set $end (i32.add (local.get $pc) (i32.mul (local.get $rows) (local.get $stride))))
        ;; One row a trip.
        (block $iEnd (loop $iLoop
          (br_if $iEnd (i32.ge_u (local.get $pc) (local.get $end)))
          (local.set $u (v128.load64_splat offset=0 (local.get $pc)))
          (local.set $w (v128.load64_splat offset=8 (local.get $pc)))
          (local.set $y0 (v128.load offset=0 (local.get $pd)))
          (local.set $y1 (v128.load offset=16 (local.get $pd)))
          (local.set $y2 (v128.load offset=32 (local.get $pd)))
          (local.set $y3 (v128.load offset=48 (local.get $pd)))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $u) (local.get $y0))))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $u) (local.get $y1))))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $u) (local.get $y2))))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $u) (local.get $y3))))
          (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $w) (local.get $y0))))
          (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $w) (local.get $y1))))
          (local.set $b2 (f64x2.add (local.get $b2) (f64x2.mul (local.get $w) (local.get $y2))))
          (local.set $b3 (f64x2.add (local.get $b3) (f64x2.mul (local.get $w) (local.get $y3))))
          (local.set $pc (i32.add (local.get $pc) (local.get $stride)))
          (local.set $pd (i32.add (local.get $pd) (local.get $stride)))
          (br $iLoop)))
        (v128.store offset=0 (local.get $o0) (local.get $a0))
        (v128.store offset=16 (local.get $o0) (local.get $a1))
        (v128.store offset=32 (local.get $o0) (local.get $a2))
        (v128.store offset=48 (local.get $o0) (local.get $a3))
        (v128.store offset=0 (local.get $o1) (local.get $b0))
        (v128.store offset=16 (local.get $o1) (local.get $b1))
        (v128.store offset=32 (local.get $o1) (local.get $b2))
        (v128.store offset=48 (local.get $o1) (local.get $b3))
        (local.set $d (i32.add (local.get $d) (i32.const 8)))
        (br $dLoop)))
      (local.set $c (i32.add (local.get $c) (i32.const 2)))
      (br $cLoop)))
  )
)
