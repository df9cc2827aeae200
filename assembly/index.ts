// The one WebAssembly module: every kernel takes raw pointers into linear memory,
// which TypeScript lays out once per model (the contract: layout.ts).
export { accumulate } from "./accumulate";
export { whiten } from "./whiten";
export { formPatternSums, patternSums, weighPatternSums } from "./patterns";
export { evaluate, forwardUnits, finishEvaluate, workSize } from "./deviance";
export { solveCoefficients } from "./solve";
export { choleskyBlocked, choleskyBlockedReverse, denseWorkSize } from "./blocked";
export { gemmWorkSize, serveGemm, setGemmHelper } from "./gemm";

/** First free byte after the module's static data: TypeScript allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}
export { gradient, reverseTail, reverseUnits, writeGradient } from "./gradient";
