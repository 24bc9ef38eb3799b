import type { Server } from "node:http"
import { FileSystem, HttpApiBuilder, HttpServer } from "@effect/platform"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Http, ServerInfo, Throttle } from "@opensync/backend"
import { Limits } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Dashboard from "./Dashboard.js"
import * as Install from "./Install.js"
import { drainOnStop, holdingServer } from "./NodeServer.js"
import { PriceOverrides } from "./Prices.js"
import * as Database from "./sqlite/Database.js"
import * as Keys from "./sqlite/Keys.js"
import * as SessionStore from "./sqlite/SessionStore.js"
import * as SignIns from "./sqlite/SignIns.js"
import { version } from "./version.js"

export interface ServeOptions {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** Largest the database may grow, in bytes (`--max-db-mb`); writes beyond it answer 507 like a full disk. */
  readonly maxDbBytes?: number | undefined
  /** The WAL length (pages) at which it is started over (`--wal-mb`; default `Checkpoints.truncatePages`). */
  readonly walPages?: number | undefined
}

/** Storage for a data dir: the SQLite file, its adapters of the backend's ports (pricing with `prices.json`), and the CLI's key store. */
export const storageLayer = (dataDir: string, options: Omit<Database.DatabaseOptions, "dataDir"> = {}) =>
  Layer.mergeAll(SessionStore.layer, Keys.layer, SignIns.layer).pipe(
    Layer.provideMerge(Keys.LocalKeys.Default),
    Layer.provideMerge(Layer.merge(Database.layer({ ...options, dataDir }), PriceOverrides.layer(dataDir)))
  )

/** What this server tells its users: its version and the command that creates a key where they run it. */
export const serverInfo = Layer.sync(ServerInfo.ServerInfo, () => ({
  version,
  createKey: `\`${Install.command("keys create --name NAME")}\``,
  createFullKey: `\`${Install.command("keys create --name NAME --scope full")}\``,
  cli: Install.cli()
}))

const maxBody = Option.some(FileSystem.Size(Limits.maxBodyBytes))

/** The HTTP app on top of storage: the contract's handlers (`@opensync/backend`), the dashboard, a body-size cap. */
export const appLayer = HttpApiBuilder.serve((app) =>
  Effect.provideService(app, HttpIncomingMessage.MaxBodySize, maxBody)
).pipe(
  Layer.provide(Http.middlewares),
  Layer.provide(Http.ApiLive),
  Layer.provide(Dashboard.layer()),
  Layer.provide(Layer.mergeAll(serverInfo, Throttle.memory()))
)

/**
 * The whole local server listening on `host:port`. Requests that arrive while the store opens wait for it
 * (`holdingServer`); on shutdown, connections still open are closed after `drainMs` (`drainOnStop`).
 */
export const layer = (options: ServeOptions) => {
  let server: Server | undefined
  const make = () => {
    server = holdingServer()
    return server
  }
  return appLayer.pipe(
    Layer.provideMerge(drainOnStop(() => server)),
    Layer.provideMerge(
      storageLayer(options.dataDir, {
        maxBytes: options.maxDbBytes,
        background: true,
        walPages: options.walPages,
        writable: true
      })
    ),
    Layer.provideMerge(NodeHttpServer.layer(make, { host: options.host, port: options.port })),
    Layer.provide(NodeContext.layer)
  )
}

/** The URL clients should use for a listening server. */
export const serverUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress"
    ? `http://${server.address.hostname.includes(":") ? `[${server.address.hostname}]` : server.address.hostname}:${server.address.port}`
    : `unix:${server.address.path}`
)
