import { existsSync, readFileSync, statSync } from "node:fs"
import { dirname, extname, join, normalize, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { brotliCompressSync, constants, gzipSync } from "node:zlib"
import { HttpApiBuilder, HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { RouteNotFound } from "@effect/platform/HttpServerError"
import * as Effect from "effect/Effect"

/** Paths that belong to the API: an unknown one is a JSON 404, never the dashboard's index.html. */
const apiPrefixes = ["/api/", "/sync/", "/auth/", "/health", "/openapi.json"]

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json"
}

/**
 * The dashboard's Content-Security-Policy: scripts and styles only from this origin, no inline code, no framing.
 * `connect-src https:` lets the same dashboard sign in to a Convex deployment; the loopback http origins let it sign
 * in to another local `opensync serve` (another port is another origin).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' https: http://127.0.0.1:* http://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join("; ")

const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin"
}

/**
 * Where the built dashboard is: `$OPENSYNC_DASHBOARD_DIR`, a `dashboard/` folder beside the server bundle, or
 * `packages/dashboard/dist` of the repository (from `packages/server/dist` and `packages/server/src` alike).
 */
export const findDashboardDir = (): string | undefined => {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [
    process.env.OPENSYNC_DASHBOARD_DIR,
    join(here, "dashboard"),
    resolve(here, "../../dashboard/dist")
  ].filter((dir): dir is string => dir !== undefined && dir !== "")
  return candidates.find((dir) => existsSync(join(dir, "index.html")))
}

const notBuilt = `<!doctype html><meta charset="utf-8"><title>OpenSync</title>
<p>The OpenSync API is running, but the dashboard has not been built. Run <code>npm run build</code> and restart the server.</p>`

/** The encodings the server offers for text assets, best first, with the suffix of their precompressed files. */
const encodings = [
  { name: "br", suffix: ".br" },
  { name: "gzip", suffix: ".gz" }
] as const
type Encoding = (typeof encodings)[number]["name"]

/** Types worth compressing (fonts and images already are). */
const compressible = (contentType: string) => /^(text\/|application\/json|image\/svg)/.test(contentType)

/**
 * The encodings a request accepts (`Accept-Encoding`, with q-values: `q=0` refuses), among those the server offers.
 * `identity` is always acceptable, so a request without the header gets the plain file.
 */
export const acceptedEncodings = (header: string | undefined): ReadonlySet<Encoding> => {
  const weights = new Map<string, number>()
  for (const part of (header ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";")
    if (name === undefined || name === "") continue
    const q = params.map((p) => p.trim().match(/^q=([0-9.]+)$/)?.[1]).find((v) => v !== undefined)
    weights.set(name, q === undefined ? 1 : Number(q))
  }
  const star = weights.get("*")
  return new Set(
    encodings.map((e) => e.name).filter((name) => (weights.get(name) ?? (star === undefined ? 0 : star)) > 0)
  )
}

/** A `Vary` header value with `name` added once. */
const varyWith = (current: string | undefined, name: string) => {
  const names = (current ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "")
  return names.some((n) => n.toLowerCase() === name.toLowerCase()) ? names.join(", ") : [...names, name].join(", ")
}

interface Asset {
  readonly file: string
  readonly body: Uint8Array
  readonly contentType: string
  readonly immutable: boolean
  /** Compressed bodies, once read (precompressed by `scripts/build.mjs`) or made; null: not smaller, serve plain. */
  readonly encoded: Map<Encoding, Uint8Array | null>
}

/**
 * The body of `asset` in `encoding`: the build's precompressed file beside it (`.br`, `.gz`), else compressed once
 * here and kept; null when compression does not make it smaller.
 */
const encodedBody = (asset: Asset, encoding: Encoding): Uint8Array | null => {
  const known = asset.encoded.get(encoding)
  if (known !== undefined) return known
  const suffix = encodings.find((e) => e.name === encoding)?.suffix ?? ""
  const precompressed = `${asset.file}${suffix}`
  const body =
    existsSync(precompressed) && statSync(precompressed).isFile()
      ? readFileSync(precompressed)
      : encoding === "br"
        ? brotliCompressSync(asset.body, {
            params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: asset.body.length }
          })
        : gzipSync(asset.body, { level: 9 })
  const kept = body.length < asset.body.length ? body : null
  asset.encoded.set(encoding, kept)
  return kept
}

