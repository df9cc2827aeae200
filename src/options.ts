// Option objects are checked where they enter the API: an unknown name or a
// value of the wrong type is an error that names it (and the nearest known
// name), never silently ignored (`{ REML: "false" }` used to fit REML).
import { LmmError, quote, quoteList } from "./errors.js";

/** What an option's value must be: a JavaScript type, or one of a list of strings. */
export type OptionKind = "boolean" | "string" | "number" | "count" | "function" | "object" | "array" | "string[]" | "column" | readonly string[];

/** The options a function takes, by name. */
export type OptionSpec = Record<string, OptionKind>;

function matches(value: unknown, kind: OptionKind): boolean {
  if (Array.isArray(kind)) return kind.includes(value as string);
  switch (kind) {
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "column":
      return typeof value === "string" || Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
    case "number":
      return typeof value === "number" && !Number.isNaN(value);
    case "count":
      return Number.isInteger(value) && (value as number) >= 1;
    default:
      return typeof value === kind;
  }
}

function describe(kind: OptionKind): string {
  const names: Record<string, string> = {
    boolean: "true or false",
    string: "a string",
    number: "a number",
    count: "a whole number of at least 1",
    function: "a function",
    object: "an object",
    array: "an array",
    "string[]": "an array of strings",
    column: "a column name or an array of numbers, one per data row",
  };
  return names[kind as string];
}

/** Levenshtein distance, for the suggestion of the nearest known name. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** The known name nearest to `name` (case aside, a prefix of it, or within two edits or a third of its letters), if any. */
function nearest(name: string, known: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() || k.toLowerCase().startsWith(name.toLowerCase()) ? 0 : editDistance(name, k);
    if (d <= Math.max(2, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/**
 * Throw an LmmError for the first option of `options` that `spec` does not
 * know or whose value has the wrong type (undefined counts as not given).
 * `where` names the function in the message.
 */
export function checkOptions(options: object | undefined, spec: OptionSpec, where: string): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new LmmError(`The options of ${where} must be an object, not ${quote(options)}.`);
  }
  const known = Object.keys(spec);
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(spec, name)) {
      const near = nearest(name, known);
      throw new LmmError(`Unknown option ${quote(name)} of ${where}.${near ? ` Did you mean ${quote(near)}?` : ""} The options are: ${quoteList(known, known.length)}.`);
    }
    if (value === undefined || matches(value, spec[name])) continue;
    const kind = spec[name];
    const shown = quote(typeof value === "string" ? value : String(value));
    if (Array.isArray(kind)) {
      throw new LmmError(`Unknown ${name} ${shown} for ${where}: choose ${kind.slice(0, -1).join(", ")} or ${kind.at(-1)}.`);
    }
    // A string where a boolean or number belongs ({ REML: "false" }) is the likely slip: say so.
    throw new LmmError(`${name} must be ${describe(kind)}, not ${typeof value === "string" ? `the string "${value}"` : shown} (${where}).`);
  }
}
