// Measures the documents and bytes each HTTP route reads and writes on Convex (convex-test, the deployment's own
// functions) for one user with 1,000, 10,000 and 100,000 sessions, and prints a Markdown table (docs/convex.md).
//
//   node bench/convex-size.mjs                 1k, 10k, 100k sessions (about 35 minutes on 2 shared cores, 4.2 GB of memory)
//   node bench/convex-size.mjs 1000,10000      the sizes given
import { execFileSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const sizes = process.argv[2] ?? "1000,10000,100000"
execFileSync(
  process.execPath,
  [join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "bench/vitest.convex.config.ts", "--reporter=dot"],
  { cwd: root, stdio: "inherit", env: { ...process.env, OPENSYNC_BENCH_SESSIONS: sizes } }
)
