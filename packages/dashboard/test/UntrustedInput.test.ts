import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import { hasBrowser, launch, screenshotDir } from "@opensync/testkit/Browser"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import type { Browser, BrowserContext, Page } from "playwright-core"

/**
 * The dashboard in Chromium with what other people control: session ids, titles, project names and branches come from
 * whoever holds an ingest key (a plugin machine), and a `#key=` link from any web page. None of it may reach another
 * API route, sign the browser into another account, or push the page off the screen.
 */

let server: RunningServer
let browser: Browser
let context: BrowserContext
let page: Page
const pageErrors: Array<string> = []

/** Ids that mean something in a URL path; `..%2Fdata` is literal (the page URL must be decoded exactly once). */
const oddIds = ["../data", "a/b", "q?x=1#frag", "100%", "..%2Fdata"] as const
const normalId = "plain-session"
const titleOf = (id: string) => `Session with the id ${id}`
const longId = "long-texts"
const longTitle = "L".repeat(3000)
const longProject = "P".repeat(500)
const longBranch = "b".repeat(300)

const api = async (path: string, key = server.key, init: RequestInit = {}) => {
  const response = await fetch(server.url + path, {
    ...init,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }
  })
  return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> }
}

const sessionIds = async () =>
  ((await api("/api/sessions?limit=200")).body.sessions as Array<{ id: string }>).map((s) => s.id).sort()

const seed = async () => {
  const now = Date.now()
  const events = [...oddIds, normalId].flatMap((sessionId, i) => {
    const at = now - (i + 1) * 60_000
    return [
      Event.make({ kind: "session", source: "claude-code", sessionId, at, title: titleOf(sessionId), startedAt: at }),
      Event.make({
        kind: "message",
        source: "claude-code",
        sessionId,
        at: at + 1000,
        messageId: "u1",
        role: "user",
        text: `the prompt of ${sessionId}`,
        createdAt: at + 1000
      })
    ]
  })
  const at = now - 3_600_000
  events.push(
    Event.make({
      kind: "session",
      source: "claude-code",
      sessionId: longId,
      at,
      title: longTitle,
      projectName: longProject,
      projectPath: `/${"d".repeat(900)}`,
      gitBranch: longBranch,
      model: "m".repeat(200),
      startedAt: at
    }),
    Event.make({
      kind: "message",
      source: "claude-code",
      sessionId: longId,
      at: at + 1000,
      messageId: "u1",
      role: "user",
      text: "x".repeat(5000),
      createdAt: at + 1000
    })
  )
  const reply = await api("/sync/events", server.key, { method: "POST", body: JSON.stringify({ events }) })
  expect(reply.status).toBe(200)
  expect(reply.body.rejected).toEqual([])
}

beforeAll(async () => {
  if (!hasBrowser) return
  mkdirSync(screenshotDir, { recursive: true })
  server = await startServer()
  await seed()
  ;({ browser, context, page } = await launch(pageErrors))
  await page.goto(`${server.url}/#key=${server.key}`)
  await page.getByRole("heading", { name: "Overview" }).waitFor()
}, 60_000)

afterEach(async (test) => {
  if (test.task.result?.state === "fail" && page !== undefined) {
    const name = `failed-${test.task.name.replace(/\W+/g, "-").slice(0, 60)}`
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true }).catch(() => undefined)
  }
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** How far the page reaches past the right edge of the window (0: not at all). */
const overflow = (target: Page = page) =>
  target.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)

