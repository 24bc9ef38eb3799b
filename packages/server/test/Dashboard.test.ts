import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from "node:zlib"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type RunningServer, startServer } from "@opensync/testkit/Server"

/** The dashboard's static files as the local server serves them (sign-ins, scopes and data are in the conformance suite). */

interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: Record<string, unknown>
  readonly text: string
}

let server: RunningServer
let dashboardDir: string

const request = async (
  path: string,
  options: { method?: string; bearer?: string; json?: unknown; headers?: Record<string, string> } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`
  if (options.json !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(server.url + path, {
    method: options.method ?? "GET",
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) })
  })
  const text = await response.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, headers: response.headers, body, text }
}

/** A GET with node:http (fetch would decode the body): the raw bytes and headers as sent. */
const raw = (path: string, headers: Record<string, string>) =>
  new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((done, fail) => {
    const req = http.get(`${server.url}${path}`, { headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on("error", fail)
    })
    req.on("error", fail)
  })

/** A script large enough to compress, and a brotli copy made differently from how the server would make one. */
const bigScript = Array.from({ length: 2_000 }, (_, i) => `export const value${i} = ${i * 7} // ${i % 13}`).join("\n")
const prebuiltBrotli = brotliCompressSync(bigScript, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } })

beforeAll(async () => {
  dashboardDir = mkdtempSync(join(tmpdir(), "opensync-dashboard-"))
  mkdirSync(join(dashboardDir, "assets"))
  writeFileSync(join(dashboardDir, "index.html"), '<!doctype html><div id="root"></div>')
  writeFileSync(join(dashboardDir, "assets", "index-abc123.js"), "console.log(1)")
  writeFileSync(join(dashboardDir, "assets", "big-def456.js"), bigScript)
  writeFileSync(join(dashboardDir, "assets", "big-def456.js.br"), prebuiltBrotli)
  writeFileSync(join(dashboardDir, "assets", "style-0a1b2c.css"), `.a{color:red}\n`.repeat(500))
  process.env.OPENSYNC_DASHBOARD_DIR = dashboardDir
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
  rmSync(dashboardDir, { recursive: true, force: true })
})

describe("the dashboard's static files", () => {
  it("serves index.html at / with a strict Content-Security-Policy and no caching", async () => {
    const reply = await request("/")
    expect(reply.status).toBe(200)
    expect(reply.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(reply.text).toContain('<div id="root">')
    const csp = reply.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain("unsafe-inline")
    expect(reply.headers.get("cache-control")).toBe("no-cache")
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff")
  })

  it("falls back to index.html for client-side routes a browser navigates to; API clients get a JSON 404", async () => {
    const page = await request("/sessions/abc?source=claude-code", {
      headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" }
    })
    expect(page.status).toBe(200)
    expect(page.text).toContain('<div id="root">')
    // A session id with a dot is a route too (its deep link answered 404); a top-level file name is not
    for (const [path, status] of [
      ["/sessions/v1.2", 200],
      ["/sessions/..%252Fdata", 200],
      ["/sessions/a%2Fb.jsonl", 200],
      ["/missing.js", 404]
    ] as const) {
      const reply = await request(path, { headers: { accept: "text/html" } })
      expect({ path, status: reply.status }).toEqual({ path, status })
    }
    const api = await request("/no/such/route")
    expect({ status: api.status, tag: api.body._tag }).toEqual({ status: 404, tag: "NotFound" })
  })

  it("serves hashed assets with a year-long immutable cache", async () => {
    const reply = await request("/assets/index-abc123.js")
    expect(reply.status).toBe(200)
    expect(reply.headers.get("content-type")).toBe("text/javascript; charset=utf-8")
    expect(reply.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
    expect(reply.text).toBe("console.log(1)")
  })

  it("answers a JSON 404 for unknown API routes and missing assets, and never leaves its folder", async () => {
    for (const path of ["/api/nope", "/auth/nope", "/sync/nope", "/assets/missing.js"]) {
      const reply = await request(path)
      expect({ path, status: reply.status, tag: reply.body._tag }).toEqual({ path, status: 404, tag: "NotFound" })
    }
    const traversal = await request("/assets/..%2f..%2fpackage.json")
    expect(traversal.status).toBe(404)
    expect(traversal.text).not.toContain("opensync")
  })

  it("sends the build's precompressed brotli file to a browser that accepts br, and says so", async () => {
    const server9 = brotliCompressSync(bigScript, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } })
    expect(Buffer.compare(server9, prebuiltBrotli)).not.toBe(0)
    const reply = await raw("/assets/big-def456.js", { "accept-encoding": "gzip, deflate, br" })
    expect(reply.status).toBe(200)
    expect(reply.headers["content-encoding"]).toBe("br")
    expect(reply.headers.vary).toBe("Origin, Accept-Encoding")
    expect(reply.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(Number(reply.headers["content-length"])).toBe(prebuiltBrotli.length)
    expect(Buffer.compare(reply.body, prebuiltBrotli)).toBe(0)
    expect(brotliDecompressSync(reply.body).toString()).toBe(bigScript)
  })

  it("compresses a file the build left plain once, for gzip-only clients too, and keeps the rest of the headers", async () => {
    const css = `.a{color:red}\n`.repeat(500)
    for (const [accept, encoding] of [
      ["gzip", "gzip"],
      ["br;q=0, gzip;q=0.8", "gzip"],
      ["br", "br"],
      ["*", "br"]
    ] as const) {
      const reply = await raw("/assets/style-0a1b2c.css", { "accept-encoding": accept })
      expect({ accept, encoding: reply.headers["content-encoding"] }).toEqual({ accept, encoding })
      expect(reply.body.length).toBeLessThan(css.length / 10)
      const text = (encoding === "gzip" ? gunzipSync(reply.body) : brotliDecompressSync(reply.body)).toString()
      expect(text).toBe(css)
      expect(reply.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
      expect(reply.headers["content-security-policy"]).toContain("script-src 'self'")
    }
    const index = await raw("/", { "accept-encoding": "gzip" })
    expect(index.headers.vary).toBe("Origin, Accept-Encoding")
  })

  it("sends the plain file to a client that accepts no encoding (or refuses them all)", async () => {
    for (const headers of [{}, { "accept-encoding": "identity" }, { "accept-encoding": "br;q=0, gzip;q=0" }]) {
      const reply = await raw("/assets/big-def456.js", headers)
      expect(reply.headers["content-encoding"]).toBeUndefined()
      expect(reply.headers.vary).toBe("Origin, Accept-Encoding")
      expect(reply.body.toString()).toBe(bigScript)
    }
  })
})
