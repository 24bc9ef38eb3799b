import { fromBinary } from "@bufbuild/protobuf"
import type { Telemetry } from "@opensync/domain"
import * as Either from "effect/Either"
import { Gunzip } from "fflate"
import { ExportLogsServiceRequestSchema } from "./internal/otlp/opentelemetry/proto/collector/logs/v1/logs_service_pb.js"
import { ExportMetricsServiceRequestSchema } from "./internal/otlp/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js"
import type { AnyValue, KeyValue } from "./internal/otlp/opentelemetry/proto/common/v1/common_pb.js"
import { AggregationTemporality } from "./internal/otlp/opentelemetry/proto/metrics/v1/metrics_pb.js"

/**
 * OTLP/HTTP request bodies (logs and metrics) from bytes to plain records: gzip undone within a size cap, protobuf
 * (`application/x-protobuf`, decoded with the official message types, `internal/otlp/`) or JSON (`application/json`,
 * the OTLP JSON mapping: lowerCamelCase fields, 64-bit integers as strings or numbers). Pure and runtime-neutral: it
 * uses no Node API, no eval and no `DecompressionStream` (which Convex's runtime lacks).
 */

export type Signal = "logs" | "metrics"
export type Encoding = "json" | "protobuf"

/** Why a body cannot be read: `status` 400 (malformed, unsupported) or 413 (too large, once inflated too). */
export interface BodyError {
  readonly status: 400 | 413
  readonly message: string
}

/** Largest body accepted after inflating gzip: far above what an exporter sends in one request. */
export const maxInflatedBytes = 32 * 1024 * 1024

/** The encoding a `Content-Type` names, or a 400. */
export const encodingOf = (contentType: string | undefined): Either.Either<Encoding, BodyError> => {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase()
  if (type === "application/x-protobuf" || type === "application/protobuf") return Either.right("protobuf")
  if (type === "application/json") return Either.right("json")
  return Either.left({
    status: 400,
    message: `OTLP/HTTP bodies are application/x-protobuf or application/json, not ${JSON.stringify(type || "(none)")}.`
  })
}

/**
 * Inflates a gzip body, feeding it in small slices and stopping as soon as the output passes `max` bytes: a gzip bomb
 * costs at most `max` plus one slice's output of memory before it is refused with 413.
 */
export const gunzip = (bytes: Uint8Array, max: number = maxInflatedBytes): Either.Either<Uint8Array, BodyError> => {
  const chunks: Array<Uint8Array> = []
  let size = 0
  let done = false
  const inflater = new Gunzip((chunk, final) => {
    size += chunk.length
    if (size <= max) chunks.push(chunk)
    if (final) done = true
  })
  const step = 1024
  try {
    for (let at = 0; at < bytes.length && size <= max; at += step) {
      inflater.push(bytes.subarray(at, Math.min(bytes.length, at + step)), at + step >= bytes.length)
    }
  } catch (cause) {
    return Either.left({ status: 400, message: `The gzip body could not be inflated (${String(cause)}).` })
  }
  if (size > max) {
    return Either.left({
      status: 413,
      message: `The request body inflates to more than ${max} bytes; send smaller batches.`
    })
  }
  if (!done) return Either.left({ status: 400, message: "The gzip body is truncated." })
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return Either.right(out)
}

/** The body after `Content-Encoding` (`identity` or `gzip`). */
export const decodeContent = (
  bytes: Uint8Array,
  contentEncoding: string | undefined,
  max: number = maxInflatedBytes
): Either.Either<Uint8Array, BodyError> => {
  const encoding = (contentEncoding ?? "").trim().toLowerCase()
  if (encoding === "" || encoding === "identity") return Either.right(bytes)
  if (encoding === "gzip" || encoding === "x-gzip") return gunzip(bytes, max)
  return Either.left({
    status: 400,
    message: `Content-Encoding ${JSON.stringify(encoding)} is not supported; use gzip.`
  })
}

// ---------- protobuf ----------

const fromAny = (value: AnyValue | undefined): Telemetry.Value => {
  const v = value?.value
  switch (v?.case) {
    case "stringValue":
    case "boolValue":
    case "intValue":
    case "doubleValue":
      return v.value
    case "bytesValue":
      return null
    case "arrayValue":
      return v.value.values.map(fromAny)
    case "kvlistValue":
      return Object.fromEntries(v.value.values.map((kv) => [kv.key, fromAny(kv.value)]))
    default:
      return null
  }
}

const attributesOf = (list: ReadonlyArray<KeyValue>): Telemetry.Attributes =>
  new Map(list.map((kv) => [kv.key, fromAny(kv.value)]))

