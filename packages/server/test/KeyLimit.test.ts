import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import { maxKeysPerUser } from "@opensync/backend/Keys"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { storageLayer } from "../src/Server.js"
import { LocalKeys } from "../src/sqlite/Keys.js"

const TestLayer = storageLayer(mkdtempSync(join(tmpdir(), "opensync-key-limit-"))).pipe(
  Layer.provide(NodeContext.layer)
)

layer(TestLayer)("the per-user key limit", (it) => {
  it.effect(
    "holds when many keys are created at once, and its message does not suggest revoking (revoked keys count)",
    () =>
      Effect.gen(function* () {
        const keys = yield* LocalKeys
        const attempts = maxKeysPerUser + 7
        const results = yield* Effect.all(
          Array.from({ length: attempts }, (_, i) => Effect.either(keys.create("crowd", `key ${i}`, "ingest"))),
          { concurrency: "unbounded" }
        )
        const refused = results.filter(Either.isLeft)
        expect(results.filter(Either.isRight)).toHaveLength(maxKeysPerUser)
        expect(refused).toHaveLength(attempts - maxKeysPerUser)
        expect((yield* keys.list("crowd")).length).toEqual(maxKeysPerUser)
        // Revoked keys still count, so the message must not suggest revoking some
        const message = String(refused[0]?.left)
        expect(message).toContain(`${maxKeysPerUser} keys`)
        expect(message).toContain("revoked keys count too")
        expect(message).not.toContain("revoke some")
      }),
    60_000
  )
})
