// Scatter groups (see layout.ts): which entry of the target block row k of a
// unit's panel maps to. Shared by the factorisation and its reverse sweep.
import { ldi } from "./memory";

/**
 * Whether the group's indices (rows first..noff-1) are contiguous. They ascend
 * and are distinct, so equal spans suffice; then no index needs loading (the
 * usual case: the tail of a one-factor model).
 */
@inline export function isContiguous(ix: usize, first: i32, noff: i32): bool {
  return ldi(ix, noff - 1 - first) - ldi(ix, 0) == noff - 1 - first;
}

/** Position within the target block of the group's row k. */
@inline export function groupIndex(ix: usize, contiguous: bool, first: i32, k: i32): i32 {
  return contiguous ? ldi(ix, 0) + k - first : ldi(ix, k - first);
}
