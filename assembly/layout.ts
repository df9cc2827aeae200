// The JS <-> WASM contract, written here once: scripts/gen-layout.mjs turns every
// `export const NAME: i32|usize = <integer>;` of this file into
// src/wasm/layout.generated.ts (a prefix of one or two letters, D_, U_, ..., becomes
// an object, D.NUNITS; other names stay as they are), and test/wasm-contract.test.ts
// fails when that file is stale. So: only integer literals here, one per line.

// Offsets into the i32 problem descriptor that TypeScript writes once per model.
export const D_NUNITS: i32 = 0; // block-diagonal units (one per level of each nested term)
export const D_UNITS: i32 = 1; // ptr: i32[UNIT_STRIDE * nUnits]
export const D_GROUPS: i32 = 2; // ptr: i32[GROUP_STRIDE * nGroups]
export const D_SEGS: i32 = 3; // ptr: i32[SEG_STRIDE * nSegs]
export const D_NTERMS: i32 = 4;
export const D_TERMS: i32 = 5; // ptr: i32[TERM_STRIDE * nTerms]
export const D_THETA: i32 = 6; // ptr: f64[ntheta]
export const D_TMATS: i32 = 7; // ptr: f64 scratch for the q x q factors T_t
export const D_A: i32 = 8; // ptr: f64 raw cross-products (panels, then dense tail)
export const D_F: i32 = 9; // ptr: f64 working factor, same layout as A
export const D_TAILOFF: i32 = 10; // f64 index of the tail inside A / F
export const D_MT: i32 = 11; // tail dimension: dense-term rows + p + 1
export const D_ND: i32 = 12; // dense-term rows at the top of the tail
export const D_P: i32 = 13; // fixed-effect columns
export const D_TAILSEGS: i32 = 14; // ptr: i32[SEG_STRIDE * nTailSegs]
export const D_NTAILSEGS: i32 = 15;
export const D_SCRATCH: i32 = 16; // ptr: f64 scratch of at least max q (max q + 1)
export const D_N: i32 = 17; // observations
export const D_REML: i32 = 18;
export const D_NB: i32 = 19; // scalar rows of all block-diagonal units
export const D_GROW: i32 = 20; // ptr: i32 global row index of every off-diagonal panel row
export const D_IDX: i32 = 21; // ptr: i32 scatter indices used by the groups
export const D_FBAR: i32 = 22; // ptr: f64 adjoint of F (same layout), for the gradient
export const D_TBAR: i32 = 23; // ptr: f64 adjoint of the T_t factors
export const D_WORK: i32 = 24; // ptr: f64 scratch of the tail kernels and reverse sweeps (workSize(mt))
export const D_TROWS: i32 = 25; // ptr: i32[mt + 1] start of each tail row's updates (VARIANT_TAIL_ROWS; see tailrows.ts)
export const D_TENTRIES: i32 = 26; // ptr: i32 (unit, off-diagonal row) pairs
export const D_HALF: i32 = 27; // slope.ts: units [0, HALF) and [HALF, NUNITS) are summed apart (see forwardUnits)
export const D_VARIANT: i32 = 28; // the units' kernel, VARIANT_* below
export const D_LENGTH: i32 = 29; // fields of the descriptor

// Which kernels factor the units (D_VARIANT). The layout planner chooses it
// (planBlockLayout, src/model/blocks.ts) and both sides read it from the
// descriptor: TypeScript lays the units out for it, the kernels dispatch on it.
export const VARIANT_GENERIC: i32 = 0; // deviance.ts / gradient.ts, no crossed terms: each unit updates its targets
export const VARIANT_INTERCEPT: i32 = 1; // intercept.ts: one term of q = 1
export const VARIANT_SLOPE: i32 = 2; // slope.ts: one term of q = 2
// The generic kernels with crossed terms: the units' updates of the dense tail
// wait until every unit is factored, then go
export const VARIANT_TAIL_ROWS: i32 = 3; // tail row by tail row (tailrows.ts)
export const VARIANT_TAIL_DENSE: i32 = 4; // as packed matrix products (densetail.ts), when the units meet most of the tail

