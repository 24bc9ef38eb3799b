import { HttpApiBuilder, HttpRouter, HttpServer } from "@effect/platform"
import { Api, SignIn } from "@opensync/domain"
import type * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as Auth from "./Auth.js"
import * as ErrorBodies from "./ErrorBodies.js"
import { AuthLive, SignInsLive } from "./handlers/auth.js"
import { DataLive, HealthLive } from "./handlers/data.js"
import { KeysLive } from "./handlers/keys.js"
import { OtlpLive } from "./handlers/otlp.js"
import { SessionsLive } from "./handlers/sessions.js"
import { LegacyLive, SyncLive } from "./handlers/sync.js"
import type { Keys } from "./Keys.js"
import type { ServerInfo } from "./ServerInfo.js"
import type { SessionStore } from "./SessionStore.js"
import type { SignIns } from "./SignIns.js"
import type { AuthThrottle } from "./Throttle.js"

/** Every group of the contract implemented over the ports, with authentication, scopes and sign-in limits. */
export const ApiLive = HttpApiBuilder.api(Api.OpenSyncApi).pipe(
  Layer.provide([HealthLive, SyncLive, OtlpLive, LegacyLive, SessionsLive, KeysLive, AuthLive, SignInsLive, DataLive]),
  Layer.provide([Auth.layer, Auth.otlpLayer, Auth.signInGuardLayer])
)

/** The services a backend provides: its adapters of the ports, the throttle and what it says about itself. */
export type Ports = SessionStore | Keys | SignIns | AuthThrottle | ServerInfo

/**
 * CORS: any origin may call with a bearer key or token (the dashboard on a Convex deployment, scripts); cookies are
 * never sent cross-origin (no credentials), so the same-origin sign-in cannot be used from another origin.
 */
export const cors = {
  allowedOrigins: ["*"],
  allowedMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  allowedHeaders: ["Authorization", "Content-Type", "Content-Encoding", SignIn.secretHeader],
  maxAge: 86_400
} as const

/**
 * The router's limits: a path parameter (a session id, percent-encoded) may be as long as an id may be, 256 characters of
 * up to 4 UTF-8 bytes each written as `%XX` (3,072); the router's default of 100 answered "no such route" for the
 * detail and the deletion of a session it had stored under a longer id.
 */
export const maxPathParameterLength = 256 * 4 * 3

const routerConfig = HttpRouter.setRouterConfig({ maxParamLength: maxPathParameterLength })

/** The HTTP app's middlewares: JSON error bodies, `/openapi.json`, CORS. */
export const middlewares = Layer.mergeAll(
  routerConfig,
  ErrorBodies.layer,
  HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }),
  HttpApiBuilder.middlewareCors(cors)
)

/**
 * The whole contract as a web handler `(Request, context?) => Promise<Response>`, for runtimes that speak the Fetch
 * API (Convex's HTTP actions). `context` carries per-request services (the Convex action context).
 */
export const webHandler = (ports: Layer.Layer<Ports>) => {
  const api = ApiLive.pipe(Layer.provide(ports))
  return HttpApiBuilder.toWebHandler(
    Layer.mergeAll(api, middlewares.pipe(Layer.provide(api)), HttpServer.layerContext)
  ) as {
    readonly handler: (request: Request, context?: Context.Context<never>) => Promise<Response>
    readonly dispose: () => Promise<void>
  }
}
