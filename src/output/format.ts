// Number formatting in the manner of R's format()/formatReal: a column of numbers
// shares one number of decimals, the fewest that show every entry to `digits`
// significant digits.

/** Significant digits (<= digits) needed to show x as it rounds to `digits`. */
function sigNeeded(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return 1;
  const target = Number(x.toPrecision(digits));
  for (let s = 1; s < digits; s++) if (Number(x.toPrecision(s)) === target) return s;
  return digits;
}

/** Decimals R would use for a column of values at `digits` significant digits. */
export function decimalsFor(values: number[], digits: number): number {
  let dec = 0;
  for (const x of values) {
    if (!Number.isFinite(x) || x === 0) continue;
    const rounded = Number(x.toPrecision(digits));
    const e = Math.floor(Math.log10(Math.abs(rounded)));
    dec = Math.max(dec, sigNeeded(x, digits) - 1 - e);
  }
  return Math.min(dec, 15);
}

/** Format a column of numbers with common decimals (R's format(x, digits)). */
export function formatColumn(values: number[], digits: number): string[] {
  const dec = decimalsFor(values, digits);
  return values.map((x) => formatFixed(x, dec));
}

/** A number with `dec` decimals; NaN and infinities as R prints them. */
export function formatFixed(x: number, dec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Inf" : "-Inf";
  return x.toFixed(dec);
}

const padLeft = (s: string, w: number) => s.padStart(w);
const padRight = (s: string, w: number) => s.padEnd(w);

/** Lay out a table: a header row and rows of cells; the first column left-aligned. */
export function table(header: string[], rows: string[][], leftAlign: boolean[] = []): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, j) => ((leftAlign[j] ?? j === 0) ? padRight(c, widths[j]) : padLeft(c, widths[j])))
      .join(" ")
      .replace(/\s+$/, "");
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * R's abbreviate(names, minlength): each name (trimmed) loses, from the right and
 * never at the start of a word, lower-case vowels, then lower-case letters, then
 * any character, until it has minlength characters besides spaces, whose inner
 * spaces then go; names whose abbreviations collide are abbreviated again one
 * character longer, as R does.
 */
export function abbreviate(names: string[], minlength: number): string[] {
  const out = names.map((n) => n.trim());
  let todo = out.map((_, i) => i);
  for (let len = minlength; todo.length > 0; len++) {
    for (const i of todo) out[i] = abbreviateOne(names[i].trim(), len);
    const seen = new Map<string, number[]>();
    out.forEach((a, i) => seen.set(a, [...(seen.get(a) ?? []), i]));
    // Distinct names only: a name given twice keeps one abbreviation.
    todo = [...seen.values()].filter((ix) => new Set(ix.map((i) => names[i].trim())).size > 1).flat();
  }
  return out;
}

function abbreviateOne(name: string, minlength: number): string {
  if (name.length <= minlength) return name;
  const chars = name.split("");
  const spaces = () => chars.filter((c) => c === " ").length;
  const done = () => chars.length - spaces() <= minlength;
  const dropFromRight = (test: (c: string) => boolean) => {
    for (let i = chars.length - 1; i > 0 && !done(); i--) {
      if (i < chars.length && test(chars[i]) && chars[i - 1] !== " ") chars.splice(i, 1);
    }
  };
  dropFromRight((c) => "aeiou".includes(c));
  dropFromRight((c) => c >= "a" && c <= "z");
  dropFromRight((c) => c !== " ");
  return chars.length > minlength ? chars.filter((c) => c !== " ").join("") : chars.join("");
}

/** R prints exponents with at least two digits: 9.89e-5 -> 9.89e-05. */
export function rExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/**
 * R's format.pval: `below` under machine precision, exponent form under 1e-4,
 * else `digits` significant digits.
 */
export function formatPValue(p: number, digits: number, below: string): string {
  if (p < 2.220446e-16) return below;
  return p < 1e-4 ? rExponent(p.toExponential(digits - 1)) : p.toPrecision(digits);
}

/** R's significance stars. */
export function significanceStars(p: number): string {
  return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : "";
}

/** The legend printed under a table with stars. */
export const SIGNIF_CODES = "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1";
