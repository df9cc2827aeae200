// The model as SQL: from a parsed formula and a table's columns, an expression
// for every column of v = [Z of each term, X, y] (cell-statistics.ts), so that
// an engine can sum their products where the data live. The columns are those
// buildDesign makes from rows, with R's names: numeric covariates, factors as
// 0/1 indicators with treatment contrasts (a factor is coded by contrasts when
// the term without it is already in the model, R's rule), interactions as
// products, the intercept, and the elementwise functions of the formula
// language. poly() and scale() learn from the data (a first pass over it) and
// offset() changes the response: they are refused with the way round.
import { LmmError, quote, quoteList } from "../errors.js";
import { exprChildren, foldTree, type Expr } from "../expr.js";
import { formulaVariables, rName, variableColumns, factorVariableColumn, type ParsedFormula, type Term, type TermList } from "../formula.js";
import type { Dialect } from "./dialect.js";
import type { StructureKind } from "../model/covariance/structure.js";

/** A column of the table as the planner sees it (DuckDB's DESCRIBE, reduced). */
export interface TableColumn {
  name: string;
  kind: "numeric" | "text";
}

/** A 0/1 indicator of a factor's level, as SQL and as what it tests. */
export interface Indicator {
  /** The data column coded as a factor. */
  column: string;
  level: string;
  sql: string;
}

/** A numeric factor of a column: a covariate or a function of covariates, by its R name and as SQL. */
export interface NumericPart {
  name: string;
  sql: string;
}

/**
 * A model column as a product of 0/1 indicators of factor levels and numeric
 * parts (none: the constant 1), so that the statistics query can sum only the
 * numeric parts' products per cell of the factors' values (statistics-query.ts).
 */
export interface ColumnParts {
  indicators: Indicator[];
  numeric: NumericPart[];
}

/** The SQL of a column from its parts. */
export function partsSql(parts: ColumnParts, d: Dialect): string {
  const all = [...parts.indicators.map((i) => i.sql), ...parts.numeric.map((x) => x.sql)];
  return all.length === 0 ? d.double("1") : all.join(" * ");
}

/** One random-effects term: its grouping variables and its columns of Z. */
export interface PlannedTerm {
  /** lme4's grouping factor name: `Subject`, `cask:batch`. */
  group: string;
  /** The data columns whose interaction is the grouping factor. */
  groupVars: string[];
  lhs: TermList;
  /** R's names of the term's columns and their SQL expressions. */
  names: string[];
  sql: string[];
  parts: ColumnParts[];
  /** The covariance structure the formula gave (`cs(0 + visit | subject)`); unstructured when absent. */
  structure?: StructureKind;
}

/** The model's columns as SQL expressions, in the order of v: terms (formula order), X, y. */
export interface ModelPlan {
  formula: ParsedFormula;
  response: string;
  terms: PlannedTerm[];
  /** X's columns: R's names and SQL expressions. */
  xNames: string[];
  xSql: string[];
  xParts: ColumnParts[];
  ySql: string;
  /** Data columns the model reads: a row with a NULL in any of them is dropped. */
  used: string[];
  /** The grouping columns, each once, in order of first use. */
  groupColumns: string[];
  /** Levels of each data column coded as a factor in X or in a term's columns. */
  factorLevels: Record<string, string[]>;
}

/** How columns enter the model (as lmer's options of the same names). */
export interface PlanOptions {
  /** Numeric columns to treat as factors. */
  factors?: string[];
}

/** A data column whose levels the plan needs: coded as a factor in X or in a term's columns. */
interface FactorColumn {
  column: string;
  kind: "numeric" | "text";
}

/** The variables of a formula coded as factors outside the grouping factors, with the data column each reads. */
function factorVariables(formula: ParsedFormula, columns: Map<string, TableColumn>, options: PlanOptions): Map<string, FactorColumn> {
  const out = new Map<string, FactorColumn>();
  const modelTerms = [...formula.fixed.terms, ...formula.random.flatMap((r) => r.lhs.terms)];
  for (const v of new Set(modelTerms.flat())) {
    const inner = factorVariableColumn(formula, v);
    const column = inner ?? (Object.hasOwn(formula.calls, v) ? undefined : v);
    if (column === undefined) continue;
    const c = tableColumn(columns, column);
    if (inner !== undefined || c.kind === "text" || (options.factors ?? []).includes(column)) out.set(v, { column, kind: c.kind });
  }
  return out;
}

