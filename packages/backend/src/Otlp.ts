import { type DescMessage, fromBinary, ScalarType } from "@bufbuild/protobuf"
import type { Telemetry } from "@opensync/domain"
import * as Either from "effect/Either"
import { Gunzip } from "fflate"
import { ExportLogsServiceRequestSchema } from "./internal/otlp/opentelemetry/proto/collector/logs/v1/logs_service_pb.js"
import { ExportMetricsServiceRequestSchema } from "./internal/otlp/opentelemetry/proto/collector/metrics/v1/metrics_service_pb.js"
import type { AnyValue, KeyValue } from "./internal/otlp/opentelemetry/proto/common/v1/common_pb.js"
import { AggregationTemporality } from "./internal/otlp/opentelemetry/proto/metrics/v1/metrics_pb.js"
import { shapeProblem } from "./JsonShape.js"

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

/**
 * Most protobuf messages (records, data points, attributes, values…) or JSON arrays and objects one body may hold. An
 * exporter's batch holds ~40 per record and at most 512 records by default (~20,000); without a cap, 32 KiB of gzip
 * inflating to 32 MiB of empty records decoded into 16 million objects and took the server's heap.
 */
export const maxObjects = 250_000

/** Deepest nesting of messages, arrays and objects accepted (values nest in arrays and key-value lists). */
export const maxDepth = 64

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

/** Fields of numbers no OTLP version in `internal/otlp/` defines are skipped, not kept: nothing here reads them. */
const binaryOptions = { readUnknownFields: false } as const

