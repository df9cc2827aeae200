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
