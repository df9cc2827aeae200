// lme4 formula syntax: `y ~ x * g + (1 + x | subject) + (1 | a/b)`.
// The parser yields R's term structure: a list of fixed terms (each an
// interaction of variables, ordered by degree as R's terms() does) and the
// random-effects terms, with `||` and `/` already expanded as lme4 expands them
// and a glmmTMB covariance structure (`cs(0 + visit | subject)`) kept on its terms.
import { LmmError, quote, quoteList } from "./errors.js";
import { expressionColumns, exprChildren, factorCallColumn, foldTree, FUNCTIONS, type Expr } from "./expr.js";
import { STRUCTURE_KINDS, type StructureKind } from "./model/covariance/structure.js";

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
  /** The covariance structure glmmTMB's syntax gave it (`cs(0 + visit | subject)`); unstructured when absent. */
  structure?: StructureKind;
}

/** A parsed lme4 formula: response, fixed terms (R's order) and expanded random terms. */
export interface ParsedFormula {
  /** The response variable, absent for a one-sided formula (`~ x + (1|g)`). */
  response?: string;
  fixed: TermList;
  random: RandomTerm[];
  /** The formula as the user wrote it, with whitespace normalised. */
  text: string;
  /** `offset(...)` variables of the fixed part: known terms added to the linear predictor, not coefficients. */
  offsets: string[];
  /** Variables that are function calls (`log(dose)`, `poly(time, 2)`), by R's deparsed text, which names them in terms. */
  calls: Record<string, Expr>;
}

type TokKind = "name" | "num" | "op" | "end";
interface Token {
  kind: TokKind;
  text: string;
  pos: number;
}

const OPS = ["||", "~", "+", "-", "*", ":", "/", "|", "(", ")", "^", ",", "="];
// Sticky patterns: matched at a position without slicing the formula (formulas
// of 15,000 terms are 10^5 characters).
const NAME_RE = /[A-Za-z._][A-Za-z0-9._]*/y;
const NUM_RE = /\d+\.?\d*|\.\d+/y;
const SPACE_RE = /\s/y;

function matchAt(re: RegExp, src: string, i: number): string | undefined {
  re.lastIndex = i;
  return re.exec(src)?.[0];
}

function tokenize(src: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (matchAt(SPACE_RE, src, i)) {
      i++;
      continue;
    }
    if (c === "`") {
      const name = backtickName(src, i);
      toks.push({ kind: "name", text: name.text, pos: i });
      i = name.end;
      continue;
    }
    const name = matchAt(NAME_RE, src, i);
    if (name === ".") {
      // R's "every other column" (y ~ .) and update()'s "the old formula's terms" (. ~ . + x).
      throw new LmmError(
        `Formula: '.' at position ${i + 1} (R's shorthand for all other columns, or for the old formula in update) is not supported: write the variables out, e.g. y ~ a + b + (1 | g).`,
        { position: i },
      );
    }
    if (name && !/^\.\d/.test(name)) {
      toks.push({ kind: "name", text: name, pos: i });
      i += name.length;
      continue;
    }
    const num = matchAt(NUM_RE, src, i);
    if (num) {
      toks.push({ kind: "num", text: num, pos: i });
      i += num.length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw syntaxError(src, i, "a variable name, a number or one of ~ + - * : / | ( )", `${quote(c)}`);
    toks.push({ kind: "op", text: op, pos: i });
    i += op.length;
  }
  toks.push({ kind: "end", text: "", pos: src.length });
  return toks;
}

/**
 * A backtick-quoted name starting at `start`, as R reads it: a backslash escapes
 * the next character, so a column named a`b is written `a\`b`.
 */
function backtickName(src: string, start: number): { text: string; end: number } {
  let text = "";
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i];
    if (c === "`") return { text, end: i + 1 };
    if (c === "\\" && i + 1 < src.length) text += src[++i];
    else text += c;
  }
  throw syntaxError(src, start, "a closing backtick (write a backtick inside a name as \\`)");
}

