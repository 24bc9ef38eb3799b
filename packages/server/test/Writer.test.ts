/**
 * The write transaction holds the shared connection: a statement of another request issued while a transaction is
 * open (a key's revocation, a last-used time) waits for it, so rolling the transaction back never undoes that statement.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, expect, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Checkpoints from "../src/sqlite/Checkpoints.js"
import * as Client from "../src/sqlite/Client.js"
import { Writer } from "../src/sqlite/Database.js"
import { SearchIndex } from "../src/sqlite/SearchIndex.js"

const dir = mkdtempSync(join(tmpdir(), "opensync-writer-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const sqlite = Client.layer(join(dir, "opensync.db"))
/** No search file here: nothing is queued, so the writer has no queue rows to delete. */
const noSearch = Layer.succeed(SearchIndex, {
  committed: () => {},
  caughtUp: () => Effect.void,
  applied: () => 0,
  reading: (read) => read,
  searchable: () => false
})

layer(Layer.merge(sqlite, Writer.Default.pipe(Layer.provide([sqlite, Checkpoints.inline, noSearch]))))(
  "the write transaction",
  (it) => {
    it.effect("keeps another request's statement out of a transaction that rolls back", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const { write } = yield* Writer
        yield* sql`CREATE TABLE batch (id TEXT)`
        yield* sql`CREATE TABLE revoked (id TEXT)`
        const begun = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        // A batch that writes, waits (as a long ingest yields to other fibers), then fails and is rolled back.
        const batch = yield* write(
          Effect.gen(function* () {
            yield* sql`INSERT INTO batch (id) VALUES ('row')`
            yield* Deferred.succeed(begun, undefined)
            yield* Deferred.await(release)
            return yield* Effect.fail("the batch failed")
          })
        ).pipe(Effect.flip, Effect.fork)
        yield* Deferred.await(begun)
        // Another request writes outside any transaction while the batch is open.
        const revocation = yield* sql`INSERT INTO revoked (id) VALUES ('key_1')`.pipe(Effect.fork)
        yield* Effect.repeatN(Effect.yieldNow(), 50)
        yield* Deferred.succeed(release, undefined)
        expect(yield* Fiber.join(batch)).toEqual("the batch failed")
        yield* Fiber.join(revocation)
        expect(yield* sql<{ id: string }>`SELECT id FROM batch`).toEqual([])
        expect(yield* sql<{ id: string }>`SELECT id FROM revoked`).toEqual([{ id: "key_1" }])
      })
    )
  }
)
