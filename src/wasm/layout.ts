// Mirror of assembly/layout.ts: field numbers of the i32 problem descriptor and
// of the per-unit, per-group, per-segment and per-term records.
export const D = {
  NUNITS: 0, UNITS: 1, GROUPS: 2, SEGS: 3, NTERMS: 4, TERMS: 5, THETA: 6, TMATS: 7,
  A: 8, F: 9, TAILOFF: 10, MT: 11, ND: 12, P: 13, TAILSEGS: 14, NTAILSEGS: 15,
  SCRATCH: 16, N: 17, REML: 18, NB: 19, GROW: 20, IDX: 21, FBAR: 22, TBAR: 23, WORK: 24, TROWS: 25, TENTRIES: 26, HALF: 27, LENGTH: 28,
} as const;

export const UNIT_STRIDE = 10;
export const U = { PANEL: 0, Q: 1, NROWS: 2, TERM: 3, SEG0: 4, NSEG: 5, GROUP0: 6, NGROUP: 7, GLOBAL: 8, GROW0: 9 } as const;
export const GROUP_STRIDE = 5;
export const G = { FIRST: 0, END: 1, BASE: 2, STRIDE: 3, IDX0: 4 } as const;
export const SEG_STRIDE = 3;
export const TERM_STRIDE = 3;
/** Pseudo-term pair records of the accumulation (see assembly/accumulate.ts). */
export const PAIR_STRIDE = 9;
export const PAIR_FIXED = 0;
export const PAIR_BY_LEVEL = 1;
export const PAIR_BY_ROW = 2;
