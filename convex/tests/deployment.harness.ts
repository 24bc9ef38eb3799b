/// <reference types="vite/client" />
import { AsyncLocalStorage } from "node:async_hooks"
import { readdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { tuning as sourceTuning } from "../lib/tuning.js"

/**
 * What the Convex tests run: the source modules (the default), or the exact upload of `npx convex deploy` built with
 * Convex's own bundler (`scripts/convex-bundle.mjs`) when `OPENSYNC_CONVEX_BUNDLE` names its folder. Also the
 * production limits convex-test does not enforce by itself, and a recorder of each transaction's reads and writes.
 */

/** The folder of the bundle under test, or undefined for the source modules. */
export const bundleDir: string | undefined = globalThis.process?.env?.OPENSYNC_CONVEX_BUNDLE || undefined

type Modules = Record<string, () => Promise<unknown>>

/** The modules of the bundle, keyed so that convex-test finds them (it locates the root by a `_generated` path). */
const bundleModules = (dir: string): Modules => {
  const root = resolve(dir, "isolate")
  const out: Modules = {}
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(root, sub), { withFileTypes: true })) {
      const path = sub === "" ? entry.name : `${sub}/${entry.name}`
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith(".js") && !path.startsWith("_deps/")) {
        const file = join(root, path)
        out[`${root}/${path}`] = () => import(/* @vite-ignore */ file)
      }
    }
  }
  walk("")
  out[`${root}/_generated/api.js`] = () => import("../_generated/api.js")
  return out
}

interface Registered {
  readonly isQuery?: boolean
  readonly isMutation?: boolean
  readonly isAction?: boolean
  readonly _handler?: (ctx: unknown, args: unknown) => Promise<unknown>
}

/**
 * A module whose registered functions check their arguments and return value against Convex's size limits, and whose
 * mutations record their reads and writes while `recordTransactions` runs (convex-test calls `_handler` directly, so
 * this is where one function execution begins and ends).
 */
const observed = (file: string, module: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(module).map(([name, value]) => {
      const func = value as Registered
      if (typeof value !== "function" || func._handler === undefined) return [name, value]
      if (!(func.isQuery || func.isMutation || func.isAction)) return [name, value]
      const inner = func._handler
      const path = `${file}:${name}`
      const _handler = async (ctx: unknown, args: unknown) => {
        const size = bytes(JSON.stringify(args ?? null))
        if (size > productionLimits.argumentBytes) {
          throw new LimitExceeded(`Arguments of ${path} are too large (${size} bytes > 8 MiB)`)
        }
        const record = (func.isMutation || func.isQuery) && recording !== undefined ? fresh(path) : undefined
        if (record !== undefined) recording?.push(record)
        const extra = func.isMutation ? injected.get(path) : undefined
        const run = async () => {
          const value = await inner(ctx, args)
          if (extra !== undefined) await extra(ctx, args)
          return value
        }
        const result = record === undefined ? await run() : await current.run(record, run)
        const out = bytes(JSON.stringify(result ?? null))
        if (out > productionLimits.returnBytes) {
          throw new LimitExceeded(`The return value of ${path} is too large (${out} bytes > 16 MiB)`)
        }
        return result
      }
      return [name, Object.assign((..._: Array<unknown>) => inner(undefined, undefined), value, { _handler })]
    })
  )

/** What `injectIntoMutation` adds to a mutation, by function path (`sync:recordEvents`). */
// biome-ignore lint/suspicious/noExplicitAny: the mutation's own ctx and arguments, typed by the test that injects
type Injected = (ctx: any, args: any) => Promise<void>
const injected = new Map<string, Injected>()

/**
 * A fault for tests of the conflict check: every call of the mutation `path` also runs `extra` in its transaction
 * (after its handler, with its ctx and arguments, recorded like the rest), until the returned function is called.
 */
export const injectIntoMutation = (path: string, extra: Injected): (() => void) => {
  injected.set(path, extra)
  return () => {
    injected.delete(path)
  }
}

const fileOf = (path: string) => path.replace(/^.*?(\/isolate\/|\.\.\/)/, "").replace(/\.[jt]s$/, "")

const source: Modules = import.meta.glob(["../**/*.ts", "!../tests/**"])

