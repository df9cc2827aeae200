// R's side of the benchmarks: run an R script with Rscript and read back the one
import { spawn } from "node:child_process";
// line it prints as `@@LME4 {json}` (everything else it prints is ignored).

const TAG = "@@LME4 ";

/** Run `Rscript script ...args`; resolves with the JSON of its tagged line. */
export function runTaggedRscript<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn("Rscript", [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout!.on("data", (d) => (out += d));
    p.stderr!.on("data", (d) => (err += d));
    p.on("error", (e) => reject(new Error(`Rscript not found (${e.message}): apt-get install -y r-base-core r-cran-lme4`)));
    p.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith(TAG));
      if (!line) reject(new Error(`Rscript failed (exit ${code}): ${err.trim().slice(-2000)}`));
      else resolve(JSON.parse(line.slice(TAG.length)) as T);
    });
  });
}

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