const logsFromProtobuf = (bytes: Uint8Array): Array<Telemetry.LogRecord> =>
  protoScopes(
    fromBinary(ExportLogsServiceRequestSchema, bytes, binaryOptions).resourceLogs,
    (rl) => rl.scopeLogs
  ).flatMap(({ resource, scope: sl }) =>
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
  const request = fromBinary(ExportMetricsServiceRequestSchema, bytes, binaryOptions)
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

/** Thrown by the size checks below: the body holds too much once decoded (413), not malformed (400). */
class TooMuch extends Error {}

const tooMuch = (what: string, limit: number = maxObjects) =>
  new TooMuch(
    `OTLP body holds more than ${limit} ${what} or nests deeper than ${maxDepth} levels; send smaller batches.`
  )

const parseJson = (bytes: Uint8Array): unknown => {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  if (shapeProblem(text, maxDepth, maxObjects) !== undefined) throw tooMuch("JSON arrays and objects")
  return JSON.parse(text)
}

/**
 * Most fields one protobuf body may hold, each element of a packed list counted (an empty field of an unknown number is
 * 2–3 bytes: 32 MiB of them was 11 million objects before unknown fields were dropped). An exporter's batch holds a few
 * per message: ~100,000 at most by default.
 */
export const maxFields = 4 * maxObjects

/**
 * What a field number of `desc` holds, as far as counting goes: a message type (singular or repeated), or the width of
 * one element of a packed list of numbers (1 for varints: at least a byte each); other fields map to nothing.
 */
type FieldShape = { readonly message: DescMessage } | { readonly width: number }
const shapesCache = new WeakMap<DescMessage, Map<number, FieldShape>>()
const widthOf = (scalar: ScalarType): number =>
  scalar === ScalarType.DOUBLE || scalar === ScalarType.FIXED64 || scalar === ScalarType.SFIXED64
    ? 8
    : scalar === ScalarType.FLOAT || scalar === ScalarType.FIXED32 || scalar === ScalarType.SFIXED32
      ? 4
      : 1
const fieldShapes = (desc: DescMessage): Map<number, FieldShape> => {
  const known = shapesCache.get(desc)
  if (known !== undefined) return known
  const fields = new Map<number, FieldShape>()
  for (const field of desc.fields) {
    if (field.fieldKind === "message") fields.set(field.number, { message: field.message })
    else if (field.fieldKind === "list" && field.listKind === "message")
      fields.set(field.number, { message: field.message })
    else if (
      field.fieldKind === "list" &&
      field.listKind === "scalar" &&
      field.scalar !== ScalarType.STRING &&
      field.scalar !== ScalarType.BYTES
    )
      fields.set(field.number, { width: widthOf(field.scalar) })
    else if (field.fieldKind === "list" && field.listKind === "enum") fields.set(field.number, { width: 1 })
  }
  shapesCache.set(desc, fields)
  return fields
}

const truncated = () => new Error("premature end of data")

/** The varint at `at` (below `end`) and the offset after it. */
const varint = (bytes: Uint8Array, at: number, end: number): readonly [number, number] => {
  let value = 0
  let scale = 1
  for (let i = at; i < end && i < at + 10; i++) {
    const b = bytes[i]!
    value += (b & 0x7f) * scale
    if (b < 0x80) return [value, i + 1]
    scale *= 128
  }
  throw truncated()
}

/**
 * Counts the messages and fields a protobuf body of type `desc` holds, nested ones and the elements of packed lists
 * included, walking the wire format without decoding anything: throws `TooMuch` past `maxObjects` messages,
 * `maxFields` fields or `maxDepth` levels, a plain error where the bytes are not protobuf. Run before `fromBinary`,
 * which would build every one of them.
 */
const checkMessages = (bytes: Uint8Array, desc: DescMessage): void => {
  let messages = 0
  let fields = 0
  const walk = (start: number, end: number, type: DescMessage, depth: number): void => {
    if (depth > maxDepth) throw tooMuch("messages")
    const shapes = fieldShapes(type)
    let i = start
    while (i < end) {
      const [key, afterKey] = varint(bytes, i, end)
      i = afterKey
      if (++fields > maxFields) throw tooMuch("fields", maxFields)
      const wire = key % 8
      if (wire === 0) i = varint(bytes, i, end)[1]
      else if (wire === 1) i += 8
      else if (wire === 5) i += 4
      else if (wire === 2) {
        const [length, at] = varint(bytes, i, end)
        i = at + length
        if (i > end) throw truncated()
        const shape = shapes.get(Math.floor(key / 8))
        if (shape !== undefined && "message" in shape) {
          if (++messages > maxObjects) throw tooMuch("messages")
          walk(at, i, shape.message, depth + 1)
        } else if (shape !== undefined) {
          fields += Math.ceil(length / shape.width)
          if (fields > maxFields) throw tooMuch("fields", maxFields)
        }
      } else throw new Error(`unsupported wire type ${wire}`)
      if (i > end) throw truncated()
    }
  }
  walk(0, bytes.length, desc, 0)
}

const attempt = <A>(f: () => A, what: string): Either.Either<A, BodyError> => {
  try {
    return Either.right(f())
  } catch (cause) {
    if (cause instanceof TooMuch) return Either.left({ status: 413, message: cause.message })
    const reason = cause instanceof Error ? cause.message : String(cause)
    return Either.left({ status: 400, message: `Malformed OTLP ${what} body: ${reason.slice(0, 200)}` })
  }
}

/**
 * A body decoder of one signal: protobuf (of type `desc`) or JSON as `encoding` says; anything malformed a 400, a body
 * that would decode into more than `maxObjects` messages or objects a 413 (checked before decoding).
 */
const decoderOf =
  <A>(signal: Signal, desc: DescMessage, fromProtobuf: (bytes: Uint8Array) => A, fromJson: (body: unknown) => A) =>
  (bytes: Uint8Array, encoding: Encoding): Either.Either<A, BodyError> =>
    attempt(() => {
      if (encoding === "json") return fromJson(parseJson(bytes))
      checkMessages(bytes, desc)
      return fromProtobuf(bytes)
    }, `${encoding} ${signal}`)

/** The log records of an OTLP/HTTP logs body (already inflated). */
export const decodeLogs = decoderOf("logs", ExportLogsServiceRequestSchema, logsFromProtobuf, logsFromJson)

/** The number data points of an OTLP/HTTP metrics body (already inflated). */
export const decodeMetrics = decoderOf(
  "metrics",
  ExportMetricsServiceRequestSchema,
  metricsFromProtobuf,
  metricsFromJson
)
