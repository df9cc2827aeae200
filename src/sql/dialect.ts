// The few places where SQL engines differ for the statistics query: quoting of
// names and strings, the name of the double type, and log2 (which PostgreSQL
// lacks for doubles). Everything else the query uses (CASE, CAST, sum, count,
// avg, ln, exp, sqrt, abs, power, GROUP BY, CROSS JOIN) is common SQL.

/** The SQL engines whose syntax the statistics query can be written in. */
export type DialectName = "duckdb" | "postgres" | "spark";

/** The dialect names, for option checks. */
export const DIALECTS: readonly DialectName[] = ["duckdb", "postgres", "spark"];

/** How one engine spells what differs. */
export interface Dialect {
  name: DialectName;
  /** A column or alias name as an identifier. */
  identifier(name: string): string;
  /** A string literal. */
  string(value: string): string;
  /** An expression cast to a double. */
  double(sql: string): string;
  /**
   * A double as a literal that reads back to the same double: its shortest
   * round-trip digits as a string, cast (a bare decimal literal may be read as
   * an exact decimal first, and rounded again on the cast).
   */
  number(x: number): string;
  /** log2 of an expression. */
  log2(sql: string): string;
}

const doubleQuoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const singleQuoted = (value: string) => `'${value.replace(/'/g, "''")}'`;

const DEFINITIONS: Record<DialectName, Dialect> = {
  duckdb: {
    name: "duckdb",
    identifier: doubleQuoted,
    string: singleQuoted,
    double: (sql) => `CAST(${sql} AS DOUBLE)`,
    number: (x) => `CAST('${x}' AS DOUBLE)`,
    log2: (sql) => `log2(${sql})`,
  },
  postgres: {
    name: "postgres",
    identifier: doubleQuoted,
    string: singleQuoted,
    double: (sql) => `CAST(${sql} AS DOUBLE PRECISION)`,
    number: (x) => `CAST('${x}' AS DOUBLE PRECISION)`,
    // PostgreSQL's log(b, x) is for numeric only.
    log2: (sql) => `(ln(${sql}) / ln(2.0))`,
  },
  spark: {
    name: "spark",
    identifier: (name) => `\`${name.replace(/`/g, "``")}\``,
    // Spark SQL reads a backslash in a string literal as an escape.
    string: (value) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`,
    double: (sql) => `CAST(${sql} AS DOUBLE)`,
    number: (x) => `CAST('${x}' AS DOUBLE)`,
    log2: (sql) => `log2(${sql})`,
  },
};

/** The dialect of an engine. */
export function dialect(name: DialectName): Dialect {
  return DEFINITIONS[name];
}
