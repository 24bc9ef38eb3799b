/// <reference types="vite/client" />
import { convexTest } from "convex-test"
import { vi } from "vitest"
import { internal } from "../_generated/api.js"
import type { Id } from "../_generated/dataModel.js"
import schema from "../schema.js"
import { installObserver, modules, productionLimits } from "./deployment.harness.js"

export { bundleDir, tuning } from "./deployment.harness.js"

export type Limits = Parameters<typeof convexTest>[0] extends infer O
  ? O extends { transactionLimits?: infer L }
    ? L
    : never
  : never

/**
 * A fresh in-memory Convex backend with this deployment's schema and functions (the source modules, or the bundle of
 * `npx convex deploy`: see `deployment.harness.ts`). Convex's document, argument and response size limits always
 * hold; `transactionLimits` switches on the per-transaction read and write limits (`true`: production's).
 */
export const makeBackend = (transactionLimits: Limits = false) => {
  const t = convexTest({ schema, modules, transactionLimits })
  installObserver()
  return t
}

export type Backend = ReturnType<typeof makeBackend>

/** Creates a user the way a deployment owner does (`npx convex run users:create`), returning its first key. */
export const createUser = (t: Backend, name: string) => t.action(internal.users.create, { name })

/** The origin the conformance suite addresses; `t.fetch` only looks at the path. */
export const origin = "https://opensync-test.convex.site"

/** Where convex-test says a stored file is: `ctx.storage.getUrl` answers this prefix and the file's SHA-256. */
const storagePrefix = "https://some-deployment.convex.cloud/api/storage/"

/**
 * A stored file as Convex's file serving answers it: convex-test stores files and makes up their URLs but serves none,
 * so this finds the file by the digest its URL names. Like a real storage URL, it needs no credentials.
 */
const storedFile = async (t: Backend, url: string): Promise<Response> => {
  const sha256 = url.slice(storagePrefix.length)
  const file = await t.run(async (ctx) => {
    for await (const file of ctx.db.system.query("_storage")) {
      if (file.sha256 !== sha256) continue
      const blob = await ctx.storage.get(file._id)
      return blob === null ? null : { bytes: await blob.arrayBuffer(), type: blob.type }
    }
    return null
  })
  return file === null
    ? new Response("File not found", { status: 404 })
    : new Response(file.bytes, { status: 200, headers: { "content-type": file.type || "application/octet-stream" } })
}

/** A `fetch` that sends requests to the deployment's HTTP router, and serves its stored files' URLs. */
export const fetchVia =
  (t: Backend): typeof fetch =>
  async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    if (url.startsWith(storagePrefix)) return storedFile(t, url)
    const response = await t.fetch(url.startsWith(origin) ? url.slice(origin.length) : url, init)
    const body = await response.arrayBuffer()
    if (body.byteLength > productionLimits.httpResponseBytes) {
      throw new Error(`HTTP response of ${body.byteLength} bytes: over Convex's 20 MiB limit`)
    }
    const empty = [101, 204, 205, 304].includes(response.status)
    return new Response(empty ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers
    })
  }

export const userIdOf = (user: { readonly userId: string }) => user.userId as unknown as Id<"users">

export const client = (t: Backend, key: string) => {
  const doFetch = fetchVia(t)
  return async (method: string, path: string, body?: unknown, token = key) => {
    const response = await doFetch(`${origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    return { status: response.status, body: text.length > 0 ? JSON.parse(text) : null, text }
  }
}

export type CountedTable =
  | "sessions"
  | "messages"
  | "toolCalls"
  | "events"
  | "searchChunks"
  | "usageRollup"
  | "usageByModel"
  | "usageByProject"
  | "toolRollup"
  | "toolByDay"

export /** A user's rows in one table, counted a page per call (a test's reads obey the same limits as the functions). */
const countRows = async (t: Backend, table: CountedTable, userId: Id<"users">) => {
  let total = 0
  let cursor: string | null = null
  for (;;) {
    const page: { n: number; cursor: string; done: boolean } = await t.run(async (ctx) => {
      const result = await ctx.db
        .query(table)
        .filter((q) => q.eq(q.field("userId"), userId))
        .paginate({ numItems: 100, cursor })
      return { n: result.page.length, cursor: result.continueCursor, done: result.isDone }
    })
    total += page.n
    if (page.done) return total
    cursor = page.cursor
  }
}

export const drain = (t: Backend) => t.finishAllScheduledFunctions(vi.runAllTimers, 10_000)
