import { expect } from "@effect/vitest"
import { Api } from "@opensync/domain"
import * as Schema from "effect/Schema"

/**
 * The HTTP conformance suite: what every OpenSync backend must do, checked through plain `fetch` only, so the same
 * tests run against the local server and against a Convex deployment (through convex-test's HTTP router).
 */

/** A running backend: its base URL, two API keys of two different users, and how to shut it down. */
export interface Target {
  readonly url: string
  readonly keyA: string
  readonly keyB: string
  readonly fetch?: typeof fetch
  /** Runs what the backend does after answering (Convex's scheduled deletion steps); nothing for the local server. */
  readonly settle?: () => Promise<void>
  readonly close: () => Promise<void>
}

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body: unknown
  readonly bytes?: Uint8Array
  /** For an export the backend answered as files (`Api.ExportFiles`): that answer; the reply is what its parts rebuild. */
  readonly files?: Api.ExportFiles
}

interface RequestOptions {
  /** The bearer key; `null` sends no Authorization header. Default: key A. */
  readonly key?: string | null | undefined
  readonly json?: unknown
  readonly raw?: string | Uint8Array
  readonly headers?: Record<string, string>
}

export type Json = Record<string, unknown>
export type SessionDetail = Api.SessionDetail
export type SessionPage = Api.SessionPage
export type Stats = Api.Stats
export type SyncResult = Api.SyncEventsResult

export const day = 86_400_000
/** Monday 2025-03-03 10:00 UTC: every fixture happens in the past, so arrival time can never pass for it. */
export const t0 = Date.UTC(2025, 2, 3, 10, 0, 0)

export const zeroUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }

export const zeroTotals = {
  sessions: 0,
  messages: 0,
  durationMs: 0,
  ...zeroUsage,
  totalTokens: 0,
  costUsd: 0,
  unpriced: 0
}

export const keyInfoFields = ["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scope", "userId"]

export const sha256Hex = async (text: string): Promise<string> => {
  const buffer = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("")
}

export const as = <T>(reply: Reply): T => reply.body as T

export const errorOf = (reply: Reply): { readonly error: string; readonly _tag: string } => {
  const body = reply.body
  if (typeof body !== "object" || body === null) throw new Error(`not a JSON error body: ${reply.text}`)
  const record = body as Json
  return { error: String(record.error), _tag: String(record._tag) }
}

/** A reply's media type: its Content-Type without parameters. */
export const mediaType = (reply: Reply): string | undefined => reply.headers.get("content-type")?.split(";")[0]

/** The values of a JSON Lines text, one a line. */
export const jsonLines = (text: string): Array<unknown> =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line))

/** Asserts a JSON error response: the status, the `_tag`, a non-empty `error`; returns the message. */
export const expectError = (reply: Reply, status: number, tag: string): string => {
  expect({ status: reply.status, type: mediaType(reply) }).toEqual({
    status,
    type: "application/json"
  })
  const { error, _tag } = errorOf(reply)
  expect(_tag).toEqual(tag)
  expect(error).toMatch(/\S/)
  return error
}

/** A reply's bytes as text, and as JSON when they are JSON (else `null`). */
const decodeBody = (bytes: Uint8Array): { readonly text: string; readonly body: unknown } => {
  const text = new TextDecoder().decode(bytes)
  try {
    return { text, body: text.length === 0 ? null : JSON.parse(text) }
  } catch {
    return { text, body: null }
  }
}

export const headerList = (value: string | null): ReadonlyArray<string> =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0)

/** A whole session for `specEvents`: start, user prompts, one priced assistant reply, tool calls, end. */
export interface Spec {
  readonly id: string
  readonly source: string
  readonly project: string
  readonly model: string
  readonly title: string
  readonly start: number
  readonly duration: number
  readonly userTexts: ReadonlyArray<string>
  readonly usage: { readonly input: number; readonly output: number; readonly cacheRead?: number }
  readonly tools?: ReadonlyArray<{
    readonly name: string
    readonly status: "completed" | "error"
    readonly durationMs: number | null
    readonly exitCode?: number
  }>
}

