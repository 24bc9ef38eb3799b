/**
 * The code cache of a CLI's bundle (`CodeCache.load`), each load in a fresh Node process (a process compiles a script
 * once; only a new one reads the cache): the bundle runs the same with a cache missing, present, damaged or made for
 * another text of it; the cache is written at exit when missing or rejected; another text's cache is removed then.
 */
import { execFileSync } from "node:child_process"
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import { OTHER_CACHE_DAYS } from "../src/kit/CodeCache.js"

let dir = ""
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "code-cache-"))
  // CodeCache as the CLI's entry point bundles it, and a runner that loads `main.cjs` and prints what happened.
  await esbuild.build({
    entryPoints: [resolve(__dirname, "../src/kit/CodeCache.ts")],
    outfile: join(dir, "code-cache.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning"
  })
  writeFileSync(
    join(dir, "runner.mjs"),
    'import { load } from "./code-cache.mjs"\n' +
      "const { exports, cache } = load(process.argv[2], process.argv[3])\n" +
      "console.log(JSON.stringify({ exports, cache }))\n"
  )
}, 60_000)
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true })
})

/** A CommonJS bundle of some size (so V8 has something to cache) that exports what it computed and where it ran. */
const bundle = (k: number) => {
  const file = join(dir, "main.cjs")
  const functions = Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x * ${i} + ${k} }`).join("\n")
  writeFileSync(
    file,
    `${functions}\nlet sum = 0\nfor (let i = 0; i < 200; i++) sum += eval("f" + i)(1)\n` +
      "module.exports = { sum, file: __filename, dir: require('node:path').basename(__dirname) }\n"
  )
  return file
}

const run = (file: string, cacheDir: string) =>
  JSON.parse(execFileSync(process.execPath, [join(dir, "runner.mjs"), file, cacheDir], { encoding: "utf8" })) as {
    readonly exports: unknown
    readonly cache: string
  }

describe("CodeCache.load", () => {
  it("runs the bundle with no cache, then with the one saved at exit; rejects and rewrites a damaged one", {
    timeout: 120_000
  }, () => {
    const cacheDir = join(dir, "cache")
    const file = bundle(7)
    const expected = { sum: 19_900 + 200 * 7, file, dir: dir.split("/").pop() }

    expect(run(file, cacheDir)).toEqual({ exports: expected, cache: "none" })
    const [saved] = readdirSync(cacheDir)
    expect(saved).toMatch(/^main\.cjs\..+\.v8$/)
    const cached = readFileSync(join(cacheDir, saved))
    expect(run(file, cacheDir)).toEqual({ exports: expected, cache: "used" })

    // Damaged (cut short; garbage of the right length): rejected, the bundle still runs, and the cache is made anew.
    for (const damaged of [cached.subarray(0, 100), Buffer.alloc(cached.length, 7)]) {
      writeFileSync(join(cacheDir, saved), damaged)
      expect(run(file, cacheDir)).toEqual({ exports: expected, cache: "rejected" })
      expect(readFileSync(join(cacheDir, saved)).equals(damaged)).toBe(false)
      expect(run(file, cacheDir)).toEqual({ exports: expected, cache: "used" })
    }

    // A cache others could have written (group or world writable) is not used, and is written anew.
    chmodSync(join(cacheDir, saved), 0o666)
    expect(run(file, cacheDir)).toEqual({ exports: expected, cache: "none" })
    expect(statSync(join(cacheDir, saved)).mode & 0o777).toBe(0o600)
    expect(run(file, cacheDir)).toEqual({ exports: expected, cache: "used" })

    // Another text of the bundle (same length): its own cache. A recent cache of another version stays (two installed
    // versions run in turn keep theirs); one older than OTHER_CACHE_DAYS goes when a new one is written.
    const other = bundle(8)
    expect(run(other, cacheDir)).toEqual({ exports: { ...expected, sum: 19_900 + 200 * 8 }, cache: "none" })
    expect(readdirSync(cacheDir)).toHaveLength(2)
    expect(run(file, cacheDir).cache).toBe("used")
    const old = new Date(Date.now() - (OTHER_CACHE_DAYS + 1) * 86_400_000)
    utimesSync(join(cacheDir, saved), old, old)
    expect(run(bundle(9), cacheDir).cache).toBe("none")
    expect(readdirSync(cacheDir)).toHaveLength(2)
    expect(readdirSync(cacheDir)).not.toContain(saved)
    expect(run(other, cacheDir).cache).toBe("used")
  })

  it("runs a bundle that starts the background sync (node:child_process loaded on first use)", {
    timeout: 120_000
  }, async () => {
    // A CLI bundle run through the code cache is a `vm` script, where Node 20 refuses `import()` without
    // --experimental-vm-modules; the kit's hot path loads node:child_process lazily, which must work there too.
    const work = mkdtempSync(join(dir, "background-"))
    const fakeCli = join(work, "fake-cli.cjs")
    writeFileSync(
      fakeCli,
      // (written aside and renamed: the test polls for the file, and must not find it created but still empty)
      `const fs = require("node:fs")\n` +
        `fs.writeFileSync(${JSON.stringify(join(work, "ran.tmp"))}, process.argv.slice(2).join(" "))\n` +
        `fs.renameSync(${JSON.stringify(join(work, "ran.tmp"))}, ${JSON.stringify(join(work, "ran.txt"))})\n`
    )
    const entry = join(work, "entry.ts")
    writeFileSync(
      entry,
      `import { writeFileSync } from "node:fs"\n` +
        `import { paths } from ${JSON.stringify(resolve(__dirname, "../src/kit/Agent.ts"))}\n` +
        `import { startBackgroundSync } from ${JSON.stringify(resolve(__dirname, "../src/kit/HotPath.ts"))}\n` +
        `const agent = { source: { cli: "fake-sync", envPrefix: "FAKE_SYNC" }, historyEnv: [] } as never\n` +
        `const env = { HOME: ${JSON.stringify(work)}, PATH: process.env.PATH }\n` +
        `startBackgroundSync(paths(agent, env), ${JSON.stringify(fakeCli)}, env).then(\n` +
        `  (started) => writeFileSync(${JSON.stringify(join(work, "result.txt"))}, String(started)),\n` +
        `  (error) => writeFileSync(${JSON.stringify(join(work, "result.txt"))}, String(error))\n` +
        `)\n`
    )
    await esbuild.build({
      entryPoints: [entry],
      outfile: join(work, "main.cjs"),
      bundle: true,
      platform: "node",
      format: "cjs",
      logLevel: "warning"
    })
    run(join(work, "main.cjs"), join(work, "cache"))
    expect(readFileSync(join(work, "result.txt"), "utf8")).toBe("true")
    for (let waited = 0; !existsSync(join(work, "ran.txt")) && waited < 30_000; waited += 50) {
      await new Promise((done) => setTimeout(done, 50))
    }
    expect(readFileSync(join(work, "ran.txt"), "utf8")).toBe("sync --background")
  })
})
