// lme4 formula syntax: `y ~ x * g + (1 + x | subject) + (1 | a/b)`.
// The parser yields R's term structure: a list of fixed terms (each an
// interaction of variables, ordered by degree as R's terms() does) and the
// random-effects terms, with `||` and `/` already expanded as lme4 expands them.
import { LmmError } from "./errors.js";

/** An interaction of variables; [] is the intercept. */
export type Term = string[];

/** The left side of a random-effects term: like a fixed-effects formula. */
export interface TermList {
  intercept: boolean;
  terms: Term[];
}

/** One random-effects term `(lhs | group)`. */
export interface RandomTerm {
  lhs: TermList;
  /** The variables whose interaction is the grouping factor. */
  group: string[];
  /** lme4's name for the grouping factor: `Subject`, `cask:batch`. */
  groupName: string;
}

/** A parsed lme4 formula: response, fixed terms (R's order) and expanded random terms. */
export interface ParsedFormula {
  /** The response variable, absent for a one-sided formula (`~ x + (1|g)`). */
  response?: string;
  fixed: TermList;
  random: RandomTerm[];
  /** The formula as the user wrote it, with whitespace normalised. */
  text: string;
}

type TokKind = "name" | "num" | "op" | "end";
interface Token {
  kind: TokKind;
  text: string;
  pos: number;
}

const OPS = ["||", "~", "+", "-", "*", ":", "/", "|", "(", ")", "^"];

