// Bundles each executable the packages declare (package.json `opensync.bundles`) into one minified file (fast
// start-up; see docs/architecture.md), builds the dashboard and copies it beside the server bundle
// (packages/server/dist/dashboard, what the `opensync` package ships). Command hooks are CommonJS: Node loads a
// CommonJS file a few milliseconds faster than an ES module, and they run on every hook event.
//
// Each output has a stamp (node_modules/.cache/opensync-build/<name>.json): digests of the files it was built from
// (for a bundle, the workspace files esbuild read; for the dashboard, its folder and packages/domain/src), of the build
// configuration (this script, the lock files, tsconfigs, package.json files) and of the output files themselves. An
// output whose inputs and files still match its stamp is not rebuilt, so `npm start` on unchanged sources starts at
// once. `node scripts/build.mjs --force` rebuilds everything; `npm ci` empties node_modules, and with it the stamps.
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"

process.chdir(join(dirname(fileURLToPath(import.meta.url)), ".."))
// The OTLP protobuf types the backend imports are generated, not committed (scripts/generate-otlp.mjs).
execFileSync(process.execPath, ["scripts/generate-otlp.mjs", "--if-stale"], { stdio: "inherit" })
const force = process.argv.includes("--force")
const stampDir = "node_modules/.cache/opensync-build"
const stampVersion = 1

const banner = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);"

/**
 * Each package declares its executables in its package.json, `"opensync": {"bundles": [...]}`: `name` (the stamp's
 * name, unique), `entry` and `out` relative to the package, and optionally `format: "cjs"` (a command hook: Node loads
 * CommonJS a few milliseconds faster), `plugin: true` (loaded by an agent in-process: plain ESM, no shebang) and
 * `mainFields` (jsonc-parser's "main" is a UMD build esbuild cannot follow; its "module" build bundles). Adding an
 * agent's package adds its bundles; nothing here changes. `vm: true` marks a CommonJS bundle an entry point runs
 * through node:vm with V8's code cache (`@opensync/client/kit/CodeCache`): no shebang line (it is not a script of its
 * own). In every CommonJS bundle `import.meta.url` is the file's URL. Paths become relative to the repository root, with `/`.
 */
const bundles = readdirSync("packages")
  .sort()
  .flatMap((folder) => {
    const manifest = join("packages", folder, "package.json")
    if (!existsSync(manifest)) return []
    const declared = JSON.parse(readFileSync(manifest, "utf8")).opensync?.bundles ?? []
    return declared.map((bundle) => ({
      ...bundle,
      entry: `packages/${folder}/${bundle.entry}`,
      out: `packages/${folder}/${bundle.out}`
    }))
  })
const dashboard = {
  name: "dashboard",
  sources: ["packages/dashboard", "packages/domain/src"],
  outs: ["packages/dashboard/dist", "packages/server/dist/dashboard"]
}

const digest = (file) => (existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("base64url") : null)

/** Every file under `dir` (skipping dist/, node_modules/ and test/ folders), sorted. */
const filesUnder = (dir) => {
  const found = []
  const walk = (at) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = `${at}/${entry.name}`
      if (entry.isDirectory() && !["dist", "node_modules", "test"].includes(entry.name)) walk(path)
      else if (entry.isFile()) found.push(path)
    }
  }
  if (existsSync(dir)) walk(dir)
  return found.sort()
}

const digests = (files) => Object.fromEntries(files.map((file) => [file, digest(file)]))

/** What every output depends on besides its own sources: the build, the installed dependencies, TS and package configs. */
const configuration = () => [
  "scripts/build.mjs",
  "package.json",
  "package-lock.json",
  "node_modules/.package-lock.json",
  "tsconfig.json",
  "tsconfig.base.json",
  ...readdirSync("packages").map((name) => `packages/${name}/package.json`)
]

const sameDigests = (recorded, actual) => {
  const keys = Object.keys(recorded)
  return keys.length === Object.keys(actual).length && keys.every((key) => recorded[key] === actual[key])
}

const stampPath = (name) => join(stampDir, `${name}.json`)
const readStamp = (name) => {
  try {
    const stamp = JSON.parse(readFileSync(stampPath(name), "utf8"))
    return stamp.version === stampVersion ? stamp : undefined
  } catch {
    return undefined
  }
}
const writeStamp = (name, inputs, outputs) => {
  mkdirSync(stampDir, { recursive: true })
  writeFileSync(stampPath(name), JSON.stringify({ version: stampVersion, inputs, outputs }))
}

const bundleOutputs = (bundle) => digests([bundle.out])
const dashboardOutputs = () => digests(dashboard.outs.flatMap(filesUnder))
const dashboardInputs = () => digests([...configuration(), ...dashboard.sources.flatMap(filesUnder)])

/** Up to date: its stamp's inputs (and, for the dashboard, the set of source files) and outputs are unchanged. */
const bundleFresh = (bundle) => {
  const stamp = readStamp(bundle.name)
  if (stamp === undefined) return false
  const inputs = digests([...new Set([...configuration(), ...Object.keys(stamp.inputs)])])
  return sameDigests(stamp.inputs, inputs) && sameDigests(stamp.outputs, bundleOutputs(bundle))
}
const dashboardFresh = () => {
  const stamp = readStamp(dashboard.name)
  return (
    stamp !== undefined &&
    sameDigests(stamp.inputs, dashboardInputs()) &&
    sameDigests(stamp.outputs, dashboardOutputs())
  )
}

