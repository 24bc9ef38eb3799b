/**
 * The search file (`search.db`) and its indexer: what is stored is searchable after a crash between the two commits, a
 * search file that is missing or belongs to another database is rebuilt, one indexer step gets rowid reuse and
 * clearings right, and short last words are matched as prefixes.
 */
import { spawn } from "node:child_process"
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync
} from "node:fs"
import { createRequire } from "node:module"
import { getPriority, tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { SessionStore } from "@opensync/backend/SessionStore"
import { Event, Ids } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import Database from "libsql"
import { storageLayer } from "../src/Server.js"
import * as Client from "../src/sqlite/Client.js"
import { migrate } from "../src/sqlite/Database.js"
import * as Fts from "../src/sqlite/fts.js"
import { checkablePerMessage, expandablePrefix, expandedQuery, ftsQuery, prefixEnd } from "../src/sqlite/fts.js"
import { LocalKeys } from "../src/sqlite/Keys.js"
import {
  indexStep,
  mergePages,
  mergeStep,
  niceness,
  type RawConnection,
  SearchIndex,
  searchFile
} from "../src/sqlite/SearchIndex.js"

/** Every data dir of these tests lives under one temporary folder, removed at the end. */
const root = mkdtempSync(join(tmpdir(), "opensync-search-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const dataDir = () => mkdtempSync(join(root, "data-"))

const user = (name: string) => Ids.UserId.make(name)

/** A session of `words` (one message each), ingested for `userId`. */
const session = (id: string, words: ReadonlyArray<string>): ReadonlyArray<Event.Event> => {
  const sessionId = Ids.SessionId.make(id)
  const at = Date.UTC(2026, 10, 1)
  return [
    {
      kind: "session",
      id: Ids.EventId.make(`${id}-session`),
      source: "claude-code",
      sessionId,
      at,
      title: `Session ${id}`,
      projectName: "p",
      startedAt: at
    },
    ...words.map((text, i) => ({
      kind: "message" as const,
      id: Ids.EventId.make(`${id}-m${i}`),
      source: "claude-code" as const,
      sessionId,
      at: at + i,
      messageId: Ids.MessageId.make(`m${i}`),
      role: "user" as const,
      text,
      thinking: null,
      parts: [],
      model: null,
      createdAt: at + i,
      usage: null,
      countUsage: false
    }))
  ] as unknown as ReadonlyArray<Event.Event>
}

/**
 * Runs `body` on the store of `dir`, then closes it: opened as CLI commands open it (indexing right after each
 * commit), or with `background` as the server does (indexing in a worker thread).
 */
const withStore = <A>(
  dir: string,
  body: (store: SessionStore["Type"]) => Effect.Effect<A, unknown, SqlClient.SqlClient>,
  background = false,
  gatherMs?: number
) =>
  Effect.gen(function* () {
    const store = yield* SessionStore
    const keys = yield* LocalKeys
    for (const name of ["alice", "bob"]) yield* keys.ensureUser(name, name)
    return yield* body(store)
  }).pipe(Effect.provide(storageLayer(dir, { background, gatherMs }).pipe(Layer.provide(NodeContext.layer))))

/** `withStore` as the server opens it: indexing in a worker thread, gathering commits for `gatherMs` (200 ms). */
const withServerStore = <A>(
  dir: string,
  body: (store: SessionStore["Type"]) => Effect.Effect<A, unknown>,
  gatherMs?: number
) => withStore(dir, body, true, gatherMs)

/** The ids of `userId`'s sessions that a search for `q` finds. */
const found = (store: SessionStore["Type"], userId: string, q: string) =>
  Effect.map(store.list(user(userId), { sort: "updatedAt", order: "desc", limit: 50, q }), (page) =>
    page.sessions.map((s) => s.id)
  )

/** Opens the store of `dir` and expects Alice's search for `q` to find `ids`. */
const expectFound = (dir: string, q: string, ids: ReadonlyArray<string>) =>
  withStore(dir, (store) => Effect.map(found(store, "alice", q), (got) => expect(got).toEqual(ids)))

/** Copies a SQLite file with its WAL and shared-memory files (a backup, or its restore), as a user's `cp` would. */
const copyDatabase = (from: string, to: string) => {
  for (const suffix of ["", "-wal", "-shm"]) {
    rmSync(to + suffix, { force: true })
    if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix)
  }
}

/** A data dir where Alice has a flamingo, whose search file is another data dir's (where she has a narwhal). */
const withForeignSearchFile = Effect.gen(function* () {
  const mine = dataDir()
  const other = dataDir()
  yield* withStore(mine, (store) => store.ingest(user("alice"), session("s1", ["the flamingo"])))
  yield* withStore(other, (store) => store.ingest(user("alice"), session("s9", ["the narwhal"])))
  copyDatabase(searchFile(other), searchFile(mine))
  return mine
})

/**
 * Runs `body` while another process holds the write lock of `dir`'s search file, having run `statement` in it: for a
 * second, or (`untilDone`) until `body` ends. That process closes the file after `body`: libsql closes a connection
 * only once its statements are garbage-collected, so this process still holds the earlier stores' connections, and a
 * close by the last other process (deleting the WAL and shared-memory files they map) would leave them stale. One
 * store per process, as the server and the CLI open it, has no such connections.
 */
const whileAnotherProcessWrites = <A, E>(
  dir: string,
  statement: string,
  body: Effect.Effect<A, E>,
  untilDone = false
) =>
  Effect.gen(function* () {
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve("libsql"))})
        const db = new Database(${JSON.stringify(searchFile(dir))})
        db.exec("BEGIN IMMEDIATE")
        db.exec(${JSON.stringify(statement)})
        process.stdout.write("held\\n")
        if (!${untilDone}) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
          db.exec("COMMIT")
        }
        process.stdin.resume()
        process.stdin.on("end", () => {
          if (db.inTransaction) db.exec("COMMIT")
          db.close()
        })`
      ],
      { stdio: ["pipe", "pipe", "inherit"] }
    )
    const exited = new Promise<number | null>((resolve) => holder.once("exit", resolve))
    yield* Effect.promise(
      () =>
        new Promise<void>((resolve) =>
          holder.stdout!.on("data", (chunk) => String(chunk).includes("held") && resolve())
        )
    )
    const result = yield* Effect.ensuring(
      body,
      Effect.sync(() => holder.stdin!.end())
    )
    expect(yield* Effect.promise(() => exited)).toBe(0)
    return result
  })

/**
 * Opens the store of a data dir with a foreign search file (`withForeignSearchFile`) and runs `body` on it while
 * another process holds that file's write lock (`whileAnotherProcessWrites`); the data dir.
 */
const openWhileForeignFileIsHeld = (
  untilDone: boolean,
  body: (store: SessionStore["Type"]) => Effect.Effect<void, unknown>
) =>
  Effect.gen(function* () {
    const mine = yield* withForeignSearchFile
    yield* whileAnotherProcessWrites(
      mine,
      "UPDATE search_state SET applied = applied",
      withStore(mine, body),
      untilDone
    )
    return mine
  })

/** The nice value of each of this process's threads, by thread id (Linux). */
const threadNiceness = () => {
  const niceness = new Map<string, number>()
  for (const thread of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${thread}/stat`, "utf8")
      niceness.set(thread, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]))
    } catch {} // the thread ended
  }
  return niceness
}

