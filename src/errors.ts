/**
 * An error in what the user gave us (data, formula, options). Its message is one
 * sentence that names the problem and the fix; the CLI prints it without a stack.
 */
export class LmmError extends Error {
  /** For formula syntax errors: the 0-based character position of the problem. */
  readonly position?: number;

  constructor(message: string, options: { position?: number } = {}) {
    super(message);
    this.name = "LmmError";
    this.position = options.position;
  }
}

/** Longest name or value quoted in a message, in characters. */
const MAX_QUOTED = 60;

/**
 * A name or value quoted for a message, cut to 60 characters with an ellipsis:
 * a 1 MB column name must not make a 1 MB error line.
 */
export function quote(value: unknown): string {
  const s = String(value);
  return `'${s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED - 1)}…` : s}'`;
}

/** Names quoted for a message, at most `max` of them (then how many more). */
export function quoteList(names: readonly unknown[], max = 10): string {
  const shown = names.slice(0, max).map(quote).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
