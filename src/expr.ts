// The expressions inside a formula's function calls (`log(dose)`, `I((t - 1)^2)`):
// their tree, the functions a formula may call, and the iterative fold that the
// parser and the evaluation use (no recursion, whatever the nesting). Shared by
// formula.ts (syntax) and model/transforms.ts (values), so neither imports the other.

/** A function of variables, as written inside a call such as `log(...)` or `I(...)`. */
export type Expr =
  | { t: "col"; name: string }
  | { t: "num"; value: number; text: string }
  | { t: "bin"; op: "+" | "-" | "*" | "/" | "^"; a: Expr; b: Expr }
  | { t: "neg"; a: Expr }
  | { t: "paren"; a: Expr }
  | { t: "call"; fn: string; args: Expr[]; named: Record<string, { value: boolean; text: string }>; pos: number };

/**
 * A tree folded bottom-up with an explicit stack (no recursion, whatever the
 * depth): `combine` gets a node and the results of its children, in order.
 */
export function foldTree<N, R>(root: N, children: (node: N) => N[], combine: (node: N, results: R[]) => R): R {
  const stack: { node: N; kids?: number }[] = [{ node: root }];
  const results: R[] = [];
  while (stack.length) {
    const job = stack.pop()!;
    if (job.kids === undefined) {
      const kids = children(job.node);
      job.kids = kids.length;
      stack.push(job);
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i] });
    } else {
      results.push(combine(job.node, results.splice(results.length - job.kids, job.kids)));
    }
  }
  return results[0];
}

/** The subexpressions of an expression, in the order written. */
export function exprChildren(e: Expr): Expr[] {
  if (e.t === "bin") return [e.a, e.b];
  if (e.t === "neg" || e.t === "paren") return [e.a];
  if (e.t === "call") return e.args;
  return [];
}

/** The data columns an expression reads, in order of appearance. */
export function expressionColumns(expr: Expr): string[] {
  const cols = new Set<string>();
  foldTree<Expr, void>(expr, exprChildren, (e) => {
    if (e.t === "col") cols.add(e.name);
  });
  return [...cols];
}

/** The column that `factor(x)` codes as a factor, when the expression is such a call. */
export function factorCallColumn(e: Expr): string | undefined {
  return e.t === "call" && e.fn === "factor" && e.args[0]?.t === "col" ? e.args[0].name : undefined;
}

/** A supported function: its positional arguments and named logical options. */
interface FunctionSpec {
  args: number;
  named: string[];
  /** Only as a whole variable (not inside another expression): it has fit-time state, many columns or is a factor. */
  topLevel?: boolean;
}

/** Functions applied value by value, as R's of the same name. */
export const ELEMENTWISE: Record<string, (v: number) => number> = {
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  exp: Math.exp,
  sqrt: Math.sqrt,
  abs: Math.abs,
};

/** The functions a formula may call, with R's argument conventions. */
export const FUNCTIONS: Record<string, FunctionSpec> = {
  ...Object.fromEntries(Object.keys(ELEMENTWISE).map((f) => [f, { args: 1, named: [] }])),
  I: { args: 1, named: [] },
  poly: { args: 2, named: ["raw"], topLevel: true },
  scale: { args: 1, named: ["scale"], topLevel: true },
  factor: { args: 1, named: [], topLevel: true },
  offset: { args: 1, named: [], topLevel: true },
};