function syntaxError(src: string, pos: number, expected: string, found?: string): LmmError {
  const what = found ?? (pos >= src.length ? "the end of the formula" : `${quote(src[pos])}`);
  return new LmmError(`Formula syntax error at position ${pos + 1}: expected ${expected} but found ${what}.`, { position: pos });
}

// Expression trees before expansion.
type Node =
  | { t: "var"; name: string; pos: number }
  | { t: "num"; value: number; pos: number }
  | { t: "bin"; op: string; a: Node; b: Node; pos: number }
  | { t: "neg"; a: Node; pos: number }
  | { t: "bar"; lhs: Node; rhs: Node; double: boolean; structure?: StructureKind; pos: number }
  | { t: "paren"; a: Node; pos: number };

/** R's largest power in a formula (an R integer); the expansion stops growing at the number of variables. */
const MAX_POWER = 2147483647;
/** The most terms one operator may combine (a*b, a:b, (...)^k): a bound on the time and memory of the expansion. */
export const MAX_EXPANSION_TERMS = 100_000;

const PRECEDENCE: Record<string, number> = { "+": 1, "-": 1, "*": 2, "/": 2, ":": 3 };

/** One parenthesis level being read (the formula's right side is the outermost). */
interface Level {
  open?: Token;
  operands: Node[];
  operators: Token[];
  /** Unary minus signs waiting for their operand. */
  signs: Token[];
  bar?: { lhs: Node; tok: Token };
  /** The covariance structure whose parentheses these are (`cs(`), if any. */
  structure?: Token;
  /** The last operand already has its '^' (R's a^2^3 is not a formula term). */
  powered: boolean;
}

/**
 * Operator-precedence parsing with an explicit stack of parenthesis levels, so
 * that neither long sums nor deep nesting meet the call-stack limit:
 *   sum := prod (('+' | '-') prod)*      prod := inter (('*' | '/') inter)*
 *   inter := power (':' power)*          power := atom ['^' number]
 *   atom := ['+' | '-'] (name | number | '(' sum ')' | [structure] '(' sum '|' sum ')')
 * where structure is one of glmmTMB's covariance structures (`cs(0 + f | g)`).
 */
