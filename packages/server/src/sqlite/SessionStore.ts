import { SessionStore } from "@opensync/backend/SessionStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { storage } from "./errors.js"
import * as Ingest from "./ingest.js"
import * as Sessions from "./sessions.js"
import * as Stats from "./stats.js"

/** The SQLite adapter of the session store port (needs the SQL client and the `Writer`, see `Database.ts`). */
export const layer = Layer.effect(
  SessionStore,
  Effect.gen(function* () {
    const ingest = yield* Ingest.make
    const sessions = yield* Sessions.make(ingest)
    const stats = yield* Stats.make
    // `removeAll` deletes everything in one transaction before it answers, so there is never one under way.
    const removal = () => Effect.succeed({ status: "done" as const, sessions: 0 })
    return SessionStore.of({
      ingest: ingest.ingest,
      ...sessions,
      ...stats,
      removal,
      noteTelemetry: (userId, at) => storage(ingest.usage.noteTelemetry(userId, at)),
      lastTelemetry: (userId) => storage(ingest.usage.lastTelemetry(userId))
    })
  })
)
