import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** How long a connection whose body was refused part-way may stay open, at most, before it is cut. */
export const refusedBodyMs = 10_000

/**
 * A body refused as it is read (larger than the route takes, sent without a `Content-Length`: a chunked upload) is
 * answered, not reset. The platform stops reading such a body by destroying the request, which destroys its socket:
 * the client, still sending, got a connection reset instead of the 413 the server had for it. A request destroyed
 * without an error before its body ended now only stops feeding its readers: the answer goes out, Node stops reading
 * the body once the answer has ended and closes the connection when it has been idle for its keep-alive timeout (5 s),
 * and one still open after `refusedBodyMs` is cut.
 */
const answerRefusedBodies = (request: IncomingMessage) => {
  const destroy = request.destroy.bind(request)
  let refused = false
  request.destroy = (error?: Error) => {
    if (error !== undefined || request.complete || refused) return destroy(error)
    refused = true
    request.removeAllListeners("data")
    const cut = setTimeout(() => destroy(), refusedBodyMs).unref()
    request.once("close", () => clearTimeout(cut))
    request.resume()
    return request
  }
}

/**
 * The server's `node:http` server. It listens as soon as it is made, before the app is attached to it (the app needs
 * the store, opened and migrated first); a request that arrives in between waits for the app instead of being
 * dropped (Node drops a `request` event nobody listens to, and the client waits forever). Once the app's listener is
 * attached, the requests held are handed to it in order. A body refused part-way is answered (`answerRefusedBodies`).
 */
export const holdingServer = (): Server => {
  const server = createServer()
  const guarded = new WeakSet<IncomingMessage>()
  server.on("request", (request: IncomingMessage) => {
    if (guarded.has(request)) return
    guarded.add(request)
    answerRefusedBodies(request)
  })
  const held: Array<readonly [IncomingMessage, ServerResponse]> = []
  const hold = (request: IncomingMessage, response: ServerResponse) => {
    held.push([request, response])
  }
  server.on("request", hold)
  const attached = (event: string | symbol) => {
    if (event !== "request") return
    server.off("newListener", attached)
    server.off("request", hold)
    setImmediate(() => {
      for (const [request, response] of held.splice(0)) server.emit("request", request, response)
    })
  }
  server.on("newListener", attached)
  return server
}

/** How long a stopping server waits for open connections (a request being answered, a silent client) to end. */
export const drainMs = 2_000

/**
 * On shutdown, closes the server's idle connections at once and every other one after `drainMs`: `server.close()`
 * waits for every connection to end, so one client that connected and sent nothing (or a request that never ends)
 * kept a stopped server's process alive.
 */
export const drainOnStop = (server: () => Server | undefined) =>
  Layer.scopedDiscard(
    Effect.addFinalizer(() =>
      Effect.sync(() => {
        const current = server()
        if (current === undefined) return
        current.closeIdleConnections()
        setTimeout(() => current.closeAllConnections(), drainMs).unref()
      })
    )
  )