function parseSum(src: string, toks: Token[], k: number, calls: Record<string, Expr>): Node {
  const newLevel = (open?: Token, structure?: Token): Level => ({ open, structure, operands: [], operators: [], signs: [], powered: false });
  const levels: Level[] = [newLevel()];
  const reduce = (lv: Level) => {
    const op = lv.operators.pop()!;
    const b = lv.operands.pop()!;
    const a = lv.operands.pop()!;
    lv.operands.push({ t: "bin", op: op.text, a, b, pos: op.pos });
  };
  const finish = (lv: Level): Node => {
    while (lv.operators.length) reduce(lv);
    return lv.operands[0];
  };
  const push = (lv: Level, node: Node) => {
    for (let s = lv.signs.length - 1; s >= 0; s--) node = { t: "neg", a: node, pos: lv.signs[s].pos };
    lv.signs.length = 0;
    lv.operands.push(node);
    lv.powered = false;
  };
  const unexpected = (lv: Level, t: Token) => {
    const expected = !lv.open ? "'+', '-', '*', ':' or the end of the formula" : lv.bar ? "')' to close the random-effects term" : "')' or '|'";
    return syntaxError(src, t.pos, expected, t.kind === "end" ? undefined : `${quote(t.text)}`);
  };
  const isOp = (t: Token, ...ops: string[]) => t.kind === "op" && ops.includes(t.text);
  for (;;) {
    // An operand.
    let t = toks[k++];
    let lv = levels[levels.length - 1];
    if (isOp(t, "+")) continue;
    if (isOp(t, "-")) {
      lv.signs.push(t);
      continue;
    }
    if (isOp(t, "(")) {
      levels.push(newLevel(t));
      continue;
    }
    if (t.kind === "name" && isOp(toks[k], "(") && (STRUCTURE_KINDS as readonly string[]).includes(t.text)) {
      levels.push(newLevel(toks[k++], t));
      continue;
    }
    if (t.kind === "name") {
      if (isOp(toks[k], "(")) {
        const call = parseCall(src, toks, k - 1);
        calls[call.name] = call.expr;
        push(lv, { t: "var", name: call.name, pos: t.pos });
        k = call.next;
      } else push(lv, { t: "var", name: t.text, pos: t.pos });
    } else if (t.kind === "num") push(lv, { t: "num", value: Number(t.text), pos: t.pos });
    else throw syntaxError(src, t.pos, "a variable name, a number or '('", t.kind === "end" ? undefined : `${quote(t.text)}`);
    // Operators, and closing parentheses, until the next operand.
    for (;;) {
      t = toks[k++];
      if (isOp(t, "^") && !lv.powered) {
        const n = toks[k++];
        if (n.kind !== "num" || !Number.isInteger(Number(n.text))) throw syntaxError(src, n.pos, "a whole number after '^'", n.kind === "end" ? undefined : `${quote(n.text)}`);
        const power = Number(n.text);
        if (power < 1 || power > MAX_POWER) {
          throw new LmmError(
            `Formula: invalid power ${n.text} at position ${n.pos + 1} (as R says): a power must be a whole number from 1 to ${MAX_POWER}; (a + b)^2 means the terms and their two-way interactions.`,
            { position: n.pos },
          );
        }
        lv.operands.push({ t: "bin", op: "^", a: lv.operands.pop()!, b: { t: "num", value: power, pos: n.pos }, pos: t.pos });
        lv.powered = true;
        continue;
      }
      if (t.kind === "op" && Object.hasOwn(PRECEDENCE, t.text)) {
        while (lv.operators.length && PRECEDENCE[lv.operators[lv.operators.length - 1].text] >= PRECEDENCE[t.text]) reduce(lv);
        lv.operators.push(t);
        break;
      }
      if (isOp(t, "|", "||") && lv.open && !lv.bar) {
        lv.bar = { lhs: finish(lv), tok: t };
        lv.operands = [];
        break;
      }
      if (isOp(t, ")") && lv.open) {
        const inner = finish(lv);
        const structure = lv.structure && structureOfBar(lv.structure, lv.bar?.tok);
        const node: Node = lv.bar
          ? { t: "bar", lhs: lv.bar.lhs, rhs: inner, double: lv.bar.tok.text === "||", structure, pos: lv.open.pos }
          : { t: "paren", a: inner, pos: lv.open.pos };
        levels.pop();
        lv = levels[levels.length - 1];
        push(lv, node);
        continue;
      }
      if (t.kind === "end" && !lv.open) return finish(lv);
      throw unexpected(lv, t);
    }
  }
}

/** A structure's name before its parentheses (`cs(`), checked to enclose one `x | g` term. */
function structureOfBar(name: Token, bar: Token | undefined): StructureKind {
  const example = `${name.text}(0 + visit | subject)`;
  if (!bar) {
    throw new LmmError(`Formula: ${name.text}() at position ${name.pos + 1} must enclose a random-effects term, as in ${example}.`, { position: name.pos });
  }
  if (bar.text === "||") {
    throw new LmmError(`Formula: ${name.text}() at position ${name.pos + 1} takes a single bar, as in ${example}: the structure says how the columns correlate.`, {
      position: bar.pos,
    });
  }
  return name.text as StructureKind;
}

/** R's arithmetic inside a call: unary minus binds less tightly than '^' (-x^2 is -(x^2)), '^' is right-associative. */
const ARITH_PRECEDENCE: Record<string, number> = { "+": 1, "-": 1, "*": 2, "/": 2, neg: 3, "^": 4 };
const LOGICAL: Record<string, boolean> = { TRUE: true, T: true, FALSE: false, F: false };

/** A call being read: its arguments so far and the operator-precedence state of the current one. */
interface CallLevel {
  open: Token;
  /** The function's name; undefined for a parenthesis inside an argument. */
  fn?: Token;
  args: Expr[];
  named: Record<string, { value: boolean; text: string }>;
  operands: Expr[];
  operators: string[];
}