export const modules: Modules = Object.fromEntries(
  Object.entries(bundleDir === undefined ? source : bundleModules(bundleDir)).map(([path, load]) => [
    path,
    path.includes("_generated") ? load : async () => observed(fileOf(path), (await load()) as Record<string, unknown>)
  ])
)

/** The tuning object the functions under test read (the bundle has its own copy). */
export const tuning: typeof sourceTuning =
  bundleDir === undefined
    ? sourceTuning
    : (
        (await import(/* @vite-ignore */ join(resolve(bundleDir), "isolate/lib/tuning.js"))) as {
          tuning: typeof sourceTuning
        }
      ).tuning

const MiB = 1024 * 1024

/**
 * Convex's documented per-function limits that convex-test's `transactionLimits` leave out, enforced on every
 * syscall: 1 MiB per document written, 8 MiB of arguments per function call (from an action, or scheduled), 16 MiB
 * of return value; and 20 MiB per HTTP action response (checked by the harness's fetch).
 */
export const productionLimits = {
  documentBytes: MiB,
  argumentBytes: 8 * MiB,
  returnBytes: 16 * MiB,
  httpResponseBytes: 20 * MiB
}

const utf8 = new TextEncoder()
const bytes = (json: string) => utf8.encode(json).length

export class LimitExceeded extends Error {}

/** A document as the recorder saw it: its table and fields (JSON form). */
type Fields = Record<string, unknown>

/** What one mutation did: documents read, index ranges read, documents written (with their fields). */
export interface Transaction {
  readonly name: string
  readonly reads: Map<string, Fields>
  readonly ranges: Array<{ readonly index: string; readonly range: ReadonlyArray<RangeExpression> }>
  readonly writes: Map<string, { readonly table: string; readonly before?: Fields; readonly after?: Fields }>
  readonly counts: { documentsRead: number; bytesRead: number; documentsWritten: number; bytesWritten: number }
}

interface RangeExpression {
  readonly type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"
  readonly fieldPath: string
  readonly value: unknown
}

const current = new AsyncLocalStorage<Transaction>()
let recording: Array<Transaction> | undefined

/** Records every query and mutation (each its own transaction) that runs while `f` runs. */
export const recordTransactions = async (f: () => Promise<void>): Promise<Array<Transaction>> => {
  const out: Array<Transaction> = []
  recording = out
  try {
    await f()
  } finally {
    recording = undefined
  }
  return out
}

const fresh = (name: string): Transaction => ({
  name,
  reads: new Map(),
  ranges: [],
  writes: new Map(),
  counts: { documentsRead: 0, bytesRead: 0, documentsWritten: 0, bytesWritten: 0 }
})

const sawDoc = (tx: Transaction | undefined, doc: unknown, table: string | undefined) => {
  if (typeof doc !== "object" || doc === null) return
  const fields = doc as Fields
  if (typeof fields._id !== "string") return
  if (table !== undefined) tableOfId.set(fields._id, table)
  if (tx === undefined) return
  tx.reads.set(fields._id, fields)
  tx.counts.documentsRead++
  tx.counts.bytesRead += bytes(JSON.stringify(fields))
}

const rangeOf = (query: unknown) => {
  const source = (query as { source?: { type?: string; indexName?: string; range?: Array<RangeExpression> } })?.source
  if (source?.type === "IndexRange" && source.indexName !== undefined) {
    return { index: source.indexName, range: source.range ?? [] }
  }
  if (source?.type === "FullTableScan") {
    return { index: `${(source as { tableName?: string }).tableName}.by_creation_time`, range: [] }
  }
  return undefined
}

const tableOfId = new Map<string, string>()
const tableOfQuery = new Map<number, string>()
const tableOfIndex = (index: string | undefined) => index?.split(".")[0]

type AsyncSyscall = (op: string, json: string) => Promise<string>
type Syscall = (op: string, json: string) => string
type JsSyscall = (op: string, args: Record<string, unknown>) => Promise<unknown>

let storageFault: { skip: number; error: Error } | undefined

/** Makes a file storage write fail (`ctx.storage.store` throws `error`) after `skip` more writes succeed; once. */
export const failStorageWrite = (skip: number, error: Error) => {
  storageFault = { skip, error }
}

