// Offsets into the i32 problem descriptor that TypeScript writes once per model
// (src/wasm/layout.ts mirrors these numbers; keep the two in step).
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
export const D_SCRATCH: i32 = 16; // ptr: f64 scratch of at least max q
export const D_N: i32 = 17; // observations
export const D_REML: i32 = 18;
export const D_NB: i32 = 19; // scalar rows of all block-diagonal units
export const D_GROW: i32 = 20; // ptr: i32 global row index of every off-diagonal panel row
export const D_IDX: i32 = 21; // ptr: i32 scatter indices used by the groups
export const D_FBAR: i32 = 22; // ptr: f64 adjoint of F (same layout), for the gradient
export const D_TBAR: i32 = 23; // ptr: f64 adjoint of the T_t factors
export const D_WORK: i32 = 24; // ptr: f64 scratch of the tail kernels and reverse sweeps (workSize(mt))
export const D_TROWS: i32 = 25; // ptr: i32[mt + 1] start of each tail row's updates, or 0 (see tailrows.ts)
export const D_TENTRIES: i32 = 26; // ptr: i32 (unit, off-diagonal row) pairs
export const D_HALF: i32 = 27; // slope.ts: units [0, HALF) and [HALF, NUNITS) are summed apart (see forwardUnits)
export const DESC_LENGTH: i32 = 28;

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