/**
 * A function call starting at toks[k] (its name; '(' follows), read with an
 * explicit stack as parseSum is (no recursion, whatever the nesting). Returns
 * the expression, R's deparsed text of it (the variable's name in terms and
 * coefficient names) and the index of the token after the closing ')'.
 */
function parseCall(src: string, toks: Token[], k: number): { expr: Expr; name: string; next: number } {
  const levels: CallLevel[] = [];
  const open = (fn: Token | undefined, paren: Token): void => {
    if (fn && !Object.hasOwn(FUNCTIONS, fn.text)) {
      throw new LmmError(`Formula: the function '${fn.text}' at position ${fn.pos + 1} is not supported; the supported functions are ${quoteList(Object.keys(FUNCTIONS), Infinity)}.`, { position: fn.pos });
    }
    levels.push({ open: paren, fn, args: [], named: {}, operands: [], operators: [] });
  };
  const reduce = (lv: CallLevel) => {
    const op = lv.operators.pop()!;
    if (op === "neg") lv.operands.push({ t: "neg", a: lv.operands.pop()! });
    else {
      const b = lv.operands.pop()!;
      lv.operands.push({ t: "bin", op: op as "+", a: lv.operands.pop()!, b });
    }
  };
  const finishArg = (lv: CallLevel): Expr => {
    while (lv.operators.length) reduce(lv);
    return lv.operands.pop()!;
  };
  open(toks[k], toks[k + 1]);
  k += 2;
  for (;;) {
    // An operand (after unary signs and opening parentheses).
    let lv = levels[levels.length - 1];
    let t = toks[k++];
    if (t.kind === "op" && t.text === "-") {
      lv.operators.push("neg");
      continue;
    }
    if (t.kind === "op" && t.text === "+") continue;
    if (t.kind === "op" && t.text === "(") {
      open(undefined, t);
      continue;
    }
    if (t.kind === "name" && toks[k].kind === "op" && toks[k].text === "(") {
      open(t, toks[k++]);
      continue;
    }
    if (t.kind === "name" && lv.fn && lv.operands.length === 0 && lv.operators.length === 0 && toks[k].kind === "op" && toks[k].text === "=") {
      // A named logical option such as raw = TRUE.
      const v = toks[k + 1];
      const spec = FUNCTIONS[lv.fn.text];
      if (!spec.named.includes(t.text)) {
        const known = spec.named.length ? `its options are ${quoteList(spec.named)}` : "it takes no named options";
        throw new LmmError(`Formula: ${lv.fn.text}() has no option '${t.text}' (position ${t.pos + 1}): ${known}.`, { position: t.pos });
      }
      if (v.kind !== "name" || !Object.hasOwn(LOGICAL, v.text)) throw syntaxError(src, v.pos, "TRUE or FALSE", v.kind === "end" ? undefined : `${quote(v.text)}`);
      lv.named[t.text] = { value: LOGICAL[v.text], text: v.text };
      k += 2;
      t = toks[k++];
      if (!(t.kind === "op" && (t.text === "," || t.text === ")"))) throw syntaxError(src, t.pos, "',' or ')'", t.kind === "end" ? undefined : `${quote(t.text)}`);
      k--;
    } else if (t.kind === "name") lv.operands.push({ t: "col", name: t.text });
    else if (t.kind === "num") lv.operands.push({ t: "num", value: Number(t.text), text: t.text });
    else throw syntaxError(src, t.pos, "a variable name, a number or '('", t.kind === "end" ? undefined : `${quote(t.text)}`);
    // Operators and closing parentheses until the next operand.
    for (;;) {
      t = toks[k++];
      lv = levels[levels.length - 1];
      if (t.kind === "op" && Object.hasOwn(ARITH_PRECEDENCE, t.text) && t.text !== "neg") {
        const p = ARITH_PRECEDENCE[t.text];
        const top = () => ARITH_PRECEDENCE[lv.operators[lv.operators.length - 1]];
        while (lv.operators.length && (t.text === "^" ? top() > p : top() >= p)) reduce(lv);
        lv.operators.push(t.text);
        break;
      }
      if (t.kind === "op" && t.text === "," && lv.fn) {
        lv.args.push(finishArg(lv));
        break;
      }
      if (t.kind === "op" && t.text === ")") {
        if (lv.operands.length) lv.args.push(finishArg(lv));
        levels.pop();
        const expr = lv.fn ? checkedCall(lv, levels.length === 0) : { t: "paren" as const, a: lv.args[0] };
        if (levels.length === 0) return { expr, name: deparse(expr), next: k };
        levels[levels.length - 1].operands.push(expr);
        continue;
      }
      throw syntaxError(src, t.pos, lv.fn ? "an operator, ',' or ')'" : "an operator or ')'", t.kind === "end" ? undefined : `${quote(t.text)}`);
    }
  }
}

