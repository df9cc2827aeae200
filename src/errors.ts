/**
 * An error in what the user gave us (data, formula, options). Its message is one
 * sentence that names the problem and the fix; the CLI prints it without a stack.
 */
export class LmmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LmmError";
  }
}
