import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import { type RunningServer, startServer } from "./support/server.js"

/** Dashboard sign-in (`/auth/*`), cookie + CSRF rule, `DELETE /api/data` and the dashboard's static files. */

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
  options: { method?: string; bearer?: string; cookie?: string; json?: unknown; headers?: Record<string, string> } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`
  if (options.cookie !== undefined) headers.cookie = `opensync_session=${options.cookie}`
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

const signIn = async (apiKey: string) => {
  const reply = await request("/auth/session", { method: "POST", json: { apiKey } })
  expect(reply.status).toBe(201)
  return reply.body.token as string
}

const t0 = Date.UTC(2025, 5, 2, 9, 0, 0)

const seedEvents = (prefix: string) =>
  [0, 1].flatMap((i) => [
    Event.make({
      kind: "session",
      source: "claude-code",
      sessionId: `${prefix}-${i}`,
      at: t0 + i * 60_000,
      title: `Session ${prefix} ${i}`,
      projectName: "demo",
      startedAt: t0 + i * 60_000
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: `${prefix}-${i}`,
      at: t0 + i * 60_000 + 1000,
      messageId: `${prefix}-m${i}`,
      role: "assistant",
      text: "searchable reply text",
      model: "claude-sonnet-4-5",
      createdAt: t0 + i * 60_000 + 1000,
      usage: { input: 10, output: 20, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 }
    }),
    Event.make({
      kind: "tool_call",
      source: "claude-code",
      sessionId: `${prefix}-${i}`,
      at: t0 + i * 60_000 + 1500,
      callId: `${prefix}-c${i}`,
      messageId: `${prefix}-m${i}`,
      name: "Bash",
      status: "completed",
      startedAt: t0 + i * 60_000 + 1200,
      durationMs: 30
    })
  ])

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

describe("POST /auth/session", () => {
  it("exchanges an API key for a 7-day session token and sets an HttpOnly, SameSite=Strict cookie", async () => {
    const before = Date.now()
    const reply = await request("/auth/session", { method: "POST", json: { apiKey: server.key } })
    expect(reply.status).toBe(201)
    const { token, expiresAt, user } = reply.body as { token: string; expiresAt: number; user: unknown }
    expect(token).toMatch(/^oss_[A-Za-z0-9_-]{43}$/)
    expect(user).toEqual({ id: "local", name: "Local user" })
    expect(expiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400_000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000)
    const cookie = reply.headers.get("set-cookie") ?? ""
    expect(cookie.split("; ").sort()).toEqual(
      [`opensync_session=${token}`, "HttpOnly", "Max-Age=604800", "Path=/", "SameSite=Strict"].sort()
    )
  })

  it("marks the cookie Secure behind https", async () => {
    const reply = await request("/auth/session", {
      method: "POST",
      json: { apiKey: server.key },
      headers: { "x-forwarded-proto": "https" }
    })
    expect(reply.headers.get("set-cookie")).toContain("; Secure")
  })

  it("refuses malformed, unknown and revoked keys with 401 and a reason", async () => {
    const malformed = await request("/auth/session", { method: "POST", json: { apiKey: "nope" } })
    expect({ status: malformed.status, tag: malformed.body._tag }).toEqual({ status: 401, tag: "Unauthorized" })
    expect(malformed.body.error).toMatch(/osk_/)
    const truncated = await request("/auth/session", { method: "POST", json: { apiKey: server.key.slice(0, -1) } })
    expect({ status: truncated.status, tag: truncated.body._tag }).toEqual({ status: 401, tag: "Unauthorized" })
    expect(truncated.body.error).toMatch(/malformed/)
    const created = JSON.parse(await server.cli(["keys", "create", "--name", "temp", "--json"]))
    await server.cli(["keys", "revoke", created.id])
    const revoked = await request("/auth/session", { method: "POST", json: { apiKey: created.key } })
    expect({ status: revoked.status, tag: revoked.body._tag }).toEqual({ status: 401, tag: "Unauthorized" })
    expect(revoked.body.error).toMatch(/revoked/)
    expect(revoked.headers.get("set-cookie")).toBeNull()
  })

  it("answers 400 when the body has no apiKey", async () => {
    const reply = await request("/auth/session", { method: "POST", json: { key: server.key } })
    expect({ status: reply.status, tag: reply.body._tag }).toEqual({ status: 400, tag: "BadRequest" })
  })
})

describe("authentication with session tokens", () => {
  it("accepts Bearer oss_… on protected routes; /auth/me tells how the caller signed in", async () => {
    const token = await signIn(server.key)
    const me = await request("/auth/me", { bearer: token })
    expect(me.status).toBe(200)
    expect(me.body.user).toEqual({ id: "local", name: "Local user" })
    expect(me.body.via).toBe("session")
    expect(me.body.expiresAt).toBeGreaterThan(Date.now() + 6 * 86_400_000)
    const byKey = await request("/auth/me", { bearer: server.key })
    expect(byKey.body).toEqual({ user: { id: "local", name: "Local user" }, via: "apiKey", expiresAt: null })
    const list = await request("/api/sessions", { bearer: token })
    expect(list.status).toBe(200)
  })

  it("rejects unknown and garbled session tokens with 401", async () => {
    const unknown = await request("/api/sessions", { bearer: `oss_${"A".repeat(43)}` })
    expect({ status: unknown.status, tag: unknown.body._tag }).toEqual({ status: 401, tag: "Unauthorized" })
    const garbled = await request("/api/sessions", { bearer: "oss_short" })
    expect(garbled.status).toBe(401)
    const cookie = await request("/api/sessions", { cookie: `oss_${"B".repeat(43)}` })
    expect(cookie.status).toBe(401)
  })

  it("accepts the cookie for reads; writes need X-OpenSync-Request: 1, else 403 Forbidden", async () => {
    const token = await signIn(server.key)
    const read = await request("/api/keys", { cookie: token })
    expect(read.status).toBe(200)
    const forged = await request("/api/keys", { method: "POST", cookie: token, json: { name: "csrf" } })
    expect({ status: forged.status, tag: forged.body._tag }).toEqual({ status: 403, tag: "Forbidden" })
    expect(forged.body.error).toMatch(/X-OpenSync-Request/)
    const keys = await request("/api/keys", { cookie: token })
    expect((keys.body.keys as Array<{ name: string }>).map((k) => k.name)).not.toContain("csrf")
    const allowed = await request("/api/keys", {
      method: "POST",
      cookie: token,
      json: { name: "from-dashboard" },
      headers: { "x-opensync-request": "1" }
    })
    expect(allowed.status).toBe(201)
    expect(allowed.body.key).toMatch(/^osk_/)
  })

  it("does not need the CSRF header when the token comes as a bearer header", async () => {
    const token = await signIn(server.key)
    const reply = await request("/api/keys", { method: "POST", bearer: token, json: { name: "bearer-write" } })
    expect(reply.status).toBe(201)
  })

  it("DELETE /auth/session revokes the calling token and clears the cookie", async () => {
    const token = await signIn(server.key)
    const out = await request("/auth/session", {
      method: "DELETE",
      cookie: token,
      headers: { "x-opensync-request": "1" }
    })
    expect(out.status).toBe(200)
    expect(out.body).toEqual({ ok: true })
    expect(out.headers.get("set-cookie")).toMatch(/^opensync_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict/)
    const after = await request("/auth/me", { cookie: token })
    expect({ status: after.status, tag: after.body._tag }).toEqual({ status: 401, tag: "Unauthorized" })
    expect(after.body.error).toMatch(/Sign in again/)
    expect((await request("/auth/me", { bearer: token })).status).toBe(401)
  })

  it("keeps a session alive when the key it was created with is revoked", async () => {
    const created = JSON.parse(await server.cli(["keys", "create", "--name", "rotate", "--json"]))
    const token = await signIn(created.key)
    const revoke = await request(`/api/keys/${created.id}`, { method: "DELETE", bearer: token })
    expect(revoke.status).toBe(200)
    expect((await request("/api/sessions", { bearer: created.key })).status).toBe(401)
    expect((await request("/auth/me", { bearer: token })).status).toBe(200)
  })
})

describe("DELETE /api/data", () => {
  it("deletes every session, message, tool call, rollup, search entry and event id of the caller only", async () => {
    const other = JSON.parse(await server.cli(["keys", "create", "--name", "bob", "--user", "bob", "--json"]))
    const mine = seedEvents("mine")
    const theirs = seedEvents("theirs")
    expect((await request("/sync/events", { method: "POST", bearer: server.key, json: { events: mine } })).status).toBe(
      200
    )
    await request("/sync/events", { method: "POST", bearer: other.key, json: { events: theirs } })
    const token = await signIn(server.key)

    const forged = await request("/api/data", { method: "DELETE", cookie: token })
    expect(forged.status).toBe(403)
    const deleted = await request("/api/data", {
      method: "DELETE",
      cookie: token,
      headers: { "x-opensync-request": "1" }
    })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ status: "deleted", sessions: 2 })

    const list = await request("/api/sessions", { bearer: server.key })
    expect(list.body.sessions).toEqual([])
    const search = await request("/api/sessions?q=searchable", { bearer: server.key })
    expect(search.body.sessions).toEqual([])
    const stats = await request(`/api/stats?from=${t0 - 86_400_000}&to=${t0 + 86_400_000}`, { bearer: server.key })
    const totals = stats.body.totals as Record<string, number>
    expect({ sessions: totals.sessions, messages: totals.messages, totalTokens: totals.totalTokens }).toEqual({
      sessions: 0,
      messages: 0,
      totalTokens: 0
    })
    expect(stats.body.tools).toEqual([])

    const theirList = await request("/api/sessions", { bearer: other.key })
    expect((theirList.body.sessions as Array<{ id: string }>).map((s) => s.id).sort()).toEqual(["theirs-0", "theirs-1"])
    const theirSearch = await request("/api/sessions?q=searchable", { bearer: other.key })
    expect((theirSearch.body.sessions as Array<unknown>).length).toBe(2)

    // Event ids are gone too: the same events are stored again rather than reported as duplicates.
    const resent = await request("/sync/events", { method: "POST", bearer: server.key, json: { events: mine } })
    expect((resent.body.stored as Array<string>).length).toBe(mine.length)
    expect((await request("/auth/me", { bearer: server.key })).status).toBe(200)
  })

  it("needs authentication", async () => {
    const reply = await request("/api/data", { method: "DELETE" })
    expect({ status: reply.status, tag: reply.body._tag }).toEqual({ status: 401, tag: "Unauthorized" })
  })
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
