import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import { hasBrowser, launch, screenshotDir } from "@opensync/testkit/Browser"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import type { Browser, BrowserContext, Page } from "playwright-core"

/**
 * The dashboard's cross-origin sign-in (as against a Convex deployment): server A serves the page, server B (another
 * port, so another origin) holds the data. The session token lives in memory + sessionStorage, never localStorage;
 * requests to B are CORS without credentials (no cookie).
 */

const shots = screenshotDir

let a: RunningServer
let b: RunningServer
let browser: Browser
let context: BrowserContext
let page: Page
const pageErrors: Array<string> = []
const corsResponses: Array<{ url: string; allowCredentials: string | null }> = []

const titlesOn = (server: "A" | "B") => [1, 2, 3].map((i) => `${server} only: session ${i}`)

const seed = async (server: RunningServer, name: "A" | "B") => {
  const now = Date.now()
  const events = titlesOn(name).flatMap((title, i) => {
    const sessionId = `${name.toLowerCase()}-${i}`
    const at = now - (i + 1) * 3_600_000
    return [
      Event.make({ kind: "session", source: "claude-code", sessionId, at, title, projectName: "xo", startedAt: at }),
      Event.make({
        kind: "message",
        source: "claude-code",
        sessionId,
        at: at + 1000,
        messageId: `${sessionId}-u`,
        role: "user",
        text: `prompt on ${name}`,
        createdAt: at + 1000
      })
    ]
  })
  const response = await fetch(`${server.url}/sync/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
    body: JSON.stringify({ events })
  })
  expect(response.status).toBe(200)
  expect(((await response.json()) as { rejected: Array<unknown> }).rejected).toEqual([])
}

const statusWith = async (server: RunningServer, token: string) =>
  (await fetch(`${server.url}/api/sessions?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status

const storage = () =>
  page.evaluate(() => ({
    local: JSON.stringify({ ...localStorage }),
    session: sessionStorage.getItem("opensync.session")
  }))

const rowTitles = async () => {
  await page.locator(".sessions-table tbody tr").first().waitFor()
  return (await page.locator(".sessions-table .title-link").allInnerTexts()).sort()
}

const signInForm = async (url: string, key: string) => {
  await page.getByLabel("Server URL").fill(url)
  await page.getByLabel("API key").fill(key)
  await page.getByRole("button", { name: "Sign in" }).click()
}

beforeAll(async () => {
  if (!hasBrowser) return
  mkdirSync(shots, { recursive: true })
  ;[a, b] = await Promise.all([startServer(), startServer()])
  await Promise.all([seed(a, "A"), seed(b, "B")])
  ;({ browser, context, page } = await launch(pageErrors))
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text())
  })
  page.on("response", (response) => {
    if (response.url().startsWith(b.url))
      corsResponses.push({
        url: response.url(),
        allowCredentials: response.headers()["access-control-allow-credentials"] ?? null
      })
  })
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await Promise.all([a?.stop(), b?.stop()])
})

describe.skipIf(!hasBrowser)("dashboard on origin A signed in to server B", () => {
  it("a wrong key gives a clear error on the sign-in form", async () => {
    expect(new URL(a.url).origin).not.toBe(new URL(b.url).origin)
    await page.goto(`${a.url}/sessions`)
    await page.getByLabel("API key").waitFor()
    // A real key, but of server A: B does not know it.
    await signInForm(b.url, a.key)
    const alert = page.getByRole("alert")
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/^Invalid API key: it does not exist or was revoked\./)
    // Not an API key at all: refused before anything is sent.
    await signInForm(b.url, "not-a-key")
    await page.getByRole("alert").filter({ hasText: 'API keys start with "osk_"' }).waitFor()
    expect(await page.locator(".sessions-table").count()).toBe(0)
    expect((await storage()).session).toBeNull()
  })

  it("signs in with Server URL = B and shows B's sessions; the token is in sessionStorage only", async () => {
    await signInForm(b.url, b.key)
    expect(await rowTitles()).toEqual(titlesOn("B"))
    expect(page.url()).toBe(`${a.url}/sessions`)
    expect(await page.locator(".user").getAttribute("title")).toBe(`Signed in to ${b.url}`)
    const stored = await storage()
    expect(stored.local).not.toMatch(/osk_|oss_/)
    expect(stored.local).not.toContain(b.key)
    const session = JSON.parse(stored.session ?? "null") as { baseUrl: string; token: string }
    expect(session.baseUrl).toBe(b.url)
    expect(session.token).toMatch(/^oss_/)
    expect(stored.session).not.toContain(b.key)
    expect(await statusWith(b, session.token)).toBe(200)
    // CORS without credentials: B never answers "allow credentials", and the browser holds no cookie for it.
    expect(corsResponses.length).toBeGreaterThan(0)
    expect(corsResponses.filter((r) => r.allowCredentials !== null)).toEqual([])
    expect(await context.cookies()).toEqual([])
    await page.screenshot({ path: join(shots, "cross-origin.png"), fullPage: true })
  })

  it("is still signed in to B after a reload", async () => {
    await page.reload()
    expect(await rowTitles()).toEqual(titlesOn("B"))
    expect(await page.locator(".user").getAttribute("title")).toBe(`Signed in to ${b.url}`)
    expect((await storage()).local).not.toMatch(/osk_|oss_/)
  })

  it("sign-out revokes the token on B and forgets it", async () => {
    const token = (JSON.parse((await storage()).session ?? "null") as { token: string }).token
    expect(await statusWith(b, token)).toBe(200)
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByLabel("API key").waitFor()
    expect(await statusWith(b, token)).toBe(401)
    const after = await storage()
    expect(after.session).toBeNull()
    expect(after.local).not.toMatch(/osk_|oss_/)
    await page.reload()
    await page.getByLabel("API key").waitFor()
    expect(await page.locator(".sessions-table").count()).toBe(0)
    expect(pageErrors.filter((e) => !/401|Unauthorized/.test(e))).toEqual([])
  })
})
