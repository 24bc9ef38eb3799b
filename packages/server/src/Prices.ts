import { statSync } from "node:fs"
import { FileSystem, Path } from "@effect/platform"
import { Pricing } from "@opensync/domain"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"

/** The local price overrides of a data dir: `prices.json`, `{ "overrides": [...] }` (see docs/pricing.md). */
export const pricesFile = (dataDir: string, path: Path.Path) => path.join(dataDir, "prices.json")

export class PricesFileError extends Data.TaggedError("PricesFileError")<{
  readonly file: string
  readonly reason: string
}> {
  override get message() {
    return `${this.file} is not a valid price overrides file (${this.reason}). Fix or delete it (docs/pricing.md describes it).`
  }
}

const decode = Schema.decodeUnknownEither(Schema.parseJson(Pricing.OverridesFile))

/** A decoding error as `path: message` items, leaving out the alternatives of optional fields. */
export const describeIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .filter((issue) => !issue.message.startsWith("Expected undefined"))
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")

/** Reads the overrides file; a missing file means no overrides. */
export const readOverrides = (dataDir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const file = pricesFile(dataDir, yield* Path.Path)
    const text = yield* fs.readFileString(file).pipe(
      Effect.catchIf(
        (e) => e._tag === "SystemError" && e.reason === "NotFound",
        () => Effect.succeed(null)
      ),
      Effect.mapError((e) => new PricesFileError({ file, reason: e.message }))
    )
    if (text === null) return []
    const decoded = decode(text)
    if (decoded._tag === "Left") {
      return yield* new PricesFileError({ file, reason: describeIssues(decoded.left) })
    }
    return decoded.right.overrides
  })

/** Replaces the overrides file atomically (a server reading it sees the old or the new file, never half of one). */
export const writeOverrides = (dataDir: string, overrides: ReadonlyArray<Pricing.Override>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const file = pricesFile(dataDir, yield* Path.Path)
    yield* fs.makeDirectory(dataDir, { recursive: true })
    const body = Schema.encodeSync(Pricing.OverridesFile)({ overrides })
    const temp = `${file}.${process.pid}.tmp`
    // A write that fails (a full disk) leaves no temp file behind
    yield* Effect.zipRight(fs.writeFileString(temp, `${JSON.stringify(body, null, 2)}\n`), fs.rename(temp, file)).pipe(
      Effect.tapError(() => Effect.ignore(fs.remove(temp, { force: true })))
    )
  })

/** The overrides in force for ingestion: re-read when the file changes, the last valid ones kept if it turns invalid. */
export class PriceOverrides extends Context.Tag("@opensync/server/PriceOverrides")<
  PriceOverrides,
  { readonly current: Effect.Effect<ReadonlyArray<Pricing.Override>> }
>() {
  /** Fails when the file exists but is invalid, so `opensync serve` refuses to start on a broken file. */
  static readonly layer = (dataDir: string) =>
    Layer.effect(
      PriceOverrides,
      Effect.gen(function* () {
        const file = pricesFile(dataDir, yield* Path.Path)
        const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
        // Checked on every write request: a synchronous stat that answers undefined for a missing file costs a few
        // microseconds, where FileSystem.stat went through the thread pool and built an error (with its stack) for the
        // usual case, no prices.json (about 4 % of a single-event request's CPU time).
        const stamp = Effect.sync(() => {
          try {
            const info = statSync(file, { throwIfNoEntry: false })
            return info === undefined ? "absent" : `${info.ino}:${info.mtimeMs}:${info.size}`
          } catch {
            return "absent"
          }
        })
        const state = yield* Ref.make({ stamp: yield* stamp, overrides: yield* readOverrides(dataDir) })
        const current = Effect.gen(function* () {
          const now = yield* stamp
          const last = yield* Ref.get(state)
          if (now === last.stamp) return last.overrides
          return yield* readOverrides(dataDir).pipe(
            Effect.tap((overrides) => Ref.set(state, { stamp: now, overrides })),
            Effect.catchAll((error) =>
              Effect.as(Effect.logWarning(`${error.message} Keeping the previous overrides.`), last.overrides)
            )
          )
        }).pipe(Effect.provide(context))
        return PriceOverrides.of({ current })
      })
    )
}
