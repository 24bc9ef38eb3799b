// @vitest-environment edge-runtime
import { describe, expect, it } from "@effect/vitest"
import schema from "../schema.js"
import { bundleDir, modules } from "./deployment.harness.js"

/**
 * Every module of the deployment loads in Convex's JavaScript runtime (here the edge-runtime, the closest offline
 * stand-in), and every function it registers declares both an `args` and a `returns` validator: Convex checks both on
 * every call, so a function cannot take or return what its validators do not describe. Runs on the source modules and
 * on the bundle of `npx convex deploy` (`OPENSYNC_CONVEX_BUNDLE`).
 */

interface Registered {
  readonly isQuery?: boolean
  readonly isMutation?: boolean
  readonly isAction?: boolean
  readonly isHttp?: boolean
  readonly exportArgs?: () => string
  readonly exportReturns?: () => string
}

const functionsOf = async () => {
  const out: Array<{ name: string; kind: string; args: unknown; returns: unknown }> = []
  for (const [path, load] of Object.entries(modules)) {
    if (path.includes("_generated")) continue
    const module = (await load()) as Record<string, Registered>
    const file = path.replace(/^.*?(isolate\/|\.\.\/)/, "").replace(/\.[jt]s$/, "")
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== "object" && typeof value !== "function") continue
      const kind = value?.isQuery ? "query" : value?.isMutation ? "mutation" : value?.isAction ? "action" : undefined
      if (kind === undefined || value.exportArgs === undefined || value.exportReturns === undefined) continue
      out.push({
        name: `${file}:${name}`,
        kind,
        args: JSON.parse(value.exportArgs()),
        returns: JSON.parse(value.exportReturns())
      })
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1))
}

describe(`function registration (${bundleDir === undefined ? "source" : "deployed bundle"})`, () => {
  it("loads every module and finds the deployment's functions", async () => {
    const functions = await functionsOf()
    expect(functions.map((f) => f.name)).toContain("sync:recordEvents")
    expect(functions.map((f) => f.name)).toContain("users:create")
    expect(functions.length).toBeGreaterThan(20)
  })

  it("gives every function an args and a returns validator", async () => {
    const missing = (await functionsOf()).flatMap((f) => [
      ...(f.args === null || (f.args as { type?: string }).type === "any" ? [`${f.name} has no args validator`] : []),
      ...(f.returns === null ? [`${f.name} has no returns validator`] : [])
    ])
    expect(missing).toEqual([])
  })

  it(`runs the ${bundleDir === undefined ? "source modules" : "bundle's modules, not the sources"}`, async () => {
    const paths = Object.keys(modules).filter((path) => !path.includes("_generated"))
    const fromBundle = (path: string) => path.includes("/isolate/") && path.endsWith(".js")
    expect(paths.length).toBeGreaterThan(10)
    expect(paths.every((path) => (bundleDir === undefined ? !fromBundle(path) : fromBundle(path)))).toEqual(true)
  })

  it("keeps every table within Convex's schema limits: 32 indexes of at most 16 fields, fixed-shape documents", () => {
    interface Json {
      readonly type: string
      readonly value?: unknown
    }
    // the deepest nesting of a validator, and the most fields of one object in it; `any` would allow whatever
    const shape = (json: Json): { depth: number; fields: number; any: boolean } => {
      const children: ReadonlyArray<Json> =
        json.type === "object"
          ? Object.values(json.value as Record<string, { fieldType: Json }>).map((f) => f.fieldType)
          : json.type === "array"
            ? [json.value as Json]
            : json.type === "union"
              ? (json.value as ReadonlyArray<Json>)
              : json.type === "record"
                ? [(json.value as { values: { fieldType: Json } }).values.fieldType]
                : []
      const inner = children.map(shape)
      const nests = json.type === "object" || json.type === "array" || json.type === "record" ? 1 : 0
      return {
        depth: nests + Math.max(0, ...inner.map((c) => c.depth)),
        fields: Math.max(json.type === "object" ? children.length : 0, ...inner.map((c) => c.fields)),
        any: json.type === "any" || json.type === "record" || inner.some((c) => c.any)
      }
    }
    const problems = Object.entries(schema.tables).flatMap(([table, definition]) => {
      const exported = (
        definition as unknown as {
          export(): {
            indexes: ReadonlyArray<{ indexDescriptor: string; fields: ReadonlyArray<string> }>
            documentType: Json
          }
        }
      ).export()
      const { depth, fields, any } = shape(exported.documentType)
      return [
        ...(exported.indexes.length > 32 ? [`${table}: ${exported.indexes.length} indexes`] : []),
        ...exported.indexes
          .filter((i) => i.fields.length > 16)
          .map((i) => `${table}.${i.indexDescriptor}: > 16 fields`),
        ...(depth > 16 ? [`${table}: nesting ${depth}`] : []),
        ...(fields > 1024 ? [`${table}: ${fields} fields`] : []),
        ...(any ? [`${table}: a field of any shape`] : [])
      ]
    })
    expect(problems).toEqual([])
  })
})
