/// <reference types="vite/client" />
import { convexTest } from "convex-test"
import { internal } from "../_generated/api.js"
import schema from "../schema.js"

/** The Convex functions under test, for convex-test (the test files themselves are not modules of the deployment). */
export const modules = import.meta.glob(["../**/*.ts", "!../tests/**"])

export type Limits = Parameters<typeof convexTest>[0] extends infer O
  ? O extends { transactionLimits?: infer L }
    ? L
    : never
  : never

/** A fresh in-memory Convex backend with this deployment's schema and functions. */
export const makeBackend = (transactionLimits: Limits = false) => convexTest({ schema, modules, transactionLimits })

export type Backend = ReturnType<typeof makeBackend>

/** Creates a user the way a deployment owner does (`npx convex run users:create`), returning its first key. */
export const createUser = (t: Backend, name: string) => t.action(internal.users.create, { name })

/** The origin the conformance suite addresses; `t.fetch` only looks at the path. */
export const origin = "https://opensync-test.convex.site"

/** A `fetch` that sends requests to the deployment's HTTP router. */
export const fetchVia =
  (t: Backend): typeof fetch =>
  (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    return t.fetch(url.startsWith(origin) ? url.slice(origin.length) : url, init)
  }
