import { randomBytes } from "node:crypto"
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runCli } from "@opensync/testkit/Server"
import { afterAll, describe, expect, it } from "vitest"
import * as Database from "../src/sqlite/Database.js"

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

describe("a data dir the server cannot write", () => {
  it("serve refuses to start and says why (it started, and answered every write with a 500)", {
    timeout: 60_000
  }, async () => {
    // A file where the folder should be: the CLI's own check says so
    const file = join(dataDir(), "a-file")
    writeFileSync(file, "")
    const notDir = await runCli(["serve", "--port", "0", "--data-dir", join(file, "data")])
    expect(notDir.code).toBe(1)
    expect(notDir.stderr).toContain("ENOTDIR: not a directory")
    // A folder it may not write (root writes anywhere, so only as another user; the check itself is injected below)
    if (process.getuid?.() !== 0) {
      const locked = dataDir()
      chmodSync(locked, 0o500)
      const ran = await runCli(["serve", "--port", "0", "--data-dir", locked])
      chmodSync(locked, 0o700)
      expect(ran.code).toBe(1)
      expect(ran.stderr).toContain(`opensync: ${locked} is not writable (EACCES)`)
    }
  })

  it("names a read-only mount's files as not writable (the check, with the file system's answer injected)", () => {
    const dir = dataDir()
    writeFileSync(join(dir, "opensync.db"), "")
    const readOnly = (path: string) => {
      if (path.endsWith("opensync.db")) throw Object.assign(new Error("read-only file system"), { code: "EROFS" })
    }
    expect(Database.notWritable(dir, readOnly)).toBe(
      `${join(dir, "opensync.db")} is not writable (EROFS): the server stores every event there. Make it writable, or ` +
        "start the server with another --data-dir."
    )
    expect(Database.notWritable(dir, () => {})).toBeUndefined()
    // A data dir that cannot be made (a file where its parent should be) is said as such, with the cause
    const file = join(dir, "a-file")
    writeFileSync(file, "")
    expect(() => Database.secureDataDir(join(file, "data"))).toThrow(
      `Cannot create the data directory ${join(file, "data")}: ENOTDIR. Choose one this user can write with ` +
        "--data-dir (or OPENSYNC_DATA_DIR)."
    )
  })
})
