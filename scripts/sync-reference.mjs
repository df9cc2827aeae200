// Copy the conformance suite from ../shared/reference into test/reference, so a
// fresh clone tests itself. Run after ../shared/reference changes:
//   npm run sync-reference
import { cpSync, existsSync, rmSync } from "node:fs";

const from = new URL("../../shared/reference/", import.meta.url);
const to = new URL("../test/reference/", import.meta.url);
if (!existsSync(from)) {
  console.error(`No shared reference at ${from.pathname}: nothing to sync.`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`Synced ${from.pathname} -> ${to.pathname}`);
