import * as Http from "@opensync/backend/Http"
import { httpRouter } from "convex/server"
import * as Context from "effect/Context"
import { httpAction } from "./_generated/server.js"
import { ConvexCtx, ports } from "./lib/backend.js"

/**
 * The OpenSync HTTP contract on Convex: the same handlers as the local server (`@opensync/backend`), mounted as one
 * web handler over the Convex adapters of the ports (`lib/backend.ts`). Every path and method goes to it, so unknown
 * routes get the same JSON 404 and every response the same CORS headers.
 */

const { handler } = Http.webHandler(ports)

const answer = httpAction((ctx, request) => handler(request, Context.make(ConvexCtx, ctx)))

const http = httpRouter()
for (const method of ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"] as const) {
  http.route({ pathPrefix: "/", method, handler: answer })
}

export default http
