// Builds the exact upload of `npx convex deploy` offline, with Convex's own bundler, into test-output/convex-bundle/
// (or the folder given as the first argument). The CLI writes the bundle and skips the push when given
// `--debug-bundle-path`; it still wants a deployment to be selected, so it is pointed at a self-hosted deployment that
// does not exist (127.0.0.1:9, the discard port): with `--debug-bundle-path` it opens no connection (checked with
// `strace -f -e trace=connect`). Type checking and codegen are left to `npm test` (tsc, convex:codegen).
// The bundle's source maps and their `//# sourceMappingURL=` comments are removed (the maps point at paths vite cannot
// resolve from here, which only adds warnings to the tests); nothing else is changed.
import { execFileSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const out = resolve(root, process.argv[2] ?? "test-output/convex-bundle")
rmSync(out, { recursive: true, force: true })
mkdirSync(dirname(out), { recursive: true })

const env = { ...process.env }
for (const name of ["CONVEX_DEPLOY_KEY", "CONVEX_DEPLOYMENT", "CONVEX_URL"]) delete env[name]
env.CI = "true"
delete env.VERCEL
env.CONVEX_SELF_HOSTED_URL = "http://127.0.0.1:9"
env.CONVEX_SELF_HOSTED_ADMIN_KEY = "offline-bundle-only"

const cli = join(root, "node_modules/convex/bin/main.js")
execFileSync(
  process.execPath,
  [cli, "deploy", "--debug-bundle-path", out, "--typecheck", "disable", "--codegen", "disable", "-y"],
  { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] }
)

const strip = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) strip(path)
    else if (entry.name.endsWith(".js.map")) rmSync(path)
    else if (entry.name.endsWith(".js")) {
      writeFileSync(path, readFileSync(path, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"))
    }
  }
}
strip(join(out, "isolate"))
process.stdout.write(`${out}\n`)