/** How many segments the FTS5 table `table` has (`schema.name`): FTS5 keeps one `_idx` row per leaf range of each. */
const segmentsOf = (db: Database.Database, table: string) =>
  Number((db.prepare(`SELECT count(DISTINCT segid) AS n FROM ${table}_idx`).get() as { n: number }).n)

/** The queue position the search file of `dir` holds (`search_state.applied`). */
const indexedPosition = (dir: string) => {
  const db = new Database(searchFile(dir), { readonly: true })
  try {
    return Number((db.prepare("SELECT applied FROM search_state WHERE id = 1").get() as { applied: number }).applied)
  } finally {
    db.close()
  }
}

/** The search file as a crash before the indexer's commit leaves it: no entries, the position where it started. */
const undoIndexing = (dir: string) => {
  const db = new Database(searchFile(dir))
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'message_fts_[0-9]*' AND sql LIKE 'CREATE VIRTUAL%'"
      )
      .all() as Array<{ name: string }>
    for (const { name } of tables) db.exec(`INSERT INTO ${name} (${name}) VALUES ('delete-all')`)
    db.exec("UPDATE search_state SET applied = 0")
    return tables.length
  } finally {
    db.close()
  }
}

describe("the search file", () => {
  it.effect("is written by a worker thread under the server, and a search sees what was synced just before it", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      yield* withServerStore(dir, (store) =>
        Effect.gen(function* () {
          for (let i = 0; i < 20; i++) {
            yield* store.ingest(user("alice"), session(`s${i}`, [`entry ${i} mentions walrus${i}`, "and a flamingo"]))
            expect(yield* found(store, "alice", `walrus${i}`)).toEqual([`s${i}`])
          }
          expect(yield* found(store, "alice", "flamingo")).toHaveLength(20)
          yield* store.remove(user("alice"), "s3")
          expect(yield* found(store, "alice", "walrus3")).toEqual([])
        })
      )
      yield* expectFound(dir, "walrus7", ["s7"])
    })
  )

  it.effect("merges the index's segments once the indexer is idle, under the server", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      const segments = () => {
        const db = new Database(searchFile(dir), { readonly: true })
        try {
          return segmentsOf(db, "message_fts_1")
        } finally {
          db.close()
        }
      }
      const counts = yield* withServerStore(dir, (store) =>
        Effect.gen(function* () {
          // A search after each sync takes an indexer step of its own: a segment each.
          for (let i = 0; i < 30; i++) {
            yield* store.ingest(user("alice"), session(`s${i}`, [`entry ${i} mentions walrus${i}`, "and a flamingo"]))
            expect(yield* found(store, "alice", `walrus${i}`)).toEqual([`s${i}`])
          }
          const before = segments()
          let after = before
          for (let waited = 0; after > 2 && waited < 20_000; waited += 100) {
            yield* Effect.promise(() => new Promise((done) => setTimeout(done, 100)))
            after = segments()
          }
          expect(yield* found(store, "alice", "flamingo")).toHaveLength(30)
          expect(yield* found(store, "alice", "walrus17")).toEqual(["s17"])
          return { before, after }
        })
      )
      expect(counts.before).toBeGreaterThan(3)
      expect(counts.after).toBeLessThanOrEqual(2)
    })
  )

  it.effect("gathers commits into one indexer step, but a search has what is queued indexed at once", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      const gatherMs = 60_000
      // A message stored but not indexed (a crash before the indexer's commit): the worker's first step, taken as it
      // starts, indexes it. Waiting for that step without a search leaves no search's request for a step behind
      // (one answered late could take the syncs below into its step).
      yield* withStore(dir, (store) => store.ingest(user("alice"), session("s0", ["a stork"])))
      expect(undoIndexing(dir)).toBe(1)
      yield* withServerStore(
        dir,
        (store) =>
          Effect.gen(function* () {
            for (let waited = 0; indexedPosition(dir) < 1 && waited < 20_000; waited += 50) {
              yield* Effect.promise(() => new Promise((done) => setTimeout(done, 50)))
            }
            expect(indexedPosition(dir)).toBe(1)
            // Without a search the commits wait for the gathering (a minute here): nothing more is indexed yet.
            yield* store.ingest(user("alice"), session("s1", ["a heron in the reeds"]))
            yield* store.ingest(user("alice"), session("s2", ["a second heron"]))
            yield* Effect.promise(() => new Promise((done) => setTimeout(done, 300)))
            expect(indexedPosition(dir)).toBe(1)
            // A search asks for the step at once (it would otherwise wait its 10 s and answer without them).
            expect(yield* found(store, "alice", "heron")).toEqual(["s2", "s1"])
            expect(indexedPosition(dir)).toBe(3)
          }),
        gatherMs
      )
    })
  )

  it.effect.skipIf(process.platform !== "linux" || getPriority() >= niceness)(
    "indexes on a thread below the server's in the scheduler (Linux: a nice value of its own)",
    () =>
      Effect.gen(function* () {
        const before = threadNiceness()
        const during = yield* withServerStore(dataDir(), (store) =>
          Effect.gen(function* () {
            yield* store.ingest(user("alice"), session("s1", ["a kingfisher"]))
            // The worker has started (and set its priority) once a search found this.
            expect(yield* found(store, "alice", "kingfisher")).toEqual(["s1"])
            return threadNiceness()
          })
        )
        const started = [...during].filter(([thread]) => !before.has(thread))
        expect(started.filter(([, value]) => value === niceness)).toHaveLength(1)
        // The process's other threads keep their priority.
        expect(started.filter(([, value]) => value !== niceness && value !== getPriority()).length).toBe(0)
        expect(during.get(String(process.pid))).toBe(before.get(String(process.pid)))
      })
  )

  it.effect("indexes, when the store next opens, messages stored before a crash kept the indexer from committing", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      yield* withStore(dir, (store) => store.ingest(user("alice"), session("s1", ["a flamingo crossed the road"])))
      expect(undoIndexing(dir)).toBe(1)
      yield* expectFound(dir, "flamingo", ["s1"])
    })
  )

  it.effect("is rebuilt from the messages when it was deleted, or belongs to another database (a restored copy)", () =>
    Effect.gen(function* () {
      const mine = yield* withForeignSearchFile
      yield* expectFound(mine, "narwhal", [])
      yield* expectFound(mine, "flamingo", ["s1"])
      for (const suffix of ["", "-wal", "-shm"]) rmSync(searchFile(mine) + suffix, { force: true })
      yield* expectFound(mine, "flamingo", ["s1"])
    })
  )

  it.effect("is deleted and rebuilt when it is not a database (garbage, a truncated copy), and the store opens", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      yield* withStore(dir, (store) => store.ingest(user("alice"), session("s1", ["the flamingo"])))
      for (const suffix of ["-wal", "-shm"]) rmSync(searchFile(dir) + suffix, { force: true })
      writeFileSync(searchFile(dir), "this is not a database file, whatever its name says ".repeat(200))
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          expect(yield* found(store, "alice", "flamingo")).toEqual(["s1"])
          yield* store.ingest(user("alice"), session("s2", ["a second flamingo"]))
          expect((yield* found(store, "alice", "flamingo")).sort()).toEqual(["s1", "s2"])
        })
      )
      // The garbage was world-readable (the umask's mode); the file made in its place is the owner's only.
      if (process.platform !== "win32") expect(statSync(searchFile(dir)).mode & 0o777).toBe(0o600)
    })
  )

  it.live("damaged inside its tables: a search matches titles only (not a 500), and the next start rebuilds it", () =>
    Effect.gen(function* () {
      // (SQLite's integrity_check passes such a file, so the start trusts it: every search that read those pages
      // failed, start after start)
      const dir = dataDir()
      const words = Array.from({ length: 400 }, (_, i) => `zebra${i} ${"lorem ipsum dolor sit amet ".repeat(40)}`)
      yield* withStore(dir, (store) =>
        Effect.forEach([0, 1, 2, 3], (k) =>
          store.ingest(user("alice"), session(`z${k}`, words.slice(k * 100, k * 100 + 100)))
        )
      )
      yield* expectFound(dir, "zebra250", ["z2"])
      // Its pages overwritten in place, the WAL folded in first (as a stopped server leaves it)
      const checkpointed = new Database(searchFile(dir))
      checkpointed.pragma("wal_checkpoint(TRUNCATE)")
      checkpointed.close()
      const file = openSync(searchFile(dir), "r+")
      const size = fstatSync(file).size
      // Every page past the first few (the schema and the state row) overwritten past its header with noise
      let seed = 12_345
      const noise = Buffer.alloc(3000)
      for (let page = 5; (page + 1) * 4096 <= size; page++) {
        for (let k = 0; k < noise.length; k++) {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
          noise[k] = seed >> 16
        }
        writeSync(file, noise, 0, noise.length, page * 4096 + 100)
      }
      closeSync(file)
      yield* withServerStore(dir, (store) =>
        Effect.gen(function* () {
          // titles still match; the words (in the damaged tables) do not, until the file is rebuilt
          expect(yield* found(store, "alice", "zebra250")).toEqual([])
          expect(yield* found(store, "alice", "Session z1")).toEqual(["z1"])
        })
      )
      // the next start finds the search file marked for a rebuild, and rebuilds it (in the background: the 400
      // messages are more than a search waits for)
      yield* withServerStore(dir, (store) =>
        Effect.gen(function* () {
          let got: ReadonlyArray<string> = []
          for (let i = 0; i < 200 && got.length === 0; i++) {
            got = yield* found(store, "alice", "zebra250")
            if (got.length === 0) yield* Effect.sleep("50 millis")
          }
          expect(got, "after the next start").toEqual(["z2"])
        })
      )
    })
  )

  it.effect("is rebuilt when opensync.db was restored from a copy older than it, so later messages are indexed", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      const backup = dataDir()
      const database = join(dir, "opensync.db")
      yield* withStore(dir, (store) => store.ingest(user("alice"), session("s1", ["the flamingo"])))
      copyDatabase(database, join(backup, "opensync.db"))
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          for (let i = 2; i < 6; i++) yield* store.ingest(user("alice"), session(`s${i}`, [`narwhal ${i}`]))
        })
      )
      copyDatabase(join(backup, "opensync.db"), database)
      // The search file counts positions past the restored queue's end as done: without a rebuild, the walrus's queue
      // rows would take such positions and never be indexed.
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          yield* store.ingest(user("alice"), session("s9", ["the walrus"]))
          expect(yield* found(store, "alice", "walrus")).toEqual(["s9"])
          expect(yield* found(store, "alice", "narwhal")).toEqual([])
          expect(yield* found(store, "alice", "flamingo")).toEqual(["s1"])
        })
      )
    })
  )

  it.effect("is rebuilt when opensync.db lacks a commit the indexer read (a power loss, a restored copy)", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      const database = join(dir, "opensync.db")
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          yield* store.ingest(user("alice"), session("s1", ["the flamingo"]))
          yield* store.ingest(user("alice"), session("s2", ["the walrus"]))
        })
      )
      undoIndexing(dir)
      copyDatabase(database, join(dir, "snapshot.db"))
      // A commit changes the walrus's text and queues it; an indexer step takes only the rows before it, but reads
      // the message as that commit left it. Then the commit is lost (the snapshot comes back).
      const db = new Database(database)
      db.prepare("ATTACH ? AS search").run(searchFile(dir))
      db.exec(`UPDATE messages SET data = json_set(data, '$.text', 'now a pelican') WHERE session_id = 's2';
        INSERT INTO search_queue (user_rowid, message_rowid) SELECT 1, rowid FROM messages WHERE session_id = 's2'`)
      const { n } = db.prepare("SELECT count(*) AS n FROM search_queue").get() as { n: number }
      indexStep(db as unknown as RawConnection, new Map(), Fts.createTable("{name}", "search"), n - 1)
      db.close()
      copyDatabase(join(dir, "snapshot.db"), database)
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          expect(yield* found(store, "alice", "pelican")).toEqual([])
          expect(yield* found(store, "alice", "walrus")).toEqual(["s2"])
        })
      )
    })
  )

  it.effect("is rebuilt when it is older than rows the database trimmed from its queue (a restored search file)", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      const backup = dataDir()
      yield* withStore(dir, (store) => store.ingest(user("alice"), session("s1", ["the flamingo"])))
      copyDatabase(searchFile(dir), searchFile(backup))
      // Each write trims the queue rows the search file holds: the walrus's are gone after the next sessions.
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          yield* store.ingest(user("alice"), session("s2", ["the walrus"]))
          for (let i = 3; i < 6; i++) yield* store.ingest(user("alice"), session(`s${i}`, [`narwhal ${i}`]))
        })
      )
      const db = new Database(join(dir, "opensync.db"))
      const queued = db
        .prepare(
          "SELECT count(*) AS n FROM search_queue WHERE message_rowid IN (SELECT rowid FROM messages WHERE session_id = 's2')"
        )
        .get() as { n: number }
      db.close()
      expect(queued.n).toBe(0)
      copyDatabase(searchFile(backup), searchFile(dir))
      yield* expectFound(dir, "walrus", ["s2"])
    })
  )

  it.effect("is rebuilt, not trusted, when another process holds its write lock while the store opens", () =>
    Effect.gen(function* () {
      // Another process (a CLI command's indexer) writes the foreign file for a second while the store opens: the
      // rebuild waits for it instead of failing and leaving another database's index in use.
      yield* openWhileForeignFileIsHeld(false, (store) =>
        Effect.gen(function* () {
          expect(yield* found(store, "alice", "narwhal")).toEqual([])
          expect(yield* found(store, "alice", "flamingo")).toEqual(["s1"])
        })
      )
    })
  )

  it.effect("is not used by a process that could not check it, and is rebuilt at the next open", () =>
    Effect.gen(function* () {
      // Another process holds the foreign file's write lock past the busy timeout (5 s) while the store opens and
      // syncs: the store cannot rebuild it, so it must not read it (the narwhal's entry would point at the flamingo's
      // message, which has the same rowid here), index into it, or trim the queue to its position.
      const mine = yield* openWhileForeignFileIsHeld(true, (store) =>
        Effect.gen(function* () {
          expect(yield* found(store, "alice", "narwhal")).toEqual([])
          yield* store.ingest(user("alice"), session("s2", ["the walrus"]))
          yield* store.ingest(user("alice"), session("s3", ["an otter"]))
          expect(yield* found(store, "alice", "walrus")).toEqual([])
        })
      )
      yield* withStore(mine, (store) =>
        Effect.gen(function* () {
          expect(yield* found(store, "alice", "walrus")).toEqual(["s2"])
          expect(yield* found(store, "alice", "otter")).toEqual(["s3"])
          expect(yield* found(store, "alice", "flamingo")).toEqual(["s1"])
          expect(yield* found(store, "alice", "narwhal")).toEqual([])
        })
      )
    })
  )

  it.effect("is not rebuilt twice when another process rebuilt it while the store waited to", () =>
    Effect.gen(function* () {
      const mine = yield* withForeignSearchFile
      const db = new Database(join(mine, "opensync.db"))
      const { pair } = db.prepare("SELECT pair FROM search_pair").get() as { pair: string }
      const { seq: end } = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'search_queue'").get() as {
        seq: number
      }
      // The other process stands for a second one opening the same data dir: it makes the file this database's.
      yield* whileAnotherProcessWrites(
        mine,
        `UPDATE search_state SET pair = '${pair}', applied = ${end}`,
        withStore(mine, () => Effect.void)
      )
      const requeued = db.prepare("SELECT count(*) AS n FROM search_queue WHERE seq > ?").get(end) as { n: number }
      db.close()
      expect(requeued.n).toBe(0)
    })
  )

  it.effect("is deleted, never used, when it cannot be rebuilt, and rebuilt at the next open", () =>
    Effect.gen(function* () {
      const mine = yield* withForeignSearchFile
      // A position table that refuses every position stands for a rebuild failing halfway (a full disk).
      const db = new Database(searchFile(mine))
      db.exec(`DROP TABLE search_state;
        CREATE TABLE search_state (id INTEGER PRIMARY KEY, pair TEXT NOT NULL, applied INTEGER NOT NULL CHECK (applied < 0))`)
      db.close()
      yield* withStore(mine, (store) =>
        Effect.gen(function* () {
          expect(yield* found(store, "alice", "narwhal")).toEqual([])
          expect(yield* found(store, "alice", "flamingo")).toEqual([])
        })
      )
      yield* expectFound(mine, "flamingo", ["s1"])
      yield* expectFound(mine, "narwhal", [])
    })
  )

  it.live("is detached from the connection when a search is interrupted", () =>
    Effect.gen(function* () {
      const dir = dataDir()
      yield* Effect.gen(function* () {
        const search = yield* SearchIndex
        const sql = yield* SqlClient.SqlClient
        const attached = Effect.map(sql<{ name: string }>`SELECT name FROM pragma_database_list`, (rows) =>
          rows.map((row) => row.name)
        )
        expect(yield* search.reading(attached)).toContain("search")
        const ended = yield* Effect.exit(Effect.timeout(search.reading(Effect.never), "20 millis"))
        expect(ended._tag).toBe("Failure")
        expect(yield* attached).not.toContain("search")
      }).pipe(Effect.provide(storageLayer(dir).pipe(Layer.provide(NodeContext.layer))))
    })
  )

  it.effect("matches a last word of two characters or more as a prefix, and one of a single character as a word", () =>
    Effect.gen(function* () {
      expect(ftsQuery("tomendra th")).toBe(`"tomendra" "th"*`)
      expect(ftsQuery("tomendra t")).toBe(`"tomendra" "t"`)
      expect(ftsQuery("é")).toBe(`"é"`)
      expect(ftsQuery("  ")).toBeUndefined()
      // unicode61 splits words at "_": the prefix is the last token's, so its length decides.
      expect(ftsQuery("snake_c")).toBe(`"snake_c"`)
      expect(ftsQuery("snake_ca")).toBe(`"snake_ca"*`)
      expect(ftsQuery("snake_ ___ ")).toBe(`"snake_"*`)
      expect(ftsQuery("__ _")).toBeUndefined()
      expect(checkablePerMessage("read_file_abc")).toBe(true)
      expect(checkablePerMessage("read_file_abcd")).toBe(false)
      expect(checkablePerMessage("read_fi ___")).toBe(true)
      // A prefix the vocabulary may expand: four characters or more, not joined by `_` (folded later, by the tokenizer).
      expect(expandablePrefix("Fix PEXQua")).toEqual({ others: ["Fix"], word: "PEXQua" })
      expect(expandablePrefix("v2024")).toEqual({ others: [], word: "v2024" })
      expect(expandablePrefix("Café")).toEqual({ others: [], word: "Café" })
      expect(expandablePrefix("the")).toBeUndefined()
      expect(expandablePrefix("read_file")).toBeUndefined()
      expect(prefixEnd("pexqua")).toBe("pexqub")
      expect(prefixEnd("caf\u{1F600}")).toBe("caf\u{1F601}")
      expect(expandedQuery(["Fix", 'say"'], ["pexqua", "pexquab"])).toBe(
        `"Fix" AND "say""" AND ("pexqua" OR "pexquab")`
      )
      const dir = dataDir()
      yield* withStore(dir, (store) =>
        Effect.gen(function* () {
          // Titles are "Session s1" etc.: none contains the letters searched for, so only the messages can match.
          yield* store.ingest(user("alice"), session("s1", ["a theorem about graphs"]))
          yield* store.ingest(user("alice"), session("s2", ["plan t is the fallback"]))
          yield* store.ingest(user("alice"), session("s3", ["nothing related here"]))
          expect((yield* found(store, "alice", "th")).sort()).toEqual(["s1", "s2"])
          expect(yield* found(store, "alice", "theo")).toEqual(["s1"])
          expect(yield* found(store, "alice", "t")).toEqual(["s2"])
          expect(yield* found(store, "bob", "th")).toEqual([])
          // A long prefix is folded by the search tables' own tokenizer before the vocabulary expands it.
          const sql = yield* SqlClient.SqlClient
          expect(yield* Fts.foldWord(sql, "PÉLICANS")).toEqual(["pelicans"])
          expect(yield* Fts.foldWord(sql, "Naïve")).toEqual(["naive"])
          expect(yield* Fts.foldWord(sql, "read-file")).toEqual(["read", "file"])
          // The tokenizer's own folding, not JavaScript's: unicode61 keeps the Greek tonos that NFD would take off.
          expect(yield* Fts.foldWord(sql, "Θεώρημα")).toEqual(["θεώρημα"])
          yield* store.ingest(user("alice"), session("s4", ["Ein Théorème über Graphen"]))
          expect(yield* found(store, "alice", "THÉOR")).toEqual(["s4", "s1"])
        })
      )
    })
  )
})