const observeJs = (op: string, args: Record<string, unknown>, inner: JsSyscall): Promise<unknown> => {
  if (op === "storage/storeBlob" && storageFault !== undefined) {
    if (storageFault.skip === 0) {
      const { error } = storageFault
      storageFault = undefined
      return Promise.reject(error)
    }
    storageFault.skip--
  }
  return inner(op, args)
}

const observe = async (op: string, json: string, inner: AsyncSyscall): Promise<string> => {
  const args = JSON.parse(json) as Record<string, unknown>
  const tx = current.getStore()
  switch (op) {
    case "1.0/schedule":
    case "1.0/actions/schedule": {
      const size = bytes(JSON.stringify(args.args ?? null))
      if (size > productionLimits.argumentBytes) {
        throw new LimitExceeded(`Arguments for ${String(args.name ?? args.udfPath)} are too large (${size} bytes)`)
      }
      return inner(op, json)
    }
    case "1.0/insert":
    case "1.0/replace":
    case "1.0/shallowMerge": {
      const size = bytes(JSON.stringify(args.value))
      if (size > productionLimits.documentBytes) {
        throw new LimitExceeded(`Document in ${String(args.table)} is too large (${size} bytes > 1 MiB)`)
      }
      const result = await inner(op, json)
      const id = op === "1.0/insert" ? (JSON.parse(result) as { _id: string })._id : String(args.id)
      const table = String(args.table ?? tableOfId.get(id))
      tableOfId.set(id, table)
      if (tx !== undefined) {
        const before = tx.writes.get(id)?.before ?? tx.reads.get(id)
        // patching or replacing reads the document first: it is in the read set
        if (op !== "1.0/insert" && !tx.reads.has(id)) tx.reads.set(id, before ?? { _id: id })
        const after = op === "1.0/shallowMerge" ? { ...before, ...(args.value as Fields) } : (args.value as Fields)
        tx.writes.set(id, { table, ...(before === undefined ? {} : { before }), after: { ...after, _id: id } })
        tx.counts.documentsWritten++
        tx.counts.bytesWritten += size
      }
      return result
    }
    case "1.0/remove": {
      const result = await inner(op, json)
      if (tx !== undefined) {
        const id = String(args.id)
        const before = tx.writes.get(id)?.before ?? tx.reads.get(id)
        if (!tx.reads.has(id)) tx.reads.set(id, before ?? { _id: id })
        tx.writes.set(id, {
          table: String(args.table ?? tableOfId.get(id)),
          ...(before === undefined ? {} : { before })
        })
        tx.counts.documentsWritten++
      }
      return result
    }
    case "1.0/get": {
      const result = await inner(op, json)
      const table = args.table === undefined ? tableOfId.get(String(args.id)) : String(args.table)
      sawDoc(tx, JSON.parse(result), table)
      tx?.ranges.push({ index: `${table}.by_id`, range: [{ type: "Eq", fieldPath: "_id", value: args.id }] })
      return result
    }
    case "1.0/queryStreamNext": {
      const result = await inner(op, json)
      sawDoc(tx, (JSON.parse(result) as { value: unknown }).value, tableOfQuery.get(Number(args.queryId)))
      return result
    }
    case "1.0/queryPage": {
      const result = await inner(op, json)
      if (tx !== undefined) {
        const range = rangeOf(args.query)
        if (range !== undefined) tx.ranges.push(range)
        for (const doc of (JSON.parse(result) as { page: Array<unknown> }).page)
          sawDoc(tx, doc, tableOfIndex(range?.index))
      }
      return result
    }
    default:
      return inner(op, json)
  }
}

/**
 * Convex's search index ignores terms over 32 bytes, uses only the first 16 terms of a query and does not fold
 * accents (convex-test does none of this): a search query that relies on any of it fails here.
 */