const nanosToMs = (nanos: bigint | string | number | undefined | null): number | null => {
  if (nanos === undefined || nanos === null || nanos === "" || nanos === 0 || nanos === 0n || nanos === "0") return null
  try {
    const ms = Number(BigInt(nanos) / 1_000_000n)
    return ms > 0 && ms < 8_640_000_000_000_000 ? ms : null
  } catch {
    return null
  }
}

const temporalityOf = (t: number | string | undefined): Telemetry.MetricPoint["temporality"] =>
  t === AggregationTemporality.DELTA || t === "AGGREGATION_TEMPORALITY_DELTA"
    ? "delta"
    : t === AggregationTemporality.CUMULATIVE || t === "AGGREGATION_TEMPORALITY_CUMULATIVE"
      ? "cumulative"
      : "unspecified"

/** The scope groups of a protobuf export, each with the attributes of its resource. */
const protoScopes = <G extends { readonly resource?: { readonly attributes: ReadonlyArray<KeyValue> } | undefined }, S>(
  groups: ReadonlyArray<G>,
  scopesOf: (group: G) => ReadonlyArray<S>
): Array<{ readonly resource: Telemetry.Attributes; readonly scope: S }> =>
  groups.flatMap((group) => {
    const resource = attributesOf(group.resource?.attributes ?? [])
    return scopesOf(group).map((scope) => ({ resource, scope }))
  })

const logsFromProtobuf = (bytes: Uint8Array): Array<Telemetry.LogRecord> =>
  protoScopes(fromBinary(ExportLogsServiceRequestSchema, bytes).resourceLogs, (rl) => rl.scopeLogs).flatMap(
    ({ resource, scope: sl }) =>
      sl.logRecords.map((r) => ({
        timeMs: nanosToMs(r.timeUnixNano),
        observedMs: nanosToMs(r.observedTimeUnixNano),
        body: fromAny(r.body),
        attributes: attributesOf(r.attributes),
        resource,
        scope: sl.scope?.name ?? null
      }))
  )

const metricsFromProtobuf = (bytes: Uint8Array): Array<Telemetry.MetricPoint> => {
  const request = fromBinary(ExportMetricsServiceRequestSchema, bytes)
  const out: Array<Telemetry.MetricPoint> = []
  for (const { resource, scope: sm } of protoScopes(request.resourceMetrics, (rm) => rm.scopeMetrics)) {
    for (const m of sm.metrics) {
      const data = m.data
      const points =
        data.case === "sum"
          ? { list: data.value.dataPoints, temporality: temporalityOf(data.value.aggregationTemporality) }
          : data.case === "gauge"
            ? { list: data.value.dataPoints, temporality: "unspecified" as const }
            : undefined
      if (points === undefined) continue
      for (const p of points.list) {
        const value =
          p.value.case === "asDouble" ? p.value.value : p.value.case === "asInt" ? Number(p.value.value) : undefined
        if (value === undefined || !Number.isFinite(value)) continue
        out.push({
          metric: m.name,
          temporality: points.temporality,
          startMs: nanosToMs(p.startTimeUnixNano),
          timeMs: nanosToMs(p.timeUnixNano),
          value,
          attributes: attributesOf(p.attributes),
          resource
        })
      }
    }
  }
  return out
}

// ---------- JSON ----------

type Json = Record<string, unknown>

class Malformed extends Error {}

const record = (value: unknown, where: string): Json => {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Json
  throw new Malformed(`${where} must be an object`)
}

const list = (value: unknown, where: string): ReadonlyArray<unknown> => {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value
  throw new Malformed(`${where} must be an array`)
}

const jsonAny = (value: unknown, where: string): Telemetry.Value => {
  if (value === undefined || value === null) return null
  const v = record(value, where)
  if ("stringValue" in v) return typeof v.stringValue === "string" ? v.stringValue : null
  if ("boolValue" in v) return typeof v.boolValue === "boolean" ? v.boolValue : v.boolValue === "true"
  if ("intValue" in v) {
    return typeof v.intValue === "number" || typeof v.intValue === "string" ? v.intValue : null
  }
  if ("doubleValue" in v) return typeof v.doubleValue === "number" ? v.doubleValue : Number(v.doubleValue)
  if ("arrayValue" in v) {
    return list(record(v.arrayValue, where).values, where).map((item) => jsonAny(item, where))
  }
  if ("kvlistValue" in v) {
    return Object.fromEntries(jsonAttributes(record(v.kvlistValue, where).values, where))
  }
  return null
}

const jsonAttributes = (value: unknown, where: string): Map<string, Telemetry.Value> =>
  new Map(
    list(value, `${where}.attributes`).map((item) => {
      const kv = record(item, `${where}.attributes[]`)
      if (typeof kv.key !== "string") throw new Malformed(`${where}.attributes[].key must be a string`)
      return [kv.key, jsonAny(kv.value, `${where}.attributes[].value`)] as const
    })
  )