function tableColumn(columns: Map<string, TableColumn>, name: string): TableColumn {
  const c = columns.get(name);
  if (!c) throw new LmmError(`The table has no column ${quote(name)} (its columns: ${quoteList([...columns.keys()])}): fix the formula or choose another table.`);
  return c;
}

/** The data columns whose levels a plan of this formula needs (see planModel's `levels`). */
export function factorColumns(formula: ParsedFormula, table: readonly TableColumn[], options: PlanOptions = {}): TableColumn[] {
  const columns = new Map(table.map((c) => [c.name, c]));
  const seen = new Map<string, TableColumn>();
  for (const f of factorVariables(formula, columns, options).values()) seen.set(f.column, { name: f.column, kind: f.kind });
  return [...seen.values()];
}

/** SQL for an expression of a formula's function call. */
function expressionSql(root: Expr, variable: string, numeric: (column: string) => string, d: Dialect): string {
  return foldTree<Expr, string>(root, exprChildren, (e, args) => {
    switch (e.t) {
      case "col":
        return numeric(e.name);
      case "num":
        return d.double(String(e.value));
      case "neg":
        return `(-${args[0]})`;
      case "paren":
        return `(${args[0]})`;
      case "bin":
        return e.op === "^" ? `power(${args[0]}, ${args[1]})` : `(${args[0]} ${e.op} ${args[1]})`;
      case "call":
        switch (e.fn) {
          case "I":
            return args[0];
          case "log":
            return `ln(${args[0]})`;
          case "log10":
            return `log10(${args[0]})`;
          case "log2":
            return d.log2(args[0]);
          case "exp":
          case "sqrt":
          case "abs":
            return `${e.fn}(${args[0]})`;
          default:
            throw new LmmError(
              `${quote(variable)} cannot be computed in SQL here: ${e.fn}() ${e.fn === "poly" || e.fn === "scale" ? "learns from the data in a pass of its own" : e.fn === "offset" ? "changes the response" : "has no exact SQL counterpart"}; ` +
                `compute the column in the table (or fit the rows in memory with --engine memory).`,
            );
        }
    }
  });
}

