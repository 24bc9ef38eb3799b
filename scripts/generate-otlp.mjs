// Regenerates packages/backend/src/internal/otlp/ (the OTLP logs and metrics message types the receiver decodes
// protobuf bodies with) from the official opentelemetry-proto definitions vendored in packages/backend/otlp/
// (tag v1.11.0, Apache-2.0, see its LICENSE), with the pinned devDependencies @bufbuild/buf and
// @bufbuild/protoc-gen-es. The generated code needs only @bufbuild/protobuf at run time: no eval, so it runs in
// Convex's runtime too. After updating the .proto files: `node scripts/generate-otlp.mjs`.
import { execFileSync } from "node:child_process"
import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dir = join(root, "packages/backend/otlp")
rmSync(join(root, "packages/backend/src/internal/otlp"), { recursive: true, force: true })
execFileSync(join(root, "node_modules/.bin/buf"), ["generate"], {
  cwd: dir,
  stdio: "inherit",
  env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` }
})