/**
 * Serves the built single-page dashboard: files under its dist folder, `/`, and index.html for other non-API GETs of
 * a browser (`Accept: text/html`), so deep links work while API clients still get JSON 404s for unknown routes.
 */
export const layer = (dir?: string) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const found = dir ?? findDashboardDir()
      const root = found === undefined ? undefined : resolve(found)
      const cache = new Map<string, Asset | null>()
      const load = (relative: string): Asset | null => {
        if (root === undefined) return null
        const cached = cache.get(relative)
        if (cached !== undefined) return cached
        const file = normalize(join(root, relative))
        let asset: Asset | null = null
        if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
          asset = {
            file,
            body: readFileSync(file),
            contentType: contentTypes[extname(file)] ?? "application/octet-stream",
            immutable: relative.startsWith("assets/"),
            encoded: new Map()
          }
        }
        if (asset !== null) cache.set(relative, asset)
        return asset
      }
      /** The asset, compressed when the request accepts an encoding that makes it smaller (br before gzip). */
      const respond = (asset: Asset, acceptEncoding: string | undefined) => {
        const headers: Record<string, string> = {
          ...securityHeaders,
          "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache"
        }
        if (!compressible(asset.contentType)) {
          return HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType, headers })
        }
        const accepted = acceptedEncodings(acceptEncoding)
        for (const { name } of encodings) {
          const body = accepted.has(name) ? encodedBody(asset, name) : null
          if (body !== null) {
            return HttpServerResponse.uint8Array(body, {
              contentType: asset.contentType,
              headers: { ...headers, "content-encoding": name }
            })
          }
        }
        return HttpServerResponse.uint8Array(asset.body, { contentType: asset.contentType, headers })
      }
      const handler = Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname)
        if (apiPrefixes.some((prefix) => path === prefix.replace(/\/$/, "") || path.startsWith(prefix))) {
          return yield* new RouteNotFound({ request })
        }
        const acceptEncoding = request.headers["accept-encoding"]
        // After CORS's handler (which sets `Vary: Origin`), so the response says it varies by both.
        yield* HttpApp.appendPreResponseHandler((_request, response) =>
          Effect.succeed(
            compressible(response.headers["content-type"] ?? "")
              ? HttpServerResponse.setHeader(response, "vary", varyWith(response.headers.vary, "Accept-Encoding"))
              : response
          )
        )
        const file = load(path.replace(/^\/+/, ""))
        if (file !== null) return respond(file, acceptEncoding)
        // Client-side routes answer index.html to browsers navigating to them; anything else stays a JSON 404. A file
        // is an asset, or a name with an extension at the top (`/favicon.svg`): a session id with a dot (`v1.2`,
        // `../data` encoded) is a route, whose deep link answered 404.
        const wantsPage = path === "/" || (request.headers.accept ?? "").includes("text/html")
        const isFile = path.startsWith("/assets/") || (extname(path) !== "" && path.lastIndexOf("/") === 0)
        if (!wantsPage || isFile) {
          return yield* new RouteNotFound({ request })
        }
        const index = load("index.html")
        if (index === null) {
          return HttpServerResponse.text(notBuilt, {
            status: 503,
            contentType: "text/html; charset=utf-8",
            headers: securityHeaders
          })
        }
        return respond(index, acceptEncoding)
      })
      yield* router.get("*", handler)
      yield* router.head("*", handler)
    })
  )