/** Plan the model's columns. `levels` holds the levels of every column factorColumns() names, in R's order. */
export function planModel(formula: ParsedFormula, table: readonly TableColumn[], levels: Record<string, string[]>, d: Dialect, options: PlanOptions = {}): ModelPlan {
  if (!formula.response) throw new LmmError("The formula has no response: write it as 'y ~ ...' with the response column on the left.");
  if (formula.random.length === 0) throw new LmmError("The formula has no random-effects term: add one such as '(1 | subject)'.");
  if (formula.offsets.length > 0) throw new LmmError(`The formula's ${formula.offsets.join(", ")} cannot be used from SQL statistics yet: subtract the offset from the response in the table instead.`);
  const columns = new Map(table.map((c) => [c.name, c]));
  const used = [...new Set(formulaVariables(formula).flatMap((v) => variableColumns(formula, v)))];
  used.forEach((c) => tableColumn(columns, c));
  const factors = factorVariables(formula, columns, options);
  const numeric = (name: string) => {
    if (tableColumn(columns, name).kind !== "numeric") throw new LmmError(`Column ${quote(name)} holds text but the formula uses it as a number: use a numeric column or factor(${name}).`);
    return d.double(d.identifier(name));
  };
  const numericSql = (v: string) => (Object.hasOwn(formula.calls, v) ? expressionSql(formula.calls[v], v, numeric, d) : numeric(v));
  const label = (v: string) => (Object.hasOwn(formula.calls, v) ? v : rName(v));
  const levelsOf = (v: string) => {
    const { column } = factors.get(v)!;
    if (!Object.hasOwn(levels, column)) throw new LmmError(`The levels of ${quote(column)} are needed to write its indicator columns: give them (--levels ${column}=a,b,...) or the data to read them from.`);
    return levels[column];
  };
  const indicator = (v: string, level: string): Indicator => {
    const { column, kind } = factors.get(v)!;
    const test = kind === "numeric" ? `${d.double(d.identifier(column))} = ${d.double(level)}` : `${d.identifier(column)} = ${d.string(level)}`;
    return { column, level, sql: `CASE WHEN ${test} THEN ${d.double("1")} ELSE ${d.double("0")} END` };
  };

  // The model matrix of a term list, as buildDesign's with treatment contrasts.
  const modelMatrix = (list: TermList) => {
    const names: string[] = [];
    const parts: ColumnParts[] = [];
    if (list.intercept) (names.push("(Intercept)"), parts.push({ indicators: [], numeric: [] }));
    const present = new Set<string>(list.intercept ? [""] : []);
    const key = (t: Term) => [...t].sort().join(":");
    for (const term of list.terms) {
      const factorsOfTerm = term.map((v): { names: string[]; parts: ColumnParts[] } => {
        if (!factors.has(v)) return { names: [label(v)], parts: [{ indicators: [], numeric: [{ name: label(v), sql: numericSql(v) }] }] };
        const margin = key(term.filter((u) => u !== v));
        const contrasts = present.has(margin);
        if (!contrasts && margin === "") present.add("");
        const lv = contrasts ? levelsOf(v).slice(1) : levelsOf(v);
        return { names: lv.map((l) => `${label(v)}${l}`), parts: lv.map((l) => ({ indicators: [indicator(v, l)], numeric: [] })) };
      });
      // Cartesian product, first variable varying fastest.
      let acc = factorsOfTerm[0];
      for (const part of factorsOfTerm.slice(1)) {
        const next: { names: string[]; parts: ColumnParts[] } = { names: [], parts: [] };
        for (let b = 0; b < part.names.length; b++) {
          for (let a = 0; a < acc.names.length; a++) {
            next.names.push(`${acc.names[a]}:${part.names[b]}`);
            next.parts.push({ indicators: [...acc.parts[a].indicators, ...part.parts[b].indicators], numeric: [...acc.parts[a].numeric, ...part.parts[b].numeric] });
          }
        }
        acc = next;
      }
      names.push(...acc.names);
      parts.push(...acc.parts);
      present.add(key(term));
    }
    return { names, parts, sql: parts.map((c) => partsSql(c, d)) };
  };

  const response = formula.response;
  if (factors.has(response) || (!Object.hasOwn(formula.calls, response) && tableColumn(columns, response).kind !== "numeric")) {
    throw new LmmError(`The response ${quote(response)} is not numeric: choose a numeric column.`);
  }
  if (formula.fixed.terms.some((t) => t.includes(response))) throw new LmmError(`The response ${quote(response)} appears on the right-hand side: remove it from the fixed effects.`);
  const X = modelMatrix(formula.fixed);
  if (X.names.length === 0) throw new LmmError("The fixed-effects part has no columns: keep the intercept or add a fixed effect.");
  const terms = formula.random.map((r) => {
    const call = r.group.find((v) => Object.hasOwn(formula.calls, v));
    if (call) throw new LmmError(`The grouping factor ${quote(call)} of a random-effects term is a function call: use a column of the data.`);
    const Z = modelMatrix(r.lhs);
    if (Z.names.length === 0) throw new LmmError(`The random-effects term for ${quote(r.groupName)} has no columns: write (1 | ${r.groupName}) or (x | ${r.groupName}).`);
    return { group: r.groupName, groupVars: r.group, lhs: r.lhs, names: Z.names, sql: Z.sql, parts: Z.parts, ...(r.structure && { structure: r.structure }) };
  });
  const factorLevels: Record<string, string[]> = {};
  for (const { column } of factors.values()) factorLevels[column] = levels[column];
  return {
    formula,
    response,
    terms,
    xNames: X.names,
    xSql: X.sql,
    xParts: X.parts,
    ySql: numericSql(response),
    used,
    groupColumns: [...new Set(terms.flatMap((t) => t.groupVars))],
    factorLevels,
  };
}