const jsonNanos = (value: unknown): number | null =>
  typeof value === "string" || typeof value === "number"
    ? nanosToMs(/^\d+$/.test(String(value)) ? String(value) : null)
    : null

/**
 * The scope groups of an OTLP/JSON export (`resourceLogs[].scopeLogs[]`, `resourceMetrics[].scopeMetrics[]`), each
 * with the attributes of its resource.
 */
const jsonScopes = (
  body: unknown,
  resources: "resourceLogs" | "resourceMetrics",
  scopes: "scopeLogs" | "scopeMetrics"
): Array<{ readonly resource: ReturnType<typeof jsonAttributes>; readonly scope: Record<string, unknown> }> =>
  list(record(body, "body")[resources], resources).flatMap((value) => {
    const group = record(value, `${resources}[]`)
    const resource = jsonAttributes(
      group.resource === undefined ? [] : record(group.resource, "resource").attributes,
      "resource"
    )
    return list(group[scopes], scopes).map((scope) => ({ resource, scope: record(scope, `${scopes}[]`) }))
  })

const logsFromJson = (body: unknown): Array<Telemetry.LogRecord> => {
  const out: Array<Telemetry.LogRecord> = []
  for (const { resource, scope: sl } of jsonScopes(body, "resourceLogs", "scopeLogs")) {
    const scope = sl.scope === undefined || sl.scope === null ? null : record(sl.scope, "scope").name
    for (const rValue of list(sl.logRecords, "logRecords")) {
      const r = record(rValue, "logRecords[]")
      out.push({
        timeMs: jsonNanos(r.timeUnixNano),
        observedMs: jsonNanos(r.observedTimeUnixNano),
        body: jsonAny(r.body, "logRecords[].body"),
        attributes: jsonAttributes(r.attributes, "logRecords[]"),
        resource,
        scope: typeof scope === "string" ? scope : null
      })
    }
  }
  return out
}

const metricsFromJson = (body: unknown): Array<Telemetry.MetricPoint> => {
  const out: Array<Telemetry.MetricPoint> = []
  for (const { resource, scope: sm } of jsonScopes(body, "resourceMetrics", "scopeMetrics")) {
    for (const mValue of list(sm.metrics, "metrics")) {
      const m = record(mValue, "metrics[]")
      if (typeof m.name !== "string") throw new Malformed("metrics[].name must be a string")
      const data =
        m.sum !== undefined
          ? {
              d: record(m.sum, "sum"),
              temporality: temporalityOf(record(m.sum, "sum").aggregationTemporality as never)
            }
          : m.gauge !== undefined
            ? { d: record(m.gauge, "gauge"), temporality: "unspecified" as const }
            : undefined
      if (data === undefined) continue
      for (const pValue of list(data.d.dataPoints, "dataPoints")) {
        const p = record(pValue, "dataPoints[]")
        const value =
          p.asDouble !== undefined ? Number(p.asDouble) : p.asInt !== undefined ? Number(p.asInt) : Number.NaN
        if (!Number.isFinite(value)) continue
        out.push({
          metric: m.name,
          temporality: data.temporality,
          startMs: jsonNanos(p.startTimeUnixNano),
          timeMs: jsonNanos(p.timeUnixNano),
          value,
          attributes: jsonAttributes(p.attributes, "dataPoints[]"),
          resource
        })
      }
    }
  }
  return out
}

const parseJson = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes))

const attempt = <A>(f: () => A, what: string): Either.Either<A, BodyError> => {
  try {
    return Either.right(f())
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return Either.left({ status: 400, message: `Malformed OTLP ${what} body: ${reason.slice(0, 200)}` })
  }
}

/** A body decoder of one signal: protobuf or JSON as `encoding` says, anything malformed a 400. */
const decoderOf =
  <A>(signal: Signal, fromProtobuf: (bytes: Uint8Array) => A, fromJson: (body: unknown) => A) =>
  (bytes: Uint8Array, encoding: Encoding): Either.Either<A, BodyError> =>
    attempt(() => (encoding === "protobuf" ? fromProtobuf(bytes) : fromJson(parseJson(bytes))), `${encoding} ${signal}`)

/** The log records of an OTLP/HTTP logs body (already inflated). */
export const decodeLogs = decoderOf("logs", logsFromProtobuf, logsFromJson)

/** The number data points of an OTLP/HTTP metrics body (already inflated). */
export const decodeMetrics = decoderOf("metrics", metricsFromProtobuf, metricsFromJson)