const buildBundles = async (stale) => {
  if (stale.length === 0) return
  const esbuild = await import("esbuild")
  // Digests taken before bundling: a file edited while esbuild runs then differs from its stamp and is rebuilt next time.
  const before = digests([
    ...configuration(),
    ...readdirSync("packages").flatMap((name) => filesUnder(`packages/${name}/src`))
  ])
  await Promise.all(
    stale.map(async (bundle) => {
      const { entry, out, format = "esm", plugin = false, vm = false, mainFields } = bundle
      // In CommonJS, `import.meta.url` is the file's URL, made when first read (a hook's start-up pays nothing for it).
      const meta = "__opensync_import_meta"
      // ES modules get `require`; CommonJS gets `import.meta.url`, written before esbuild's own "use strict" (which
      // must come first to count; a vm bundle ran without it before and still does)
      const prelude =
        format === "esm"
          ? plugin
            ? ""
            : banner
          : `${vm ? "" : '"use strict";'}const ${meta}={get url(){return require("node:url").pathToFileURL(__filename).href}};`
      rmSync(stampPath(bundle.name), { force: true })
      const result = await esbuild.build({
        entryPoints: [entry],
        outfile: out,
        bundle: true,
        minify: true,
        sourcemap: "linked",
        platform: "node",
        target: "node20",
        format,
        banner: { js: `${vm || plugin ? "" : "#!/usr/bin/env node\n"}${prelude}` },
        ...(format === "cjs" ? { define: { "import.meta.url": `${meta}.url` } } : {}),
        external: ["@libsql/*", "libsql"],
        ...(mainFields === undefined ? {} : { mainFields }),
        metafile: true,
        write: false,
        logLevel: "warning"
      })
      // Each file is replaced in one rename, so a running test or server never reads half a bundle.
      for (const file of result.outputFiles) {
        const temporary = `${file.path}.${process.pid}.tmp`
        mkdirSync(dirname(file.path), { recursive: true })
        writeFileSync(temporary, file.contents, { mode: file.path.endsWith(".map") || plugin || vm ? 0o644 : 0o755 })
        renameSync(temporary, file.path)
      }
      const read = Object.keys(result.metafile.inputs).filter((file) => !file.includes("node_modules/"))
      const inputs = {}
      for (const file of [...configuration(), ...read]) inputs[file] = file in before ? before[file] : digest(file)
      writeStamp(bundle.name, inputs, bundleOutputs(bundle))
    })
  )
}

/**
 * Writes `<file>.br` and `<file>.gz` beside each text file of the built dashboard (maximum compression, once per build),
 * which `opensync serve` sends to browsers that accept them; a file compression does not shrink gets none.
 */
const precompress = (dir) => {
  for (const file of filesUnder(dir).filter((f) => /\.(js|mjs|css|html|svg|json|txt)$/.test(f))) {
    const body = readFileSync(file)
    const variants = [
      [".br", brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })],
      [".gz", gzipSync(body, { level: 9 })]
    ]
    for (const [suffix, compressed] of variants) {
      if (compressed.length < body.length) writeFileSync(`${file}${suffix}`, compressed)
    }
  }
}

// The dashboard (a static single-page app) goes to packages/dashboard/dist, where `opensync serve` in a clone finds it,
// and is copied to packages/server/dist/dashboard, which the `opensync` package ships beside its bundle.
const buildDashboard = () => {
  rmSync(stampPath(dashboard.name), { force: true })
  const inputs = dashboardInputs()
  const dashboardRequire = createRequire(new URL("../packages/dashboard/package.json", import.meta.url))
  const vite = join(dirname(dashboardRequire.resolve("vite/package.json")), "bin", "vite.js")
  execFileSync(process.execPath, [vite, "build", "--logLevel", "warn"], {
    cwd: "packages/dashboard",
    env: { ...process.env, NODE_ENV: "production" },
    stdio: "inherit"
  })
  precompress(dashboard.outs[0])
  // Swapped in with two renames, so a running server finds the old or the new dashboard, not an empty folder.
  const [built, shipped] = dashboard.outs
  const [incoming, outgoing] = [`${shipped}.${process.pid}.new`, `${shipped}.${process.pid}.old`]
  cpSync(built, incoming, { recursive: true })
  if (existsSync(shipped)) renameSync(shipped, outgoing)
  renameSync(incoming, shipped)
  rmSync(outgoing, { recursive: true, force: true })
  writeStamp(dashboard.name, inputs, dashboardOutputs())
}

const started = Date.now()
const staleBundles = bundles.filter((bundle) => force || !bundleFresh(bundle))
const staleDashboard = force || !dashboardFresh()
await buildBundles(staleBundles)
if (staleDashboard) buildDashboard()
const built = [...staleBundles.map((bundle) => bundle.out), ...(staleDashboard ? dashboard.outs : [])]
if (built.length > 0) {
  console.error(`build: ${built.join(", ")} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}
