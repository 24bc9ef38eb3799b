/**
 * WAL checkpoints in the server run in a worker thread after commits, not inside the COMMIT that fills the WAL: the
 * database file takes in committed pages while the writer's own connection never checkpoints below its backstop.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import Sqlite from "libsql"
import * as Checkpoints from "../src/sqlite/Checkpoints.js"
import * as Database from "../src/sqlite/Database.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** What is logged, as `LEVEL message` lines, with the layer that captures it. */
const capturedLogs = () => {
  const logs: Array<string> = []
  const logger = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      logs.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
    })
  )
  return { logs, logger }
}

/**
 * Commits 8 transactions of ~190 KiB (~390 pages in all: far below the 1,000 at which SQLite checkpoints in a COMMIT by
 * itself), then waits up to `waitMs` for the database file to have grown by 1 MiB (it only grows when a checkpoint
 * copies pages into it).
 */
const fill = (backgroundCheckpoints: boolean, waitMs: number) =>
  Effect.gen(function* () {
    const dataDir = mkdtempSync(join(tmpdir(), "opensync-checkpoints-"))
    dirs.push(dataDir)
    const sizes = yield* Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { write } = yield* Database.Writer
      yield* write(sql`CREATE TABLE filler (text TEXT NOT NULL)`)
      const before = statSync(Database.databaseFile(dataDir)).size
      for (let i = 0; i < 8; i++) {
        yield* write(
          Effect.forEach(
            Array.from({ length: 64 }, (_, j) => `${i}-${j} `.repeat(600)),
            (text) => sql`INSERT INTO filler (text) VALUES (${text})`,
            { discard: true }
          )
        )
      }
      const wanted = before + 1024 * 1024
      let after = statSync(Database.databaseFile(dataDir)).size
      for (let waited = 0; after < wanted && waited < waitMs; waited += 50) {
        yield* Effect.sleep("50 millis")
        after = statSync(Database.databaseFile(dataDir)).size
      }
      const rows = (yield* sql<{ n: number }>`SELECT count(*) AS n FROM filler`)[0]?.n
      return { grew: after >= wanted, rows }
    }).pipe(Effect.provide(Database.layer({ dataDir, background: backgroundCheckpoints })))
    return sizes
  })

describe("WAL checkpoints", () => {
  const cases = [
    {
      title: "run in the background after commits, so the database file takes in what the WAL holds",
      worker: true,
      waitMs: 60_000
    },
    {
      title: "stay in the COMMIT without the worker (CLI commands): the same writes leave the database file small",
      worker: false,
      waitMs: 0
    }
  ]
  for (const { title, worker, waitMs } of cases) {
    it.live(
      title,
      () => Effect.map(fill(worker, waitMs), (sizes) => expect(sizes).toEqual({ grew: worker, rows: 512 })),
      {
        timeout: 120_000
      }
    )
  }
})