/** A call with the arguments its function takes, where it may stand. */
function checkedCall(lv: CallLevel, outermost: boolean): Expr {
  const fn = lv.fn!;
  const spec = FUNCTIONS[fn.text];
  const call: Expr = { t: "call", fn: fn.text, args: lv.args, named: lv.named, pos: fn.pos };
  const where = `${fn.text}() at position ${fn.pos + 1}`;
  if (lv.args.length !== spec.args) {
    throw new LmmError(`Formula: ${where} takes ${spec.args} argument${spec.args > 1 ? "s" : ""} (${deparse(call)} has ${lv.args.length}).`, { position: fn.pos });
  }
  if (spec.topLevel && !outermost) {
    throw new LmmError(`Formula: ${where} must be a term of its own, not inside another function or expression (as R's safe prediction requires).`, { position: fn.pos });
  }
  if (fn.text === "factor" && lv.args[0].t !== "col") throw new LmmError(`Formula: ${where} takes a column name, as in factor(Diet).`, { position: fn.pos });
  if (fn.text === "poly") {
    const d = lv.args[1];
    if (d.t !== "num" || !Number.isInteger(d.value) || d.value < 1) {
      throw new LmmError(`Formula: the degree of ${where} must be a whole number of at least 1, as in poly(time, 2).`, { position: fn.pos });
    }
  }
  return call;
}

/**
 * A number as R's deparse writes it: 15 significant digits, in fixed notation
 * unless scientific is shorter (1000, 0.001, but 1e+05, 1e-04).
 */
