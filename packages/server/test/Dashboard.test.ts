import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
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

beforeAll(async () => {
  dashboardDir = mkdtempSync(join(tmpdir(), "opensync-dashboard-"))
  mkdirSync(join(dashboardDir, "assets"))
  writeFileSync(join(dashboardDir, "index.html"), '<!doctype html><div id="root"></div>')
  writeFileSync(join(dashboardDir, "assets", "index-abc123.js"), "console.log(1)")
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
})