describe.skipIf(!hasBrowser)("dashboard with untrusted input", () => {
  it("session ids with /, ?, #, % and ../ open from the list and by URL, each its own session", async () => {
    const requests: Array<string> = []
    const onRequest = (request: { url: () => string; method: () => string }) => {
      if (new URL(request.url()).pathname.startsWith("/api/")) requests.push(`${request.method()} ${request.url()}`)
    }
    page.on("request", onRequest)
    try {
      for (const id of [...oddIds, normalId]) {
        await page.goto(`${server.url}/sessions?limit=100`)
        await page.locator(".sessions-table .title-link", { hasText: titleOf(id) }).click()
        await page.getByRole("heading", { name: titleOf(id), exact: true }).waitFor()
        expect(new URL(page.url()).pathname).toBe(`/sessions/${encodeURIComponent(id)}`)
        expect(await page.locator(".msg-text").innerText()).toBe(`the prompt of ${id}`)
        // the same page from its URL (a reload, a shared link), ids with a dot too (`..%2Fdata`: the server's deep-link
        // fallback took its last segment for a file name and answered 404)
        await page.reload()
        await page.getByRole("heading", { name: titleOf(id), exact: true }).waitFor()
      }
    } finally {
      page.off("request", onRequest)
    }
    for (const id of [...oddIds, normalId]) {
      expect(requests).toContain(`GET ${server.url}/api/sessions/${encodeURIComponent(id)}`)
    }
    expect(requests.filter((r) => !r.includes("/api/sessions") && !r.includes("/api/facets"))).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('deleting the session "../data" deletes that session only (not DELETE /api/data)', async () => {
    const before = await sessionIds()
    expect(before).toEqual([...oddIds, normalId, longId].sort())
    await page.goto(`${server.url}/sessions/${encodeURIComponent("../data")}`)
    await page.getByRole("heading", { name: titleOf("../data"), exact: true }).waitFor()
    const deletes: Array<string> = []
    const onRequest = (request: { url: () => string; method: () => string }) => {
      if (request.method() === "DELETE") deletes.push(request.url())
    }
    page.on("request", onRequest)
    const dialogs: Array<string> = []
    page.on("dialog", (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`)
      void dialog.accept()
    })
    try {
      await page.getByRole("button", { name: "Delete", exact: true }).click()
      await page.waitForURL(`${server.url}/sessions`)
      await page.locator(".sessions-table .title-link").first().waitFor()
    } finally {
      page.off("request", onRequest)
      page.removeAllListeners("dialog")
    }
    expect(deletes).toEqual([`${server.url}/api/sessions/..%2Fdata`])
    expect(dialogs).toHaveLength(1)
    expect(dialogs[0]).toMatch(/^confirm: Delete "Session with the id \.\.\/data"/)
    expect(await sessionIds()).toEqual(before.filter((id) => id !== "../data"))
    expect(await page.locator(".sessions-table .title-link", { hasText: titleOf("../data") }).count()).toBe(0)
    expect(await page.locator(".sessions-table .title-link", { hasText: titleOf("..%2Fdata") }).count()).toBe(1)
  })

  it("a #key= link does not replace the sign-in a browser holds: it is ignored, with a notice", async () => {
    const other = (
      await server.cli(["keys", "create", "--name", "other", "--scope", "full", "--user", "someone"])
    ).match(/osk_[0-9A-Za-z]+/)?.[0]
    expect(other).toBeDefined()
    const otherKey = other as string
    expect(((await api("/auth/me", otherKey)).body.user as { id: string }).id).toBe("someone")
    await page.goto(`${server.url}/settings`)
    await page.getByRole("heading", { name: "Settings" }).waitFor()
    const me = (await api("/auth/me")).body.user as { name: string }
    expect(await page.locator(".user").innerText()).toBe(me.name)

    // a link on another page, as a click on it opens it
    const link = await context.newPage()
    await link.setContent(`<a id="go" href="${server.url}/settings#key=${otherKey}">see your usage</a>`)
    await Promise.all([link.waitForURL(`${server.url}/settings`), link.click("#go")])
    const notice = link.getByTestId("notice")
    await notice.waitFor()
    expect(await notice.locator("span").innerText()).toBe(
      `You are already signed in as ${me.name}; sign out first to use the key in this link.`
    )
    expect(link.url()).toBe(`${server.url}/settings`)
    expect(await link.locator(".user").innerText()).toBe(me.name)
    // nothing was exchanged for the link's key: its account has no sign-in
    expect((await api("/api/sign-ins", otherKey)).body.signIns).toEqual([])
    await link.getByRole("button", { name: "Dismiss" }).click()
    expect(await notice.count()).toBe(0)
    await link.close()
    await page.reload()
    await page.getByRole("heading", { name: "Settings" }).waitFor()
    expect(await page.locator(".user").innerText()).toBe(me.name)

    // not signed in: the link signs in with its key, as before
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const p = await fresh.newPage()
    await p.goto(`${server.url}/settings#key=${otherKey}`)
    await p.getByRole("heading", { name: "Settings" }).waitFor()
    expect(await p.locator(".user").innerText()).toBe("someone")
    expect(p.url()).toBe(`${server.url}/settings`)
    expect(await p.getByTestId("notice").count()).toBe(0)
    await fresh.close()
  })

  it("a 3,000-character title, a 500-character project and a 300-character branch stay on the screen", async () => {
    const tolerance = 2
    await page.goto(`${server.url}/sessions/${longId}`)
    await page.getByRole("heading", { name: longTitle }).waitFor()
    expect(await overflow()).toBeLessThanOrEqual(tolerance)
    const meta = page.locator(".page-head .meta")
    expect(await meta.locator("span", { hasText: longProject }).getAttribute("title")).toBe(`/${"d".repeat(900)}`)
    expect(await meta.locator("span", { hasText: longBranch }).getAttribute("title")).toBe(longBranch)
    await page.screenshot({ path: join(screenshotDir, "long-session.png") })

    for (const path of ["/sessions", `/sessions?project=${longProject}`]) {
      await page.goto(server.url + path)
      const row = page.locator(".sessions-table tbody tr", { hasText: longProject })
      await row.waitFor()
      expect(await overflow()).toBeLessThanOrEqual(tolerance)
      // the figures are on the screen, not beyond the width of the title
      const width = page.viewportSize()?.width ?? 0
      for (const header of ["Messages", "Tokens", "Cost", "Duration"]) {
        const box = await page.locator(".sessions-table thead th", { hasText: header }).boundingBox()
        expect(box === null ? Number.POSITIVE_INFINITY : box.x + box.width, header).toBeLessThanOrEqual(width)
      }
      expect(await row.locator(".title-link").getAttribute("title")).toBe(longTitle)
      expect(await row.locator(".meta span", { hasText: longProject }).getAttribute("title")).toBe(
        `/${"d".repeat(900)}`
      )
    }
    await page.screenshot({ path: join(screenshotDir, "long-sessions.png") })

    for (const path of ["/", "/projects"]) {
      await page.goto(server.url + path)
      await page.locator(".table a", { hasText: longProject }).first().waitFor()
      expect(await overflow(), path).toBeLessThanOrEqual(tolerance)
      for (const wrap of await page.locator(".table-wrap").all()) {
        expect(await wrap.evaluate((el) => el.scrollWidth - el.clientWidth), path).toBeLessThanOrEqual(tolerance)
      }
    }
    expect(pageErrors).toEqual([])
  })
})