const checkSearch = (query: unknown) => {
  const source = (
    query as { source?: { type?: string; filters?: Array<{ type: string; fieldPath: string; value: unknown }> } }
  )?.source
  if (source?.type !== "Search") return
  for (const filter of source.filters ?? []) {
    if (filter.type !== "Search") continue
    const terms = String(filter.value)
      .split(/\s+/)
      .filter((term) => term.length > 0)
    const problem =
      terms.length > 16
        ? `${terms.length} terms (Convex uses the first 16)`
        : terms.find((term) => bytes(term) > 32) !== undefined
          ? "a term over 32 bytes (Convex ignores it)"
          : terms.find(
                (term) => term !== term.toLowerCase() || term !== term.normalize("NFD").replace(/\p{M}/gu, "")
              ) !== undefined && filter.fieldPath === "terms"
            ? "a term with capitals or accents (the indexed terms are folded)"
            : undefined
    if (problem !== undefined)
      throw new LimitExceeded(`Search of ${filter.fieldPath} for ${JSON.stringify(filter.value)}: ${problem}`)
  }
}

const observeSync = (op: string, json: string, inner: Syscall): string => {
  if (op === "1.0/queryStream") checkSearch((JSON.parse(json) as { query: unknown }).query)
  const result = inner(op, json)
  if (op === "1.0/queryStream") {
    const tx = current.getStore()
    const range = rangeOf((JSON.parse(json) as { query: unknown }).query)
    const table = tableOfIndex(range?.index)
    if (table !== undefined) tableOfQuery.set((JSON.parse(result) as { queryId: number }).queryId, table)
    if (tx !== undefined && range !== undefined) tx.ranges.push(range)
  }
  return result
}

const wrapped = Symbol.for("@opensync/convex/tests/syscalls")

/** Routes Convex's syscalls through `observe` (once per process; convex-test installs `globalThis.Convex` first). */
export const installObserver = () => {
  const global = globalThis as unknown as { Convex?: Record<string | symbol, unknown> }
  const inner = global.Convex
  if (inner === undefined || inner[wrapped] === true) return
  global.Convex = {
    [wrapped]: true,
    get syscall() {
      const f = inner.syscall as Syscall
      return (op: string, json: string) => observeSync(op, json, f)
    },
    get asyncSyscall() {
      const f = inner.asyncSyscall as AsyncSyscall
      return (op: string, json: string) => observe(op, json, f)
    },
    get jsSyscall() {
      const f = inner.jsSyscall as JsSyscall
      return (op: string, args: Record<string, unknown>) => observeJs(op, args, f)
    }
  }
}

const compare = (a: unknown, b: unknown): number => {
  if (a === b) return 0
  if (a === undefined) return -1
  if (b === undefined) return 1
  if (a === null) return -1
  if (b === null) return 1
  if (typeof a === "number" && typeof b === "number") return a - b
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b)
  const order = ["number", "boolean", "string"]
  if (typeof a !== typeof b) return order.indexOf(typeof a) - order.indexOf(typeof b)
  return String(a) < String(b) ? -1 : 1
}

/** True when a document with these fields lies inside the index range. */
const inRange = (doc: Fields, range: ReadonlyArray<RangeExpression>) =>
  range.every((e) => {
    const c = compare(doc[e.fieldPath], e.value)
    return e.type === "Eq"
      ? c === 0
      : e.type === "Gt"
        ? c > 0
        : e.type === "Gte"
          ? c >= 0
          : e.type === "Lt"
            ? c < 0
            : c <= 0
  })

/**
 * Why `a`'s commit would invalidate `b`, were they concurrent, under Convex's optimistic concurrency control: the
 * documents `a` writes that `b` read (patching, replacing and deleting read the document too), or whose old or new
 * fields fall inside an index range `b` read. Inserts get fresh ids, so they only conflict through ranges. Empty when
 * `b` does not depend on anything `a` writes.
 */
export const conflicts = (a: Transaction, b: Transaction): Array<string> => {
  const out: Array<string> = []
  for (const [id, write] of a.writes) {
    if (b.reads.has(id)) {
      out.push(`${write.table} ${id}`)
      continue
    }
    for (const { index, range } of b.ranges) {
      if (!index.startsWith(`${write.table}.`)) continue
      if ([write.before, write.after].some((fields) => fields !== undefined && inRange(fields, range))) {
        out.push(`${write.table} ${id} in ${index}`)
        break
      }
    }
  }
  return out
}

/** Records `f` (a call from the test, e.g. `t.mutation`) as one transaction. */
export const recordOne = async (name: string, f: () => Promise<unknown>): Promise<Transaction> => {
  const record = fresh(name)
  await current.run(record, f)
  return record
}