function tokenize(src: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "`") {
      const j = src.indexOf("`", i + 1);
      if (j < 0) throw syntaxError(src, i, "a closing backtick");
      toks.push({ kind: "name", text: src.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    const name = /^[A-Za-z._][A-Za-z0-9._]*/.exec(src.slice(i));
    if (name && !/^\.\d/.test(name[0])) {
      toks.push({ kind: "name", text: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const num = /^(\d+\.?\d*|\.\d+)/.exec(src.slice(i));
    if (num) {
      toks.push({ kind: "num", text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw syntaxError(src, i, "a variable name, a number or one of ~ + - * : / | ( )", `'${c}'`);
    toks.push({ kind: "op", text: op, pos: i });
    i += op.length;
  }
  toks.push({ kind: "end", text: "", pos: src.length });
  return toks;
}

function syntaxError(src: string, pos: number, expected: string, found?: string): LmmError {
  const what = found ?? (pos >= src.length ? "the end of the formula" : `'${src[pos]}'`);
  return new LmmError(`Formula syntax error at position ${pos + 1}: expected ${expected} but found ${what}.`, { position: pos });
}

// Expression trees before expansion.
type Node =
  | { t: "var"; name: string; pos: number }
  | { t: "num"; value: number; pos: number }
  | { t: "bin"; op: string; a: Node; b: Node; pos: number }
  | { t: "neg"; a: Node; pos: number }
  | { t: "bar"; lhs: Node; rhs: Node; double: boolean; pos: number }
  | { t: "paren"; a: Node; pos: number };

class Parser {
  private k = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  peek(): Token {
    return this.toks[this.k];
  }
  next(): Token {
    return this.toks[this.k++];
  }
  expect(text: string, what: string): Token {
    const t = this.peek();
    if (t.text !== text || t.kind !== "op") throw this.err(t, what);
    return this.next();
  }
  err(t: Token, expected: string): LmmError {
    return syntaxError(this.src, t.pos, expected, t.kind === "end" ? undefined : `'${t.text}'`);
  }

  // sum := prod (('+' | '-') prod)*
  sum(): Node {
    let left = this.prod();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.text === "+" || t.text === "-")) {
        this.next();
        const right = this.prod();
        left = { t: "bin", op: t.text, a: left, b: right, pos: t.pos };
      } else return left;
    }
  }
  // prod := inter (('*' | '/') inter)*
  prod(): Node {
    let left = this.inter();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && (t.text === "*" || t.text === "/")) {
        this.next();
        left = { t: "bin", op: t.text, a: left, b: this.inter(), pos: t.pos };
      } else return left;
    }
  }
  // inter := power (':' power)*
  inter(): Node {
    let left = this.power();
    for (;;) {
      const t = this.peek();
      if (t.kind === "op" && t.text === ":") {
        this.next();
        left = { t: "bin", op: ":", a: left, b: this.power(), pos: t.pos };
      } else return left;
    }
  }
  // power := atom ['^' number]
  power(): Node {
    const a = this.atom();
    const t = this.peek();
    if (t.kind === "op" && t.text === "^") {
      this.next();
      const n = this.next();
      if (n.kind !== "num" || !Number.isInteger(Number(n.text))) throw this.err(n, "a whole number after '^'");
      return { t: "bin", op: "^", a, b: { t: "num", value: Number(n.text), pos: n.pos }, pos: t.pos };
    }
    return a;
  }
  // atom := ['+' | '-'] (name | number | '(' sum ')' | '(' sum '|' sum ')')
  atom(): Node {
    const t = this.next();
    if (t.kind === "op" && t.text === "+") return this.atom();
    if (t.kind === "op" && t.text === "-") return { t: "neg", a: this.atom(), pos: t.pos };
    if (t.kind === "name") {
      if (this.peek().kind === "op" && this.peek().text === "(") {
        throw new LmmError(
          `Formula: function calls such as '${t.text}(...)' are not supported (position ${t.pos + 1}); compute the transformed variable as a column of the data and use its name.`,
          { position: t.pos },
        );
      }
      return { t: "var", name: t.text, pos: t.pos };
    }
    if (t.kind === "num") return { t: "num", value: Number(t.text), pos: t.pos };
    if (t.kind === "op" && t.text === "(") {
      const inner = this.sum();
      const b = this.peek();
      if (b.kind === "op" && (b.text === "|" || b.text === "||")) {
        this.next();
        const rhs = this.sum();
        this.expect(")", "')' to close the random-effects term");
        return { t: "bar", lhs: inner, rhs, double: b.text === "||", pos: t.pos };
      }
      this.expect(")", "')' or '|'");
      return { t: "paren", a: inner, pos: t.pos };
    }
    throw this.err(t, "a variable name, a number or '('");
  }
}

/** Set-like list of interaction terms, kept in order of first appearance. */
interface Expanded {
  terms: Term[];
  intercept: boolean | undefined; // undefined: not said (R's default is an intercept)
  bars: Node[];
}

const key = (t: Term) => [...t].sort().join(":");

function addTerm(list: Term[], t: Term): void {
  const k = key(t);
  if (!list.some((u) => key(u) === k)) list.push(t);
}

function interact(a: Term[], b: Term[]): Term[] {
  const out: Term[] = [];
  for (const x of a) for (const y of b) addTerm(out, [...x, ...y.filter((v) => !x.includes(v))]);
  return out;
}

function expand(src: string, node: Node, allowBars: boolean): Expanded {
  switch (node.t) {
    case "var":
      return { terms: [[node.name]], intercept: undefined, bars: [] };
    case "num":
      if (node.value === 1) return { terms: [], intercept: true, bars: [] };
      if (node.value === 0) return { terms: [], intercept: false, bars: [] };
      throw new LmmError(`Formula: the number ${node.value} at position ${node.pos + 1} has no meaning; only 0 and 1 (the intercept) may appear.`, { position: node.pos });
    case "paren":
      return expand(src, node.a, allowBars);
    case "bar":
      if (!allowBars) {
        throw new LmmError(`Formula: a random-effects term '(... | ...)' at position ${node.pos + 1} must stand on its own, added with '+' to the fixed effects.`, { position: node.pos });
      }
      return { terms: [], intercept: undefined, bars: [node] };
    case "neg": {
      const e = expand(src, node.a, false);
      if (e.intercept === true && e.terms.length === 0) return { terms: [], intercept: false, bars: [] };
      throw new LmmError(`Formula: '-' at position ${node.pos + 1} can only remove the intercept ('- 1') or a term written before it ('a*b - a:b').`, { position: node.pos });
    }
    case "bin": {
      const a = expand(src, node.a, allowBars && (node.op === "+" || node.op === "-"));
      if (node.op === "-") {
        const b = expand(src, node.b, false);
        const drop = new Set(b.terms.map(key));
        return {
          terms: a.terms.filter((t) => !drop.has(key(t))),
          intercept: b.intercept === true ? false : a.intercept,
          bars: a.bars,
        };
      }
      if (node.op === "^") {
        const n = (node.b as { value: number }).value;
        let acc = a.terms;
        for (let i = 1; i < n; i++) {
          const next = [...acc];
          for (const t of interact(acc, a.terms)) addTerm(next, t);
          acc = next;
        }
        return { terms: acc, intercept: a.intercept, bars: [] };
      }
      const b = expand(src, node.b, allowBars && node.op === "+");
      if (node.op === "+") {
        const terms = [...a.terms];
        for (const t of b.terms) addTerm(terms, t);
        const intercept = b.intercept ?? a.intercept;
        return { terms, intercept, bars: [...a.bars, ...b.bars] };
      }
      if (a.bars.length || b.bars.length) throw new LmmError(`Formula: a random-effects term cannot be combined with '${node.op}' (position ${node.pos + 1}).`, { position: node.pos });
      if (node.op === ":") return { terms: interact(a.terms, b.terms), intercept: undefined, bars: [] };
      if (node.op === "*") {
        const terms = [...a.terms];
        for (const t of b.terms) addTerm(terms, t);
        for (const t of interact(a.terms, b.terms)) addTerm(terms, t);
        return { terms, intercept: undefined, bars: [] };
      }
      // a/b = a + a:b, where a:b interacts b with all variables of a.
      const allA = [...new Set(a.terms.flat())];
      const terms = [...a.terms];
      for (const t of interact([allA], b.terms)) addTerm(terms, t);
      return { terms, intercept: undefined, bars: [] };
    }
  }
}

/**
 * R's terms(): variables inside a term in order of their first appearance in
 * the formula (`age + Sex + Sex:age` has the term age:Sex), terms by degree,
 * stable within a degree.
 */
function ordered(terms: Term[], firstSeen: string[]): Term[] {
  const rank = (v: string) => firstSeen.indexOf(v);
  return terms
    .map((t, i) => ({ t: [...t].sort((a, b) => rank(a) - rank(b)), i }))
    .sort((x, y) => x.t.length - y.t.length || x.i - y.i)
    .map((x) => x.t);
}

function termList(e: Expanded, firstSeen: string[]): TermList {
  return { intercept: e.intercept ?? true, terms: ordered(e.terms, firstSeen) };
}

/** Variable names in order of first appearance in a (sub)tree. */
function variablesInOrder(node: Node, out: string[] = []): string[] {
  switch (node.t) {
    case "var":
      if (!out.includes(node.name)) out.push(node.name);
      break;
    case "bin":
      variablesInOrder(node.a, out);
      variablesInOrder(node.b, out);
      break;
    case "neg":
    case "paren":
      variablesInOrder(node.a, out);
      break;
    case "bar":
      break;
    case "num":
      break;
  }
  return out;
}

function groupingFactors(src: string, node: Node): { vars: string[]; name: string }[] {
  // `a/b/c` -> a, b:a, c:b:a (lme4's names); `a:b` stays `a:b`.
  if (node.t === "bin" && node.op === "/") {
    const outer = groupingFactors(src, node.a);
    const inner = groupingFactors(src, node.b);
    if (inner.length !== 1) throw new LmmError(`Formula: the right side of '/' at position ${node.pos + 1} must be one grouping factor.`, { position: node.pos });
    const last = outer[outer.length - 1];
    return [...outer, { vars: [...inner[0].vars, ...last.vars], name: `${inner[0].name}:${last.name}` }];
  }
  if (node.t === "bin" && node.op === "+") return [...groupingFactors(src, node.a), ...groupingFactors(src, node.b)];
  if (node.t === "paren") return groupingFactors(src, node.a);
  const e = expand(src, node, false);
  if (e.terms.length !== 1 || e.intercept !== undefined) {
    throw new LmmError(`Formula: the grouping factor of the random-effects term at position ${node.pos + 1} must be a variable or an interaction such as a:b.`, { position: node.pos });
  }
  const vars = e.terms[0];
  return [{ vars, name: vars.join(":") }];
}

function randomTerms(src: string, bar: Node & { t: "bar" }): RandomTerm[] {
  const lhs = termList(expand(src, bar.lhs, false), variablesInOrder(bar.lhs));
  const groups = groupingFactors(src, bar.rhs);
  const out: RandomTerm[] = [];
  for (const g of groups) {
    if (!bar.double) {
      out.push({ lhs, group: g.vars, groupName: g.name });
      continue;
    }
    // (x || g) = (1 | g) + (0 + x | g): one uncorrelated term per formula term.
    if (lhs.intercept) out.push({ lhs: { intercept: true, terms: [] }, group: g.vars, groupName: g.name });
    for (const t of lhs.terms) out.push({ lhs: { intercept: false, terms: [t] }, group: g.vars, groupName: g.name });
  }
  return out;
}

/** Parse an lme4 formula. Throws an LmmError naming the position on a syntax error. */
export function parseFormula(src: string): ParsedFormula {
  if (typeof src !== "string" || src.trim() === "") {
    throw new LmmError("The formula is empty: write it as in lme4, e.g. \"y ~ time + (time | subject)\".");
  }
  const toks = tokenize(src);
  const p = new Parser(src, toks);
  let response: string | undefined;
  if (!(toks[0].kind === "op" && toks[0].text === "~")) {
    const t = p.next();
    if (t.kind !== "name") throw p.err(t, "the response variable or '~'");
    if (p.peek().kind === "op" && p.peek().text === "(") {
      throw new LmmError(
        `Formula: a function call such as '${t.text}(...)' as the response is not supported; compute the transformed response as a column of the data and use its name.`,
        { position: t.pos },
      );
    }
    response = t.text;
  }
  p.expect("~", "'~' after the response");
  const rhs = p.sum();
  const end = p.peek();
  if (end.kind !== "end") throw p.err(end, "'+', '-', '*', ':' or the end of the formula");
  const e = expand(src, rhs, true);
  const random = e.bars.flatMap((b) => randomTerms(src, b as Node & { t: "bar" }));
  const firstSeen = variablesInOrder(rhs, response ? [response] : []);
  return { response, fixed: termList(e, firstSeen), random, text: src.trim().replace(/\s+/g, " ") };
}

/** All variables a parsed formula uses, response first. */
export function formulaVariables(f: ParsedFormula): string[] {
  const vars = new Set<string>();
  if (f.response) vars.add(f.response);
  for (const t of f.fixed.terms) t.forEach((v) => vars.add(v));
  for (const r of f.random) {
    r.lhs.terms.forEach((t) => t.forEach((v) => vars.add(v)));
    r.group.forEach((v) => vars.add(v));
  }
  return [...vars];
}