/** What a `Spec` is unless it says otherwise: a one-second Claude Code session with Sonnet at `t0`, with no prompts. */
const specDefaults = {
  source: "claude-code",
  model: "claude-sonnet-4-5",
  start: t0,
  duration: 1_000,
  userTexts: []
} satisfies Partial<Spec>

/** A `Spec` from what a section sets; `specDefaults` for the rest. */
export const makeSpec = (spec: Omit<Spec, keyof typeof specDefaults> & Partial<Spec>): Spec => ({
  ...specDefaults,
  ...spec
})

/** What every event builder takes last: more fields of the event, and its source (default: Claude Code). */
type More = [fields?: Json, source?: string]

/** The helpers every section uses: requests against the target, and builders of events with this run's ids. */
export const makeHarness = (getTarget: () => Target) => {
  /** Distinguishes this run's ids, so the suite also works on a deployment that keeps data between runs. */
  const run = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  let counter = 0
  const eventId = () => `evt_${run}_${++counter}`
  const sid = (label: string) => `${run}-${label}`

  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const key = options.key === undefined ? getTarget().keyA : options.key
    const headers: Record<string, string> = { ...options.headers }
    if (key !== null) headers.authorization = `Bearer ${key}`
    const body: string | Uint8Array | undefined =
      options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json))
    if (body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json"
    const doFetch = getTarget().fetch ?? fetch
    const response = await doFetch(`${getTarget().url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: body as BodyInit })
    })
    const bytes = new Uint8Array(await response.arrayBuffer())
    return { status: response.status, headers: response.headers, ...decodeBody(bytes), bytes }
  }
  const get = (path: string, key?: string | null) => request("GET", path, { key })

  const decodeFiles = Schema.decodeUnknownSync(Api.ExportFiles)

  /**
   * An export as a client gets it: the reply itself, or, when the backend answered `Api.ExportFiles`, the bytes of its
   * parts (each downloaded without credentials, of the size the answer states) joined in order.
   */
  const download = async (reply: Reply): Promise<Reply> => {
    if (mediaType(reply) !== Api.exportFilesType) return reply
    expect(reply.status).toEqual(200)
    const files = decodeFiles(reply.body)
    const doFetch = getTarget().fetch ?? fetch
    const parts: Array<Uint8Array> = []
    for (const part of files.parts) {
      const response = await doFetch(part.url)
      const bytes = new Uint8Array(await response.arrayBuffer())
      expect([response.status, bytes.length]).toEqual([200, part.bytes])
      parts.push(bytes)
    }
    const bytes = new Uint8Array(files.bytes)
    let at = 0
    for (const part of parts) {
      bytes.set(part, at)
      at += part.length
    }
    expect(at).toEqual(files.bytes)
    return {
      status: 200,
      headers: new Headers({ "content-type": files.contentType }),
      ...decodeBody(bytes),
      bytes,
      files
    }
  }
  const post = (path: string, json: unknown, key?: string | null) => request("POST", path, { key, json })
  const del = (path: string, key?: string | null) => request("DELETE", path, { key })

  const query = (params: Record<string, string | number | undefined>): string => {
    const search = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v))
    const text = search.toString()
    return text.length === 0 ? "" : `?${text}`
  }

  /** Sends events and returns the batch result (status 200 asserted). */
  const sync = async (events: ReadonlyArray<unknown>, key?: string): Promise<SyncResult> => {
    const reply = await post("/sync/events", { events }, key)
    expect(reply.status).toEqual(200)
    return as<SyncResult>(reply)
  }

  /** Sends events that must all be stored. */
  const store = async (events: ReadonlyArray<Json>, key?: string): Promise<void> => {
    const result = await sync(events, key)
    expect(result).toEqual({ stored: events.map((e) => e.id), duplicates: [], stale: [], rejected: [], deleted: [] })
  }

  const detail = async (id: string, key?: string): Promise<SessionDetail> => {
    const reply = await get(`/api/sessions/${encodeURIComponent(id)}`, key)
    expect(reply.status).toEqual(200)
    return as<SessionDetail>(reply)
  }

  const list = async (params: Record<string, string | number | undefined>, key?: string): Promise<SessionPage> => {
    const reply = await get(`/api/sessions${query(params)}`, key)
    expect(reply.status).toEqual(200)
    return as<SessionPage>(reply)
  }

  const listIds = async (params: Record<string, string | number | undefined>, key?: string) =>
    (await list(params, key)).sessions.map((s) => s.id)

  const stats = async (params: Record<string, string | number | undefined>, key?: string): Promise<Stats> => {
    const reply = await get(`/api/stats${query(params)}`, key)
    expect(reply.status).toEqual(200)
    return as<Stats>(reply)
  }

  // ---------- event builders ----------

  /**
   * An event of this run: a fresh id, the fields every kind has, the kind's own, then `fields` (which may override
   * them); `source` defaults to Claude Code.
   */
  const event = (
    kind: string,
    sessionId: string,
    at: number,
    own: Json,
    fields: Json = {},
    source = "claude-code"
  ): Json => ({
    kind,
    id: eventId(),
    source,
    sessionId,
    at,
    ...own,
    ...fields
  })

  const sessionEv = (sessionId: string, at: number, ...more: More): Json => event("session", sessionId, at, {}, ...more)

  const messageEv = (sessionId: string, messageId: string, role: string, at: number, ...more: More): Json =>
    event("message", sessionId, at, { messageId, role, createdAt: at }, ...more)

  const toolEv = (sessionId: string, callId: string, name: string, status: string, at: number, ...more: More): Json =>
    event("tool_call", sessionId, at, { callId, name, status, startedAt: at }, ...more)

  /** A whole session: start, user prompts, one priced assistant reply, tool calls, end after `duration`. */
  const specEvents = (spec: Spec): ReadonlyArray<Json> => [
    sessionEv(
      spec.id,
      spec.start,
      {
        title: spec.title,
        projectName: spec.project,
        projectPath: `/work/${spec.project}`,
        model: spec.model,
        startedAt: spec.start
      },
      spec.source
    ),
    ...spec.userTexts.map((text, j) =>
      messageEv(spec.id, `u${j}`, "user", spec.start + 10 * (j + 1), { text }, spec.source)
    ),
    messageEv(
      spec.id,
      "a0",
      "assistant",
      spec.start + 200,
      {
        text: "done",
        model: spec.model,
        createdAt: spec.start + 100,
        completedAt: spec.start + 200,
        usage: spec.usage
      },
      spec.source
    ),
    ...(spec.tools ?? []).map((tool, j) =>
      toolEv(
        spec.id,
        `c${j}`,
        tool.name,
        tool.status,
        spec.start + 300 + (tool.durationMs ?? 0),
        {
          startedAt: spec.start + 300,
          messageId: "a0",
          durationMs: tool.durationMs,
          output: { exitCode: tool.exitCode ?? null }
        },
        spec.source
      )
    ),
    sessionEv(
      spec.id,
      spec.start + spec.duration,
      { endedAt: spec.start + spec.duration, endReason: "exit" },
      spec.source
    )
  ]

  return {
    get target() {
      return getTarget()
    },
    settle: () => getTarget().settle?.() ?? Promise.resolve(),
    run,
    eventId,
    sid,
    request,
    get,
    download,
    post,
    del,
    query,
    sync,
    store,
    detail,
    list,
    listIds,
    stats,
    sessionEv,
    messageEv,
    toolEv,
    specEvents
  }
}

export type Harness = ReturnType<typeof makeHarness>
