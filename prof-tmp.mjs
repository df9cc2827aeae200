import { openResponseFile } from "./dist/src/batch/response-file.js";
const file = process.argv[2];
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now(); const cu = process.cpuUsage();
  const s = await openResponseFile(file);
  const t1 = performance.now();
  let n = 0;
  for await (const b of s.blocks(Int32Array.from(s.samples.keys()))) n += b.features.length;
  s.close();
  console.log("cpu", ((process.cpuUsage(cu).user+process.cpuUsage(cu).system)/1000).toFixed(0), "open", (t1 - t0).toFixed(0), "read", (performance.now() - t1).toFixed(0), n);
}
