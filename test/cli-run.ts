// The `lmm` command line run in-process for tests: main(argv) with its standard
// output and error captured.
import { main } from "../src/cli.js";

/** Run `lmm ARGV...`; its exit code and what it wrote to out and err. */
export async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(
    argv,
    (s) => void (out += s),
    (s) => void (err += s),
  );
  return { code, out, err };
}
