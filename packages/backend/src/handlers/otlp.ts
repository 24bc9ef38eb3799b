import { create, toBinary } from "@bufbuild/protobuf"
import { FileSystem, HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import { Api, Errors, Limits, Telemetry } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import {
  ExportLogsPartialSuccessSchema,
  ExportLogsServiceResponseSchema
} from "../internal/otlp/opentelemetry/proto/collector/logs/v1/logs_service_pb.js"
import {
  ExportMetricsPartialSuccessSchema,
  ExportMetricsServiceResponseSchema
} from "../internal/otlp/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js"
import * as Otlp from "../Otlp.js"
import { SessionStore } from "../SessionStore.js"
import { orStorageFailure } from "../Storage.js"

/**
 * `POST /v1/logs` and `POST /v1/metrics`: Claude Code's OpenTelemetry export (OTLP/HTTP, JSON or protobuf, gzip or
 * not). The body is read as bytes within `Limits.maxBodyBytes`, inflated within `Otlp.maxInflatedBytes`, decoded,
 * and what OpenSync uses becomes events (`Telemetry`) for the same ingestion as `/sync/events`. A body that cannot be
 * read is a 400 (413 when too large), never a 5xx; the answer is in the request's encoding.
 */

const fail = (error: Otlp.BodyError): Effect.Effect<never, Errors.PayloadTooLarge | Errors.BadRequest> =>
  error.status === 413
    ? Effect.fail(new Errors.PayloadTooLarge({ error: error.message }))
    : Effect.fail(new Errors.BadRequest({ error: error.message }))

const fromEither = <A>(
  either: Either.Either<A, Otlp.BodyError>
): Effect.Effect<A, Errors.PayloadTooLarge | Errors.BadRequest> =>
  Either.isRight(either) ? Effect.succeed(either.right) : fail(either.left)

const tooLarge = () =>
  new Errors.PayloadTooLarge({
    error: `Request body is larger than ${Limits.maxBodyBytes} bytes; send smaller batches.`
  })

const readBytes = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  if (Number(request.headers["content-length"] ?? 0) > Limits.maxBodyBytes) return yield* tooLarge()
  const buffer = yield* request.arrayBuffer.pipe(
    Effect.provideService(HttpIncomingMessage.MaxBodySize, Option.some(FileSystem.Size(Limits.maxBodyBytes))),
    Effect.catchAll(
      (cause): Effect.Effect<never, Errors.PayloadTooLarge | Errors.BadRequest> =>
        /size|too large|exceed/i.test(String((cause as { cause?: unknown }).cause ?? cause))
          ? Effect.fail(tooLarge())
          : Effect.fail(new Errors.BadRequest({ error: "The request body could not be read." }))
    )
  )
  if (buffer.byteLength > Limits.maxBodyBytes) return yield* tooLarge()
  return { request, bytes: new Uint8Array(buffer) }
})

const answer = (
  signal: Otlp.Signal,
  encoding: Otlp.Encoding,
  rejected: number,
  errors: ReadonlyArray<string>
): HttpServerResponse.HttpServerResponse => {
  const errorMessage = errors.join("; ")
  if (encoding === "json") {
    const count = String(rejected)
    const partialSuccess =
      signal === "logs" ? { rejectedLogRecords: count, errorMessage } : { rejectedDataPoints: count, errorMessage }
    return HttpServerResponse.unsafeJson(rejected > 0 ? { partialSuccess } : {})
  }
  const body =
    rejected === 0
      ? new Uint8Array(0)
      : signal === "logs"
        ? toBinary(
            ExportLogsServiceResponseSchema,
            create(ExportLogsServiceResponseSchema, {
              partialSuccess: create(ExportLogsPartialSuccessSchema, {
                rejectedLogRecords: BigInt(rejected),
                errorMessage
              })
            })
          )
        : toBinary(
            ExportMetricsServiceResponseSchema,
            create(ExportMetricsServiceResponseSchema, {
              partialSuccess: create(ExportMetricsPartialSuccessSchema, {
                rejectedDataPoints: BigInt(rejected),
                errorMessage
              })
            })
          )
  return HttpServerResponse.uint8Array(body, { contentType: "application/x-protobuf" })
}

const receive = (signal: Otlp.Signal) =>
  Effect.gen(function* () {
    const user = yield* Api.CurrentUser
    const store = yield* SessionStore
    const { request, bytes } = yield* readBytes
    const encoding = yield* fromEither(Otlp.encodingOf(request.headers["content-type"]))
    const body = yield* fromEither(Otlp.decodeContent(bytes, request.headers["content-encoding"]))
    const converted =
      signal === "logs"
        ? Telemetry.fromLogs(yield* fromEither(Otlp.decodeLogs(body, encoding)))
        : Telemetry.fromMetrics(yield* fromEither(Otlp.decodeMetrics(body, encoding)))
    yield* orStorageFailure(store.noteTelemetry(user.userId, Date.now()))
    let rejected = converted.rejected
    const errors = [...converted.errors]
    for (let at = 0; at < converted.events.length; at += Limits.maxEventsPerBatch) {
      const result = yield* orStorageFailure(
        store.ingest(user.userId, converted.events.slice(at, at + Limits.maxEventsPerBatch))
      )
      rejected += result.refused.length
      for (const refused of result.refused.slice(0, 3 - Math.min(3, errors.length))) errors.push(refused.error)
    }
    return answer(signal, encoding, rejected, errors)
  })

export const OtlpLive = HttpApiBuilder.group(Api.OpenSyncApi, "otlp", (handlers) =>
  handlers.handleRaw("logs", () => receive("logs")).handleRaw("metrics", () => receive("metrics"))
)
