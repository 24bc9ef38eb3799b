// Bundles each executable into one minified file (fast start-up; see docs/architecture.md). The Claude Code hook is
// CommonJS: Node loads a CommonJS file a few milliseconds faster than an ES module, and it runs on every tool call.
import * as esbuild from "esbuild"

const banner = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);"

const targets = [
  { entry: "packages/server/src/bin.ts", out: "packages/server/dist/opensync.mjs" },
  { entry: "packages/claude-code-sync/src/hook.ts", out: "packages/claude-code-sync/dist/hook.cjs", format: "cjs" },
  { entry: "packages/claude-code-sync/src/bin.ts", out: "packages/claude-code-sync/dist/cli.mjs" }
]

await Promise.all(
  targets.map(({ entry, out, format = "esm" }) =>
    esbuild.build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      minify: true,
      sourcemap: "linked",
      platform: "node",
      target: "node20",
      format,
      banner: { js: format === "esm" ? `#!/usr/bin/env node\n${banner}` : "#!/usr/bin/env node" },
      external: ["@libsql/*", "libsql"],
      logLevel: "warning"
    })
  )
)