describe("one indexer step", () => {
  /** A migrated `opensync.db` and its search file, opened as the indexer opens them. */
  const open = Effect.gen(function* () {
    const dir = dataDir()
    yield* migrate.pipe(Effect.provide(Client.layer(join(dir, "opensync.db"))))
    const db = new Database(join(dir, "opensync.db"))
    db.prepare("ATTACH ? AS search").run(searchFile(dir))
    db.exec(`CREATE TABLE search.search_state (
        id INTEGER PRIMARY KEY, pair TEXT NOT NULL, applied INTEGER NOT NULL, seen INTEGER NOT NULL
      );
      INSERT INTO search.search_state SELECT 1, pair, 0, 0 FROM search_pair;
      INSERT INTO users (id, name, created_at) VALUES ('alice', 'alice', 0), ('bob', 'bob', 0)`)
    return db
  })
  const message = (db: Database.Database, rowid: number, userId: string, text: string) =>
    db
      .prepare("INSERT INTO messages (rowid, user_id, session_id, id, created_at, data) VALUES (?, ?, 's', ?, 0, ?)")
      .run(rowid, userId, `m${rowid}`, JSON.stringify({ text }))
  const queue = (db: Database.Database, userRowid: number, messageRowid: number) =>
    db.prepare("INSERT INTO search_queue (user_rowid, message_rowid) VALUES (?, ?)").run(userRowid, messageRowid)
  const hits = (db: Database.Database, userRowid: number, word: string) =>
    (
      db
        .prepare(
          `SELECT rowid FROM search.message_fts_${userRowid} WHERE message_fts_${userRowid} MATCH ? ORDER BY rowid`
        )
        .all(`"${word}"`) as Array<{ rowid: number }>
    ).map((row) => row.rowid)

  /** `open`, with Alice's message 1 ("walrus") queued. */
  const openWithWalrus = Effect.map(open, (db) => {
    message(db, 1, "alice", "walrus")
    queue(db, 1, 1)
    return db
  })

  /** One step of at most 100 queued rowids on `db`, by `step` (the imported one unless said). */
  const stepOn = (db: unknown, step = indexStep) =>
    step(db as RawConnection, new Map(), Fts.createTable("{name}", "search"), 100)

  /** A function of the worker's as imported, and as the worker thread runs it: from its source text alone. */
  const importedAndEvaluated = <F extends (...args: never) => unknown>(f: F) =>
    [
      ["imported", f],
      ["evaluated from its source text", new Function(`return (${f.toString()})`)() as F]
    ] as const

  const versions = importedAndEvaluated(indexStep)

  it.effect.each(versions)(
    "indexes a reused rowid for its new owner only, and applies a clearing in queue order (%s)",
    ([, indexStep]) =>
      Effect.gen(function* () {
        const db = yield* open
        // Alice's message 1 is queued, deleted (queued again), and its rowid reused by Bob; Alice's message 2 is queued,
        // then all of Alice's data is cleared, then her message 3 arrives.
        message(db, 1, "alice", "walrus")
        queue(db, 1, 1)
        db.exec("DELETE FROM messages WHERE rowid = 1")
        queue(db, 1, 1)
        message(db, 1, "bob", "pelican walrus")
        queue(db, 2, 1)
        message(db, 2, "alice", "walrus again")
        queue(db, 1, 2)
        queue(db, 1, 0)
        db.exec("DELETE FROM messages WHERE rowid = 2")
        message(db, 3, "alice", "walrus at last")
        queue(db, 1, 3)
        message(db, 4, "alice", "")
        queue(db, 1, 4)
        const step = stepOn(db, indexStep)
        expect(step).toEqual({ applied: 7, indexed: 7, more: false })
        expect(hits(db, 1, "walrus")).toEqual([3])
        expect(hits(db, 2, "walrus")).toEqual([1])
        expect(hits(db, 2, "pelican")).toEqual([1])
        // A message whose text changed: its old words go, its new ones come; a second step over nothing is a no-op.
        db.exec(`UPDATE messages SET data = '{"text":"seal"}' WHERE rowid = 3`)
        queue(db, 1, 3)
        expect(stepOn(db, indexStep)).toEqual({
          applied: 8,
          indexed: 1,
          more: false
        })
        expect(hits(db, 1, "walrus")).toEqual([])
        expect(hits(db, 1, "seal")).toEqual([3])
        expect(stepOn(db, indexStep)).toEqual({
          applied: 8,
          indexed: 0,
          more: false
        })
        db.close()
      })
  )

  it.effect.each(versions)(
    "reads each queued message by its rowid, never a scan of its owner's messages (%s)",
    ([, indexStep]) =>
      Effect.gen(function* () {
        const db = yield* open
        for (let rowid = 1; rowid <= 50; rowid++)
          message(db, rowid, rowid % 5 === 0 ? "bob" : "alice", `walrus ${rowid}`)
        queue(db, 1, 7)
        queue(db, 2, 10)
        // Every statement the step prepares, as it prepares it.
        const statements: Array<string> = []
        const recording = {
          prepare: (text: string) => {
            statements.push(text)
            return db.prepare(text)
          },
          exec: (text: string) => db.exec(text)
        }
        expect(
          indexStep(recording as unknown as RawConnection, new Map(), Fts.createTable("{name}", "search"), 100)
        ).toEqual({ applied: 2, indexed: 2, more: false })
        expect(hits(db, 1, "walrus")).toEqual([7])
        expect(hits(db, 2, "walrus")).toEqual([10])
        const reads = statements.filter((text) => text.includes("main.messages"))
        expect(reads.length).toBeGreaterThan(0)
        for (const text of reads) {
          const plan = (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(1, "[7]", 1) as Array<{ detail: string }>)
            .map((row) => row.detail)
            .filter((detail) => / m /.test(detail))
          expect(plan).toEqual(["SEARCH m USING INTEGER PRIMARY KEY (rowid=?)"])
        }
        db.close()
      })
  )

  it.effect("of another process, started on what it saw before that process's steps, applies nothing stale", () =>
    Effect.gen(function* () {
      const db = yield* openWithWalrus
      // Between this connection's look at the queue and its transaction, another connection (the server's indexer
      // beside a CLI command's) indexes the queue, message 1 is replaced by message 2, that is indexed too, and the
      // server trims the queue.
      const files = db.prepare("SELECT name, file FROM pragma_database_list").all() as Array<{
        name: string
        file: string
      }>
      const other = new Database(files.find((f) => f.name === "main")!.file)
      other.exec("PRAGMA busy_timeout = 5000")
      other.prepare("ATTACH ? AS search").run(files.find((f) => f.name === "search")!.file)
      let interleaved = false
      const late: RawConnection = {
        prepare: (text) => db.prepare(text) as never,
        exec: (text) => {
          if (text.startsWith("BEGIN") && !interleaved) {
            interleaved = true
            const step = () => stepOn(other)
            expect(step().applied).toBe(1)
            db.exec("DELETE FROM messages WHERE rowid = 1")
            queue(db, 1, 1)
            message(db, 2, "alice", "walrus two")
            queue(db, 1, 2)
            expect(step().applied).toBe(3)
            db.exec("DELETE FROM search_queue WHERE seq <= 3")
          }
          return db.exec(text)
        }
      }
      const step = stepOn(late)
      expect(interleaved).toBe(true)
      // Nothing is left to apply, and the position does not go back (which would read as a search file missing trimmed
      // rows, and rebuild it at the next start).
      expect(step.applied).toBe(3)
      expect(db.prepare("SELECT applied FROM search.search_state").get()).toEqual({ applied: 3 })
      expect(hits(db, 1, "walrus")).toEqual([2])
      other.close()
      db.close()
    })
  )

  it.effect("refuses a search file of another database, leaving everything queued", () =>
    Effect.gen(function* () {
      const db = yield* openWithWalrus
      db.exec("UPDATE search.search_state SET pair = 'another database'")
      expect(() => stepOn(db)).toThrow(/another database/)
      expect(db.prepare("SELECT applied FROM search.search_state").get()).toEqual({ applied: 0 })
      db.close()
    })
  )

  it.effect("leaves its position unchanged when it fails, so the step is taken again", () =>
    Effect.gen(function* () {
      const db = yield* openWithWalrus
      // A table that cannot be created (the statement fails) stands for a full disk in the middle of a step.
      expect(() => indexStep(db as unknown as RawConnection, new Map(), "CREATE TABLE search.{name} (", 100)).toThrow()
      expect(db.prepare("SELECT applied FROM search.search_state").get()).toEqual({ applied: 0 })
      expect(stepOn(db)).toEqual({
        applied: 1,
        indexed: 1,
        more: false
      })
      expect(hits(db, 1, "walrus")).toEqual([1])
      db.close()
    })
  )
  /** Segments of a user's search table in the attached search file. */
  const segments = (db: Database.Database, userRowid: number) => segmentsOf(db, `search.message_fts_${userRowid}`)

  /**
   * Alice's 60 messages indexed in 30 steps (a segment each, merged four at a time as FTS5 indexes), and what searches
   * for whole words and for prefixes find in them. Each message has 400 words of its own, so segments take pages.
   */
  const manySegments = Effect.map(open, (db) => {
    const words = ["walrus", "pelican", "heron", "seal", "stork"]
    for (let rowid = 1; rowid <= 60; rowid++) {
      const own = Array.from({ length: 400 }, (_, k) => `w${rowid}x${k}`).join(" ")
      message(db, rowid, "alice", `${words[rowid % 5]} number${rowid} and ${words[(rowid + 2) % 5]} ${own}`)
      queue(db, 1, rowid)
      if (rowid % 2 === 0) stepOn(db)
    }
    const prefix = (text: string) =>
      (
        db
          .prepare("SELECT rowid FROM search.message_fts_1 WHERE message_fts_1 MATCH ? ORDER BY rowid")
          .all(text) as Array<{
          rowid: number
        }>
      ).map((row) => row.rowid)
    const searches = () => ({
      walrus: hits(db, 1, "walrus"),
      number4: prefix('"number4"*'),
      he: prefix('"he"*'),
      both: prefix('"seal" "walrus"')
    })
    return { db, searches }
  })

  const mergeVersions = importedAndEvaluated(mergeStep)

  it.effect.each(mergeVersions)(
    "merges the segments of many steps while idle; every search finds what it did (%s)",
    ([, mergeStep]) =>
      Effect.gen(function* () {
        const { db, searches } = yield* manySegments
        const before = segments(db, 1)
        const found = searches()
        expect(found.walrus).toHaveLength(24)
        expect(found.number4).toEqual([4, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49])
        expect(found.both).toHaveLength(12)
        const tuned = new Set<string>()
        let steps = 0
        while (mergeStep(db as unknown as RawConnection, tuned, mergePages)) steps++
        expect(steps).toBeGreaterThan(0)
        const after = segments(db, 1)
        expect(before).toBeGreaterThan(3)
        expect(after).toBeLessThan(before)
        expect(after).toBeLessThanOrEqual(2)
        expect(searches()).toEqual(found)
        // Pairs of a level are merged from now on (FTS5 keeps the setting in the table); nothing is left to merge.
        expect(db.prepare("SELECT v FROM search.message_fts_1_config WHERE k = 'usermerge'").get()).toEqual({ v: 2 })
        expect(mergeStep(db as unknown as RawConnection, tuned, mergePages)).toBe(false)
        // New steps add segments again, and the next idle time merges them too.
        for (let rowid = 61; rowid <= 66; rowid++) {
          message(db, rowid, "alice", `walrus number${rowid}`)
          queue(db, 1, rowid)
          stepOn(db)
        }
        expect(segments(db, 1)).toBeGreaterThan(after)
        while (mergeStep(db as unknown as RawConnection, tuned, mergePages)) {}
        expect(segments(db, 1)).toBeLessThanOrEqual(2)
        expect(hits(db, 1, "walrus")).toEqual([...found.walrus, 61, 62, 63, 64, 65, 66])
        db.close()
      })
  )

  it.effect("changes nothing when a merge fails (a full disk), and merges once there is room", () =>
    Effect.gen(function* () {
      const { db, searches } = yield* manySegments
      const before = segments(db, 1)
      const found = searches()
      // The search file may not grow: a merge writes its new segment before it frees the old ones.
      db.exec("PRAGMA search.auto_vacuum = NONE")
      const pages = Number((db.prepare("PRAGMA search.page_count").get() as { page_count: number }).page_count)
      db.exec(`PRAGMA search.max_page_count = ${pages}`)
      const tuned = new Set<string>()
      expect(() => {
        while (mergeStep(db as unknown as RawConnection, tuned, mergePages)) {}
      }).toThrow(/full/)
      expect(searches()).toEqual(found)
      db.exec("PRAGMA search.max_page_count = 1000000")
      while (mergeStep(db as unknown as RawConnection, tuned, mergePages)) {}
      expect(segments(db, 1)).toBeLessThan(before)
      expect(searches()).toEqual(found)
      db.close()
    })
  )
})