// One block-diagonal unit (a level of a nested term) owns a row-major panel:
// its own q rows first, then its off-diagonal rows (ancestor units, tail rows).
export const U_PANEL: i32 = 0; // f64 index of the panel
export const U_Q: i32 = 1;
export const U_NROWS: i32 = 2;
export const U_TERM: i32 = 3;
export const U_SEG0: i32 = 4;
export const U_NSEG: i32 = 5;
export const U_GROUP0: i32 = 6;
export const U_NGROUP: i32 = 7;
export const U_GLOBAL: i32 = 8; // global scalar index of the unit's first own row
export const U_GROW0: i32 = 9; // index into the GROW array of the first off-diagonal row
export const UNIT_STRIDE: i32 = 10;

// A group is a run of off-diagonal rows whose Schur-complement target is one
// block: an ancestor unit's panel or the dense tail. Entry (i, j), i >= j, of the
// update lands at F[base + idx[i - first] * stride + idx[j - first]].
export const G_FIRST: i32 = 0;
export const G_END: i32 = 1;
export const G_BASE: i32 = 2;
export const G_STRIDE: i32 = 3;
export const G_IDX0: i32 = 4;
export const GROUP_STRIDE: i32 = 5;

// A segment is a run of rows scaled by one term's T' (term -1: unscaled X, y rows):
// one unit of the term (its q rows), or in a panel, consecutive units of a
// scalar term (q = 1), each row scaled by the term's one entry.
export const S_START: i32 = 0;
export const S_LEN: i32 = 1;
export const S_TERM: i32 = 2;
export const SEG_STRIDE: i32 = 3;

// Per random-effects term: its dimension q, first theta, and where T_t lives.
export const T_Q: i32 = 0;
export const T_THETA0: i32 = 1;
export const T_TMAT0: i32 = 2;
export const TERM_STRIDE: i32 = 3;

// A pseudo-term pair of the row accumulation (see accumulate.ts): the block (s, t)
// of a row is added at A[base + i * LD + j] (only j <= i with LOWER), base found by KIND.
export const PR_SOFF: i32 = 0; // offset of s's values in the row
export const PR_QS: i32 = 1;
export const PR_TOFF: i32 = 2; // offset of t's values in the row
export const PR_QT: i32 = 3;
export const PR_LD: i32 = 4; // row stride of the target
export const PR_KIND: i32 = 5;
export const PR_P1: i32 = 6;
export const PR_P2: i32 = 7;
export const PR_LOWER: i32 = 8; // 1: the lower triangle only
export const PAIR_STRIDE: i32 = 9;
// How a pair finds its target's base in the i32 row data `ints`:
export const PAIR_FIXED: i32 = 0; // the same for every row: P1
export const PAIR_BY_LEVEL: i32 = 1; // ints[P2 + ints[P1 + row]]: a table by a nested term's level
export const PAIR_BY_ROW: i32 = 2; // ints[P1 + row]

// The job block through which a helper thread serves half of the large products
// (gemm.ts; i32 fields, byte offsets): the command, "done", then gemmRows'
// arguments and the helper's own work area (set by its owner, TypeScript).
export const J_CMD: usize = 0;
export const J_DONE: usize = 4;
export const J_C: usize = 8;
export const J_CS: usize = 12;
export const J_P: usize = 16;
export const J_PRS: usize = 20;
export const J_PSS: usize = 24;
export const J_Q: usize = 28;
export const J_QRS: usize = 32;
export const J_QCS: usize = 36;
export const J_M: usize = 40;
export const J_N: usize = 44;
export const J_K: usize = 48;
export const J_LOWER: usize = 52;
export const J_ROW0: usize = 56;
export const J_WORK: usize = 60;
export const JOB_BYTES: i32 = 64;
// Commands at J_CMD (0: none).
export const GEMM_RUN: i32 = 1;
export const GEMM_STOP: i32 = 2;
