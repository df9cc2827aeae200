// Raw pointer access to f64 / i32 buffers in linear memory. Every index is an
// element index; pointers are byte addresses handed over by TypeScript.

@inline export function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline export function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline export function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline export function ptr(desc: usize, field: i32): usize {
  return <usize>load<i32>(desc + (<usize>field << 2));
}

@inline export function field(desc: usize, f: i32): i32 {
  return load<i32>(desc + (<usize>f << 2));
}
