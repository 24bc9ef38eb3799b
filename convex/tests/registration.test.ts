// @vitest-environment edge-runtime
import { describe, expect, it } from "@effect/vitest"
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
})
