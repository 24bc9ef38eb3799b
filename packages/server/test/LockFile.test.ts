import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "@effect/vitest"

/** scripts/check-lock.mjs: `npm ci` needs a lock entry for every platform's optional binary, on every platform. */

const repo = resolve(__dirname, "../../..")
const lockPath = join(repo, "package-lock.json")
const dir = mkdtempSync(join(tmpdir(), "opensync-lock-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Lock {
  readonly packages: Record<string, { version?: string; integrity?: string; optionalDependencies?: object }>
}

const check = async (lock: Lock) => {
  const file = join(dir, `lock-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify(lock))
  return promisify(execFile)(process.execPath, [join(repo, "scripts/check-lock.mjs"), "--lock", file]).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr
    })
  )
}

const repositoryLock = (): Lock => JSON.parse(readFileSync(lockPath, "utf8"))

/** The platforms `npm ci` must succeed on. */
const platforms = ["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64", "win32-arm64", "win32-x64"]

describe("package-lock.json", () => {
  it("has an entry with integrity for every platform's esbuild, biome, rollup, rolldown, lightningcss", () => {
    const { packages } = repositoryLock()
    const native = (p: string) => p.replace(/^linux-(.*)$/, "linux-$1-gnu").replace(/^win32-(.*)$/, "win32-$1-msvc")
    const expected = platforms.flatMap((p) => [
      `node_modules/@esbuild/${p}`,
      `node_modules/@biomejs/cli-${p}`,
      `node_modules/lightningcss-${native(p)}`,
      `node_modules/@rolldown/binding-${native(p)}`,
      `node_modules/@rollup/rollup-${native(p)}`
    ])
    const missing = expected.filter((path) => packages[path]?.integrity === undefined)
    expect(missing).toEqual([])
  })

  it("has libsql's binary for every platform libsql ships (the server's SQLite)", () => {
    const { packages } = repositoryLock()
    const declared = Object.keys(packages["node_modules/libsql"]?.optionalDependencies ?? {})
    expect(declared.length).toBeGreaterThanOrEqual(6)
    expect(declared.filter((name) => packages[`node_modules/${name}`]?.integrity === undefined)).toEqual([])
  })

  it("passes scripts/check-lock.mjs", async () => {
    expect(await check(repositoryLock())).toMatchObject({ code: 0 })
  })

  it("check-lock fails when one platform's package is missing, naming it and its parent", async () => {
    const lock = repositoryLock()
    delete lock.packages["node_modules/@esbuild/darwin-arm64"]
    const result = await check(lock)
    expect(result.code).toBe(1)
    expect(result.output).toContain("@esbuild/darwin-arm64@0.28.2 (of node_modules/esbuild): no lock entry")
  })

  it("check-lock fails when a platform's entry has no integrity (unless the registry lacks that version)", async () => {
    const lock = repositoryLock()
    const entry = lock.packages["node_modules/@rollup/rollup-win32-x64-msvc"]
    if (entry === undefined) throw new Error("the lock has no @rollup/rollup-win32-x64-msvc")
    delete entry.integrity
    const result = await check(lock)
    expect(result.code).toBe(1)
    expect(result.output).toContain("node_modules/@rollup/rollup-win32-x64-msvc has no integrity")
  })
})
