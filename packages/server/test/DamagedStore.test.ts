import { randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCli } from "@opensync/testkit/Server"
import { afterAll, describe, expect, it } from "vitest"

const dirs: Array<string> = []
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "opensync-damaged-"))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe("a data dir whose database is not one", () => {
  it("names the file and the cause, changes nothing, and exits 1", { timeout: 60_000 }, async () => {
    const dir = dataDir()
    const file = join(dir, "opensync.db")
    const junk = randomBytes(5000)
    writeFileSync(file, junk)
    for (const args of [
      ["keys", "list"],
      ["serve", "--port", "0"]
    ]) {
      const ran = await runCli([...args, "--data-dir", dir])
      expect(ran.code).toBe(1)
      expect(ran.stderr).toContain(`${file} is not a SQLite database`)
      expect(ran.stderr).not.toMatch(/disk full|Failed to execute statement/)
      expect(readFileSync(file).equals(junk)).toBe(true)
    }
  })

  it("says a database cut short is damaged", { timeout: 60_000 }, async () => {
    const whole = dataDir()
    expect((await runCli(["keys", "create", "--name", "x", "--data-dir", whole])).code).toBe(0)
    const dir = dataDir()
    const file = join(dir, "opensync.db")
    writeFileSync(file, readFileSync(join(whole, "opensync.db")).subarray(0, 8192))
    const ran = await runCli(["keys", "list", "--data-dir", dir])
    expect(ran.code).toBe(1)
    expect(ran.stderr).toContain(`${file} is damaged`)
  })
})
