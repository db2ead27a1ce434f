;; Joint histograms of binned pair distances: the whole cost of a capacity matrix (paper 5.3.1,
;; Fig. 8; channels² × pairs increments). Plain-JS typed-array increments run at about half this
;; speed (bounds checks, and the stalls of repeated bins); the JS path in capacity.ts gives the
;; same counts where WebAssembly is missing.
;;
;; joint4(col, b0, b1, b2, b3, pairs, tables, cells):
;;   for p in [0, pairs): x = u16 col[p] (the column channel's bin already multiplied by the row
;;   bin count); i32 tables[k·cells + x + u8 bk[p]] += 1 for k = 0..3.
;; Four rows at once, each into its own table, keep the increments independent.
(module
  (memory (export "memory") 1)
  (func (export "joint4") (param $col i32) (param $b0 i32) (param $b1 i32) (param $b2 i32) (param $b3 i32)
        (param $pairs i32) (param $t0 i32) (param $cells i32)
    (local $p i32) (local $x i32) (local $a i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local.set $t1 (i32.add (local.get $t0) (i32.shl (local.get $cells) (i32.const 2))))
    (local.set $t2 (i32.add (local.get $t1) (i32.shl (local.get $cells) (i32.const 2))))
    (local.set $t3 (i32.add (local.get $t2) (i32.shl (local.get $cells) (i32.const 2))))
    (block $end (loop $loop
      (br_if $end (i32.ge_u (local.get $p) (local.get $pairs)))
      (local.set $x (i32.load16_u (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))))
      (local.set $a (i32.add (local.get $t0) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b0) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $t1) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b1) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $t2) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b2) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $t3) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b3) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $loop)))
  )
)
