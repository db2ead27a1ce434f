;; Joint histograms of binned pair distances: the whole cost of a capacity matrix (paper 5.3.1,
;; Fig. 8; channels² × pairs increments). Plain-JS typed-array increments run at about half this
;; speed (bounds checks, and the stalls of repeated bins); the JS path in capacity.ts gives the
;; same counts where WebAssembly is missing.
;;
;; joint4(col, b0, b1, b2, b3, pairs, tables, cells):
;;   zeroes 8 tables of `cells` i32 counts at `tables`; then for p in [0, pairs):
;;   x = u16 col[p] (the column channel's bin already multiplied by the row bin count);
;;   tables[k·cells + x + u8 bk[p]] += 1 for k = 0..3, the odd pairs into tables 4..7 instead of
;;   0..3; finally adds tables 4..7 into 0..3, which then hold the four joint histograms.
;; Four rows at once, each into its own table, keep the increments independent; the odd pairs'
;; own tables keep two neighbouring pairs with equal bins (common: distances of nearby inputs)
;; from waiting on each other's increment. The increments are the whole cost: scaling the column
;; here instead of once per column in capacity.ts was slower.
(module
  (memory (export "memory") 1)
  (func (export "joint4") (param $col i32) (param $b0 i32) (param $b1 i32) (param $b2 i32) (param $b3 i32)
        (param $pairs i32) (param $t0 i32) (param $cells i32)
    (local $p i32) (local $x i32) (local $y i32) (local $a i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local $u0 i32) (local $u1 i32) (local $u2 i32) (local $u3 i32) (local $tableBytes i32) (local $end i32)
    (local.set $tableBytes (i32.shl (local.get $cells) (i32.const 2)))
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
      (local.set $x (i32.load16_u (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))))
      (local.set $y (i32.load16_u offset=2 (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))))
      (local.set $a (i32.add (local.get $t0) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b0) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $u0) (i32.shl (i32.add (local.get $y) (i32.load8_u offset=1 (i32.add (local.get $b0) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $t1) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b1) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $u1) (i32.shl (i32.add (local.get $y) (i32.load8_u offset=1 (i32.add (local.get $b1) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $t2) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b2) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $u2) (i32.shl (i32.add (local.get $y) (i32.load8_u offset=1 (i32.add (local.get $b2) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $t3) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b3) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $a (i32.add (local.get $u3) (i32.shl (i32.add (local.get $y) (i32.load8_u offset=1 (i32.add (local.get $b3) (local.get $p)))) (i32.const 2))))
      (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br $loop2)))
    ;; An odd count leaves one pair, for tables 0..3.
    (if (i32.lt_u (local.get $p) (local.get $pairs))
      (then
        (local.set $x (i32.load16_u (i32.add (local.get $col) (i32.shl (local.get $p) (i32.const 1)))))
        (local.set $a (i32.add (local.get $t0) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b0) (local.get $p)))) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $t1) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b1) (local.get $p)))) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $t2) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b2) (local.get $p)))) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $t3) (i32.shl (i32.add (local.get $x) (i32.load8_u (i32.add (local.get $b3) (local.get $p)))) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))))
    ;; Tables 4..7 into 0..3.
    (local.set $a (local.get $t0))
    (local.set $end (local.get $u0))
    (block $endSum (loop $sum
      (br_if $endSum (i32.ge_u (local.get $a) (local.get $end)))
      (i32.store (local.get $a)
        (i32.add (i32.load (local.get $a)) (i32.load (i32.add (local.get $a) (i32.shl (local.get $tableBytes) (i32.const 2))))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br $sum)))
  )
)
