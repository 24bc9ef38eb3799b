// Generates packages/backend/src/internal/otlp/ (the OTLP logs and metrics message types the receiver decodes
// protobuf bodies with) from the official opentelemetry-proto definitions vendored in packages/backend/vendor/opentelemetry-proto/
// (tag v1.11.0, Apache-2.0, see its LICENSE), with the pinned devDependencies @bufbuild/buf and
// @bufbuild/protoc-gen-es. The generated code needs only @bufbuild/protobuf at run time: no eval, so it runs in
// Convex's runtime too. It is not committed: `scripts/setup.sh` and `scripts/build.mjs` run this with `--if-stale`,
// which regenerates only when the .proto files (or this script) changed since the last generation.
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dir = join(root, "packages/backend/vendor/opentelemetry-proto")
const out = join(root, "packages/backend/src/internal/otlp")
const stamp = join(out, ".stamp")

const inputsDigest = () => {
  const hash = createHash("sha256").update(readFileSync(fileURLToPath(import.meta.url)))
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else hash.update(relative(dir, path)).update(readFileSync(path))
    }
  }
  walk(dir)
  return hash.digest("hex")
}

const wanted = inputsDigest()
if (process.argv.includes("--if-stale") && existsSync(stamp) && readFileSync(stamp, "utf8") === wanted) process.exit(0)
rmSync(out, { recursive: true, force: true })
execFileSync(join(root, "node_modules/.bin/buf"), ["generate"], {
  cwd: dir,
  stdio: "inherit",
  env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` }
})
writeFileSync(stamp, wanted)
