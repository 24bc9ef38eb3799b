import { createServer } from "node:http"
import { FileSystem, HttpApiBuilder, HttpServer } from "@effect/platform"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Limits } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Dashboard from "./Dashboard.js"
import { DashboardSessions } from "./DashboardSessions.js"
import * as Database from "./Database.js"
import { ApiLive } from "./Http.js"
import { ErrorBodiesLive } from "./internal/errorBodies.js"
import { Keys } from "./Keys.js"
import { PriceOverrides } from "./Prices.js"
import { Store } from "./Store.js"

export interface ServeOptions {
  readonly host: string
  readonly port: number
  readonly dataDir: string
}

/** Storage for a data dir: the SQLite file, the session store (pricing with `prices.json`) and the key store. */
export const storageLayer = (dataDir: string) =>
  Layer.mergeAll(Store.Default, Keys.Default, DashboardSessions.Default).pipe(
    Layer.provideMerge(Layer.merge(Database.layer({ dataDir }), PriceOverrides.layer(dataDir)))
  )

const maxBody = Option.some(FileSystem.Size(Limits.maxBodyBytes))

/** The HTTP app on top of storage: contract routes, `/openapi.json`, CORS for browsers, a body-size cap. */
export const appLayer = HttpApiBuilder.serve((app) =>
  Effect.provideService(app, HttpIncomingMessage.MaxBodySize, maxBody)
).pipe(
  Layer.provide(ErrorBodiesLive),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
  Layer.provide(
    HttpApiBuilder.middlewareCors({
      allowedOrigins: ["*"],
      allowedMethods: ["GET", "POST", "DELETE", "OPTIONS"],
      allowedHeaders: ["Authorization", "Content-Type", "X-OpenSync-Request"],
      maxAge: 86_400
    })
  ),
  Layer.provide(ApiLive),
  Layer.provide(Dashboard.layer())
)

/** The whole local server listening on `host:port`. */
export const layer = (options: ServeOptions) =>
  appLayer.pipe(
    Layer.provideMerge(storageLayer(options.dataDir)),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: options.host, port: options.port })),
    Layer.provide(NodeContext.layer)
  )

/** The URL clients should use for a listening server. */
export const serverUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress"
    ? `http://${server.address.hostname.includes(":") ? `[${server.address.hostname}]` : server.address.hostname}:${server.address.port}`
    : `unix:${server.address.path}`
)
