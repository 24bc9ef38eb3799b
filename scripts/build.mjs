// Bundles each executable into one minified file (fast start-up; see docs/architecture.md). The Claude Code hook is
// CommonJS: Node loads a CommonJS file a few milliseconds faster than an ES module, and it runs on every tool call.
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import * as esbuild from "esbuild"

const banner = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);"

const targets = [
  { entry: "packages/server/src/bin.ts", out: "packages/server/dist/opensync.mjs" },
  { entry: "packages/claude-code-sync/src/hook.ts", out: "packages/claude-code-sync/dist/hook.cjs", format: "cjs" },
  { entry: "packages/claude-code-sync/src/bin.ts", out: "packages/claude-code-sync/dist/cli.mjs" },
  // jsonc-parser's "main" is a UMD build esbuild cannot follow; its "module" build bundles.
  {
    entry: "packages/opencode-sync-plugin/src/bin.ts",
    out: "packages/opencode-sync-plugin/dist/cli.mjs",
    mainFields: ["module", "main"]
  },
  // Loaded by OpenCode's Bun: plain ESM exporting only the plugin, no shebang, no Effect.
  {
    entry: "packages/opencode-sync-plugin/src/Plugin.ts",
    out: "packages/opencode-sync-plugin/dist/plugin.mjs",
    plugin: true
  }
]

await Promise.all(
  targets.map(({ entry, out, format = "esm", plugin = false, mainFields }) =>
    esbuild.build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      minify: true,
      sourcemap: "linked",
      platform: "node",
      target: "node20",
      format,
      banner: { js: plugin ? "" : format === "esm" ? `#!/usr/bin/env node\n${banner}` : "#!/usr/bin/env node" },
      external: ["@libsql/*", "libsql"],
      ...(mainFields === undefined ? {} : { mainFields }),
      logLevel: "warning"
    })
  )
)

// The dashboard (a static single-page app) goes to packages/dashboard/dist, where `opensync serve` finds it.
const dashboardRequire = createRequire(new URL("../packages/dashboard/package.json", import.meta.url))
const vite = join(dirname(dashboardRequire.resolve("vite/package.json")), "bin", "vite.js")
execFileSync(process.execPath, [vite, "build", "--logLevel", "warn"], {
  cwd: new URL("../packages/dashboard/", import.meta.url),
  env: { ...process.env, NODE_ENV: "production" },
  stdio: "inherit"
})
