// A small hand-made data set (40 rows, 5 groups) for tests of how columns and
// arguments are taken, where the fit itself is not the point.
const n = 40;

export const SMALL_DATA = {
  y: Array.from({ length: n }, (_, i) => (i % 3) + (i % 2) + Math.sin(i)),
  x: Array.from({ length: n }, (_, i) => i / 7),
  g: Array.from({ length: n }, (_, i) => String(i % 5)),
};
