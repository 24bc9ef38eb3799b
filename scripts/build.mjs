// Bundles each executable into one minified ESM file (fast start-up; see docs/architecture.md).
import * as esbuild from "esbuild"

const banner = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);"

const targets = [
  { entry: "packages/server/src/bin.ts", out: "packages/server/dist/opensync.mjs" },
  { entry: "packages/claude-code-sync/src/hook.ts", out: "packages/claude-code-sync/dist/hook.mjs" },
  { entry: "packages/claude-code-sync/src/bin.ts", out: "packages/claude-code-sync/dist/cli.mjs" }
]

await Promise.all(
  targets.map(({ entry, out }) =>
    esbuild.build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      minify: true,
      sourcemap: "linked",
      platform: "node",
      target: "node20",
      format: "esm",
      banner: { js: `#!/usr/bin/env node\n${banner}` },
      external: ["@libsql/*", "libsql"],
      logLevel: "warning"
    })
  )
)