describe("the WAL", () => {
  it.live(
    "is started over under steady writes and emptied once they stop, instead of growing with all that was written",
    () =>
      Effect.gen(function* () {
        const dataDir = mkdtempSync(join(tmpdir(), "opensync-wal-"))
        dirs.push(dataDir)
        const wal = `${Database.databaseFile(dataDir)}-wal`
        const size = () => {
          try {
            return statSync(wal).size
          } catch {
            return 0
          }
        }
        const mib = 1024 * 1024
        const { largest, after, left } = yield* Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const { write } = yield* Database.Writer
          yield* write(sql`CREATE TABLE filler (text TEXT NOT NULL)`)
          // 24 MiB written in 96 transactions, with a pause between them, as the batches of a sync come.
          let largest = 0
          for (let i = 0; i < 96; i++) {
            yield* write(
              Effect.forEach(
                Array.from({ length: 64 }, (_, j) => `${i}-${j} `.repeat(4096 / `${i}-${j} `.length)),
                (text) => sql`INSERT INTO filler (text) VALUES (${text})`,
                { discard: true }
              )
            )
            largest = Math.max(largest, size())
            yield* Effect.sleep("20 millis")
          }
          // Then one transaction of 6 MiB (no restart can cut it short), and no more writes.
          yield* write(
            Effect.forEach(
              Array.from({ length: 1_536 }, (_, j) => `last-${j} `.repeat(4096 / `last-${j} `.length)),
              (text) => sql`INSERT INTO filler (text) VALUES (${text})`,
              { discard: true }
            )
          )
          const after = size()
          let left = after
          for (let waited = 0; left >= mib && waited < 60_000; waited += 100) {
            yield* Effect.sleep("100 millis")
            left = size()
          }
          return { largest, after, left }
        }).pipe(Effect.provide(Database.layer({ dataDir, background: true, walPages: 256 })))
        // Started over past 256 pages (1 MiB): a few MiB at most, far from the 24 MiB written; emptied once writes stop.
        expect(largest).toBeLessThan(12 * mib)
        expect(after).toBeGreaterThan(6 * mib)
        expect(left).toBe(0)
      }),
    { timeout: 120_000 }
  )
})

describe("a checkpoint worker that fails", () => {
  it.live(
    "is reported once as a warning, however many commits follow",
    () =>
      Effect.gen(function* () {
        const { logs, logger } = capturedLogs()
        // The worker cannot open a database in a directory that does not exist: it fails as it starts
        const missing = join(tmpdir(), `opensync-no-such-dir-${process.pid}`, "opensync.db")
        yield* Effect.gen(function* () {
          const checkpoints = yield* Checkpoints.Checkpoints
          for (let waited = 0; logs.length === 0 && waited < 60_000; waited += 50) {
            checkpoints.committed()
            yield* Effect.sleep("50 millis")
          }
          for (let i = 0; i < 20; i++) checkpoints.committed()
        }).pipe(Effect.provide(Checkpoints.background(missing, 0)), Effect.provide(logger))
        expect(logs).toHaveLength(1)
        expect(logs[0]).toMatch(/^WARN Background WAL checkpoints stopped \(.+\); .*Nothing written is lost\.$/)
      }),
    { timeout: 120_000 }
  )
})

describe("a checkpoint worker closed while a checkpoint waits for its turn", () => {
  it.live(
    "ends quietly: no warning at every server stop",
    () =>
      Effect.gen(function* () {
        const dataDir = mkdtempSync(join(tmpdir(), "opensync-checkpoints-close-"))
        dirs.push(dataDir)
        // A WAL of 5 MiB that no one checkpointed: what the worker empties once writes pause.
        const file = join(dataDir, "opensync.db")
        const db = new Sqlite(file)
        db.exec("PRAGMA journal_mode = WAL")
        db.exec("PRAGMA wal_autocheckpoint = 0")
        db.exec("CREATE TABLE filler (text TEXT NOT NULL)")
        const insert = db.prepare("INSERT INTO filler (text) VALUES (?)")
        for (let i = 0; i < 1_280; i++) insert.run(`${i} `.repeat(1_000))
        db.close()
        expect(statSync(`${file}-wal`).size).toBeGreaterThan(4 * 1024 * 1024)
        const { logs, logger } = capturedLogs()
        yield* Effect.gen(function* () {
          const checkpoints = yield* Checkpoints.Checkpoints
          // The first commit's checkpoint runs at once; the next waits for the 250 ms between two, and the worker is
          // closed meanwhile (as at a server's stop right after a write).
          checkpoints.committed()
          yield* Effect.sleep("150 millis")
          checkpoints.committed()
        }).pipe(Effect.provide(Checkpoints.background(file, 250)), Effect.provide(logger))
        // What would have failed after the close has had its time (the quiet second after the last checkpoint).
        yield* Effect.sleep("1500 millis")
        expect(logs).toEqual([])
      }),
    { timeout: 60_000 }
  )
})