function rNumber(v: number): string {
  const x = Number(v.toPrecision(15));
  const [mantissa, e] = x.toExponential().split("e");
  const exp = Number(e);
  const sci = `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  if (exp >= 21) return sci;
  const fixed = x.toFixed(Math.max(0, (mantissa.split(".")[1] ?? "").length - exp));
  return fixed.length <= sci.length ? fixed : sci;
}

/** R's deparse of an expression: the text R prints in coefficient names. */
function deparse(root: Expr): string {
  return foldTree<Expr, string>(root, exprChildren, (e, kids) => {
    switch (e.t) {
      case "col":
        return rName(e.name);
      case "num":
        return rNumber(e.value);
      case "paren":
        return `(${kids[0]})`;
      case "neg":
        return `-${kids[0]}`;
      case "bin":
        return e.op === "/" || e.op === "^" ? `${kids[0]}${e.op}${kids[1]}` : `${kids[0]} ${e.op} ${kids[1]}`;
      case "call":
        return `${e.fn}(${[...kids, ...Object.entries(e.named).map(([k, v]) => `${k} = ${v.text}`)].join(", ")})`;
    }
  });
}

const key = (t: Term) => [...t].sort().join(":");

/** Interaction terms without repeats, in order of first appearance. */
class TermSet {
  readonly list: Term[] = [];
  private readonly keys = new Set<string>();
  constructor(terms: Term[] = []) {
    for (const t of terms) this.add(t);
  }
  add(t: Term): void {
    const k = key(t);
    if (!this.keys.has(k)) (this.keys.add(k), this.list.push(t));
  }
  get size(): number {
    return this.list.length;
  }
}

interface Expanded {
  /** Owned by the node that receives it, which may add to it (a long sum is not copied at every '+'). */
  terms: TermSet;
  intercept: boolean | undefined; // undefined: not said (R's default is an intercept)
  bars: Node[];
}

function interact(a: Term[], b: Term[], at: Node): Term[] {
  if (a.length * b.length > MAX_EXPANSION_TERMS) {
    throw new LmmError(
      `Formula: the '${(at as { op: string }).op}' at position ${at.pos + 1} combines ${a.length} terms with ${b.length}, more than the ${MAX_EXPANSION_TERMS.toLocaleString("en-US")} terms a formula may expand to: write the interactions you need.`,
      { position: at.pos },
    );
  }
  const out = new TermSet();
  for (const x of a) for (const y of b) out.add([...x, ...y.filter((v) => !x.includes(v))]);
  return out.list;
}

/** The term list of a subtree, bars kept aside (allowed only where a sum of terms stands). */
function expand(root: Node, allowBars: boolean): Expanded {
  type Job = { node: Node; allowBars: boolean };
  const children = ({ node, allowBars }: Job): Job[] => {
    switch (node.t) {
      case "paren":
        return [{ node: node.a, allowBars }];
      case "neg":
        return [{ node: node.a, allowBars: false }];
      case "bin":
        if (node.op === "^") return [{ node: node.a, allowBars: false }];
        return [
          { node: node.a, allowBars: allowBars && (node.op === "+" || node.op === "-") },
          { node: node.b, allowBars: allowBars && node.op === "+" },
        ];
      default:
        return [];
    }
  };
  return foldTree<Job, Expanded>({ node: root, allowBars }, children, ({ node, allowBars }, [a, b]) => {
    switch (node.t) {
      case "var":
        return { terms: new TermSet([[node.name]]), intercept: undefined, bars: [] };
      case "num":
        if (node.value === 1) return { terms: new TermSet(), intercept: true, bars: [] };
        if (node.value === 0) return { terms: new TermSet(), intercept: false, bars: [] };
        throw new LmmError(`Formula: the number ${node.value} at position ${node.pos + 1} has no meaning; only 0 and 1 (the intercept) may appear.`, { position: node.pos });
      case "paren":
        return a;
      case "bar":
        if (!allowBars) {
          throw new LmmError(`Formula: a random-effects term '(... | ...)' at position ${node.pos + 1} must stand on its own, added with '+' to the fixed effects.`, { position: node.pos });
        }
        return { terms: new TermSet(), intercept: undefined, bars: [node] };
      case "neg":
        if (a.intercept === true && a.terms.size === 0) return { terms: new TermSet(), intercept: false, bars: [] };
        throw new LmmError(`Formula: '-' at position ${node.pos + 1} can only remove the intercept ('- 1') or a term written before it ('a*b - a:b').`, { position: node.pos });
      case "bin":
        return combineTerms(node as Node & { t: "bin" }, a, b);
    }
  });
}

function combineTerms(node: Node & { t: "bin" }, a: Expanded, b: Expanded): Expanded {
  if (node.op === "-") {
    const drop = new Set(b.terms.list.map(key));
    return { terms: new TermSet(a.terms.list.filter((t) => !drop.has(key(t)))), intercept: b.intercept === true ? false : a.intercept, bars: a.bars };
  }
  if (node.op === "^") {
    // Interactions up to order n: no new term after the number of variables.
    const n = Math.min((node.b as { value: number }).value, new Set(a.terms.list.flat()).size);
    const main = [...a.terms.list];
    for (let i = 1; i < n; i++) for (const t of interact(a.terms.list, main, node)) a.terms.add(t);
    return { terms: a.terms, intercept: a.intercept, bars: [] };
  }
  if (node.op === "+") {
    for (const t of b.terms.list) a.terms.add(t);
    a.bars.push(...b.bars);
    return { terms: a.terms, intercept: b.intercept ?? a.intercept, bars: a.bars };
  }
  if (a.bars.length || b.bars.length) throw new LmmError(`Formula: a random-effects term cannot be combined with ${quote(node.op)} (position ${node.pos + 1}).`, { position: node.pos });
  if (node.op === ":") return { terms: new TermSet(interact(a.terms.list, b.terms.list, node)), intercept: undefined, bars: [] };
  if (node.op === "*") {
    const both = interact(a.terms.list, b.terms.list, node);
    for (const t of [...b.terms.list, ...both]) a.terms.add(t);
    return { terms: a.terms, intercept: undefined, bars: [] };
  }
  // a/b = a + a:b, where a:b interacts b with all variables of a.
  for (const t of interact([[...new Set(a.terms.list.flat())]], b.terms.list, node)) a.terms.add(t);
  return { terms: a.terms, intercept: undefined, bars: [] };
}

/**
 * R's terms(): variables inside a term in order of their first appearance in
 * the formula (`age + Sex + Sex:age` has the term age:Sex), terms by degree,
 * stable within a degree.
 */
function ordered(terms: Term[], firstSeen: string[]): Term[] {
  const rank = new Map(firstSeen.map((v, i) => [v, i]));
  return terms
    .map((t, i) => ({ t: [...t].sort((a, b) => rank.get(a)! - rank.get(b)!), i }))
    .sort((x, y) => x.t.length - y.t.length || x.i - y.i)
    .map((x) => x.t);
}

function termList(e: Expanded, firstSeen: string[]): TermList {
  return { intercept: e.intercept ?? true, terms: ordered(e.terms.list, firstSeen) };
}

/** The children of a node in the order written, random-effects terms left out. */
function subtrees(node: Node): Node[] {
  if (node.t === "bin") return [node.a, node.b];
  if (node.t === "neg" || node.t === "paren") return [node.a];
  return [];
}

/** Variable names in order of first appearance in a (sub)tree, after `before`. */
function variablesInOrder(node: Node, before: string[] = []): string[] {
  const seen = new Set(before);
  foldTree<Node, void>(node, subtrees, (n) => {
    if (n.t === "var") seen.add(n.name);
  });
  return [...seen];
}

interface GroupingFactor {
  vars: string[];
  name: string;
}

function groupingFactors(node: Node): GroupingFactor[] {
  // `a/b/c` -> c:b:a, b:a, a (lme4's names, in the order of lme4's findbars,
  // which the term order of ties and ranova's rows follow); `a:b` stays `a:b`.
  const structural = (n: Node) => (n.t === "bin" && (n.op === "/" || n.op === "+")) || n.t === "paren";
  return foldTree<Node, GroupingFactor[]>(
    node,
    (n) => (structural(n) ? subtrees(n) : []),
    (n, [outer, inner]) => {
      if (n.t === "paren") return outer;
      if (n.t === "bin" && n.op === "+") return (outer.push(...inner), outer);
      if (n.t === "bin" && n.op === "/") {
        if (inner.length !== 1) throw new LmmError(`Formula: the right side of '/' at position ${n.pos + 1} must be one grouping factor.`, { position: n.pos });
        const innermost = outer[0];
        outer.unshift({ vars: [...inner[0].vars, ...innermost.vars], name: `${inner[0].name}:${innermost.name}` });
        return outer;
      }
      const e = expand(n, false);
      if (e.terms.size !== 1 || e.intercept !== undefined) {
        throw new LmmError(`Formula: the grouping factor of the random-effects term at position ${n.pos + 1} must be a variable or an interaction such as a:b.`, { position: n.pos });
      }
      return [{ vars: e.terms.list[0], name: e.terms.list[0].join(":") }];
    },
  );
}

function randomTerms(bar: Node & { t: "bar" }): RandomTerm[] {
  const lhs = termList(expand(bar.lhs, false), variablesInOrder(bar.lhs));
  const out: RandomTerm[] = [];
  for (const g of groupingFactors(bar.rhs)) {
    if (!bar.double) {
      // us(x | g) is (x | g): unstructured, as a term without a structure.
      out.push({ lhs, group: g.vars, groupName: g.name, ...(bar.structure && bar.structure !== "us" && { structure: bar.structure }) });
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
  const found = (t: Token) => (t.kind === "end" ? undefined : `${quote(t.text)}`);
  let k = 0;
  let response: string | undefined;
  const calls: Record<string, Expr> = {};
  if (!(toks[0].kind === "op" && toks[0].text === "~")) {
    const t = toks[k++];
    if (t.kind !== "name") throw syntaxError(src, t.pos, "the response variable or '~'", found(t));
    if (toks[k].kind === "op" && toks[k].text === "(") {
      const call = parseCall(src, toks, k - 1);
      calls[call.name] = call.expr;
      response = call.name;
      k = call.next;
    } else response = t.text;
  }
  const tilde = toks[k++];
  if (!(tilde.kind === "op" && tilde.text === "~")) throw syntaxError(src, tilde.pos, "'~' after the response", found(tilde));
  const rhs = parseSum(src, toks, k, calls);
  const e = expand(rhs, true);
  const random = e.bars.flatMap((b) => randomTerms(b as Node & { t: "bar" }));
  const firstSeen = variablesInOrder(rhs, response ? [response] : []);
  const fixed = termList(e, firstSeen);
  // R's terms() keeps an offset out of the term labels: it enters as a known term.
  const isOffset = (v: string) => {
    const e = Object.hasOwn(calls, v) ? calls[v] : undefined;
    return e?.t === "call" && e.fn === "offset";
  };
  const offsets = fixed.terms.filter((t) => t.length === 1 && isOffset(t[0])).map((t) => t[0]);
  const misplaced = [response ?? "", ...fixed.terms.filter((t) => t.length > 1).flat(), ...random.flatMap((r) => r.lhs.terms.flat())].find(isOffset);
  if (misplaced) throw new LmmError(`Formula: ${misplaced} can only be a term of its own in the fixed part (it adds a known value to the linear predictor).`);
  fixed.terms = fixed.terms.filter((t) => !(t.length === 1 && isOffset(t[0])));
  return { response, fixed, random, text: src.trim().replace(/\s+/g, " "), calls, offsets };
}

// R's syntactic names (letters in any script, as R in a UTF-8 locale).
const SYNTACTIC_NAME = /^((\p{L}|\.[._\p{L}])[._\p{L}\p{N}]*|\.)$/u;

/**
 * A variable as R names it in model-matrix columns (deparse): a name that is
 * not syntactic is backticked, so a column named `(Intercept)` or `Days:D2`
 * cannot collide with the intercept or an interaction.
 */
export function rName(name: string): string {
  return SYNTACTIC_NAME.test(name) ? name : `\`${name.replace(/`/g, "\\`")}\``;
}

/** All variables a parsed formula uses, response first. */
export function formulaVariables(f: ParsedFormula): string[] {
  const vars = new Set<string>();
  if (f.response) vars.add(f.response);
  f.offsets.forEach((v) => vars.add(v));
  for (const t of f.fixed.terms) t.forEach((v) => vars.add(v));
  for (const r of f.random) {
    r.lhs.terms.forEach((t) => t.forEach((v) => vars.add(v)));
    r.group.forEach((v) => vars.add(v));
  }
  return [...vars];
}

/**
 * The data columns a variable of a parsed formula reads: itself for a plain
 * column, the columns inside a call (`Days` for `poly(Days, 2)`).
 */
export function variableColumns(f: ParsedFormula, name: string): string[] {
  return Object.hasOwn(f.calls, name) ? expressionColumns(f.calls[name]) : [name];
}

/** The column a variable of a parsed formula codes as a factor with `factor(x)`, if it is such a call. */
export function factorVariableColumn(f: ParsedFormula, name: string): string | undefined {
  return Object.hasOwn(f.calls, name) ? factorCallColumn(f.calls[name]) : undefined;
}
