import { mkdirSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@effect/vitest"
import { hasBrowser, launch, screenshotDir } from "@opensync/testkit/Browser"
import { type RunningServer, startServer } from "@opensync/testkit/Server"
import type { Browser, BrowserContext, Page } from "playwright-core"
import {
  canonicalToolOf,
  richSessionId,
  richTitle,
  seedEvents,
  sessionCount,
  sourceOf,
  toolOf
} from "./support/seed.js"

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core; Playwright gives each launch a fresh
 * profile) against the real server, seeded through the real ingest API. Screenshots go to test-output/screenshots/.
 */

const shots = screenshotDir

let server: RunningServer
let browser: Browser
let context: BrowserContext
let page: Page
const pageErrors: Array<string> = []

const api = async (path: string, init: RequestInit & { key?: string } = {}) => {
  const response = await fetch(server.url + path, {
    ...init,
    headers: { authorization: `Bearer ${init.key ?? server.key}`, "content-type": "application/json" }
  })
  return { status: response.status, body: (await response.json().catch(() => null)) as Record<string, unknown> }
}

const shot = (name: string, target: Page = page) =>
  target.screenshot({ path: join(shots, `${name}.png`), fullPage: true })

const rows = () => page.locator(".sessions-table tbody tr")

beforeAll(async () => {
  if (!hasBrowser) return
  mkdirSync(shots, { recursive: true })
  server = await startServer()
  const events = seedEvents(Date.now())
  for (let i = 0; i < events.length; i += 500) {
    const reply = await api("/sync/events", {
      method: "POST",
      body: JSON.stringify({ events: events.slice(i, i + 500) })
    })
    expect(reply.status).toBe(200)
    expect(reply.body.rejected).toEqual([])
  }
  ;({ browser, context, page } = await launch(pageErrors))
}, 60_000)

afterEach(async (context) => {
  if (context.task.result?.state === "fail" && page !== undefined) {
    await shot(`failed-${context.task.name.replace(/\W+/g, "-").slice(0, 60)}`).catch(() => undefined)
  }
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe.skipIf(!hasBrowser)("dashboard in Chromium", () => {
  it("shows only the sign-in form without a session, and the API refuses anonymous reads", async () => {
    const anonymous = await browser.newPage()
    await anonymous.goto(`${server.url}/sessions`)
    await anonymous.getByLabel("API key").waitFor()
    expect(await anonymous.locator(".sessions-table").count()).toBe(0)
    expect(await anonymous.getByLabel("Server URL").inputValue()).toBe(server.url)
    // The help names the command that works where this server runs: a clone of the repository.
    await anonymous.getByText("Where do I get a key?").click()
    await anonymous
      .locator("code", { hasText: "npm run opensync -- keys create --name dashboard --scope full" })
      .waitFor()
    await shot("sign-in", anonymous)
    const reply = await anonymous.request.get(`${server.url}/api/sessions`)
    expect(reply.status()).toBe(401)
    await anonymous.close()
  })

  it("signs in from the first-run link, strips the key from the URL and keeps the token out of JavaScript", async () => {
    await page.goto(`${server.url}/#key=${server.key}`)
    await page.getByRole("heading", { name: "Overview" }).waitFor()
    expect(page.url()).toBe(`${server.url}/`)
    const cookies = await context.cookies()
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))).toEqual([
      { name: "opensync_session", httpOnly: true, sameSite: "Strict" }
    ])
    const visible = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage })
    }))
    expect(visible.cookie).toBe("")
    expect(`${visible.local}${visible.session}`).not.toMatch(/osk_|oss_/)
  })

  it("sends nothing that works to another server on the same host: its replay of what it got is refused", async () => {
    // Browsers send cookies to every port of a host; a local dev server on another port sees the dashboard's cookie.
    const received: Array<Record<string, string | Array<string> | undefined>> = []
    const other = createServer((request, response) => {
      received.push({ ...request.headers })
      response.writeHead(200, { "content-type": "text/html" })
      response.end("<!doctype html><title>another local server</title><img src=/pixel.png>")
    })
    await new Promise<void>((done) => other.listen(0, "127.0.0.1", done))
    const port = (other.address() as AddressInfo).port
    try {
      const visit = await context.newPage()
      await visit.goto(`http://127.0.0.1:${port}/`)
      await visit.waitForLoadState("networkidle")
      await visit.close()
      const cookies = received.map((headers) => String(headers.cookie ?? ""))
      expect(cookies.some((cookie) => cookie.includes("opensync_session="))).toBe(true)
      for (const headers of received) {
        const { host: _host, "content-length": _length, ...replayed } = headers
        const plain = Object.fromEntries(
          Object.entries(replayed).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))
        )
        for (const [method, path] of [
          ["GET", "/api/sessions"],
          ["GET", "/api/keys"],
          ["GET", "/auth/me"],
          ["POST", "/api/keys"]
        ] as const) {
          const reply = await fetch(`${server.url}${path}`, {
            method,
            headers: { ...plain, "content-type": "application/json", "x-opensync-request": "1" },
            ...(method === "POST" ? { body: JSON.stringify({ name: "stolen" }) } : {})
          })
          expect(`${method} ${path} ${reply.status}`).toBe(`${method} ${path} 401`)
        }
      }
      // the dashboard itself still works: its page holds the other half
      await page.reload()
      await page.getByRole("heading", { name: "Overview" }).waitFor()
    } finally {
      await new Promise((done) => other.close(done))
    }
  })

  it("overview: totals, the usage chart, tables and recent sessions", async () => {
    const sessions = page.locator(".stat", { hasText: "Sessions" }).locator(".stat-value")
    await sessions.waitFor()
    expect(Number((await sessions.innerText()).replace(/,/g, ""))).toBe(sessionCount + 2)
    await page.locator(".chart canvas").first().waitFor()
    // The recent sessions are a query of their own: under load they can arrive after the chart.
    await page.locator(".recent li").nth(7).waitFor()
    expect(await page.locator(".recent li").count()).toBe(8)
    await page.getByRole("radio", { name: "By model" }).click()
    await page.getByRole("radio", { name: "Cost", exact: true }).click()
    await page.getByRole("radio", { name: "Week", exact: true }).click()
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
      metric: "cost",
      split: "model",
      bucket: "week"
    })
    await page.locator(".u-legend", { hasText: "claude-opus-4-1" }).waitFor()
    await page.getByRole("radio", { name: "7 days" }).click()
    await page.waitForFunction(() => new URL(location.href).searchParams.get("range") === "7")
    await page.getByRole("radio", { name: "By source" }).click()
    await page.getByRole("radio", { name: "Tokens", exact: true }).click()
    await page.getByRole("radio", { name: "Day", exact: true }).click()
    await page.getByRole("radio", { name: "30 days" }).click()
    await page.locator(".u-legend", { hasText: "Claude Code" }).waitFor()
    await shot("overview")
  })

  it("sessions: real pagination over every session, filters and search in the URL, sorting", async () => {
    await page.getByRole("link", { name: "Sessions", exact: true }).click()
    await rows().first().waitFor()
    expect(await rows().count()).toBe(50)
    await shot("sessions")
    const seen = new Set(await page.locator(".sessions-table .title-link").allInnerTexts())
    await page.getByRole("button", { name: "Next →" }).click()
    await page.waitForFunction(() => new URL(location.href).searchParams.get("page") === "2")
    await page.locator(".pager", { hasText: "51–100" }).waitFor()
    for (const title of await page.locator(".sessions-table .title-link").allInnerTexts()) seen.add(title)
    await page.getByRole("button", { name: "Next →" }).click()
    await page.locator(".pager", { hasText: `101–${sessionCount + 2}` }).waitFor()
    for (const title of await page.locator(".sessions-table .title-link").allInnerTexts()) seen.add(title)
    expect(seen.size).toBe(sessionCount + 2)
    expect(await page.getByRole("button", { name: "Next →" }).isDisabled()).toBe(true)
    await page.getByRole("button", { name: "← Previous" }).click()
    await page.locator(".pager", { hasText: "51–100" }).waitFor()

    await page.getByLabel("Source").selectOption("opencode")
    await page.waitForFunction(() => new URL(location.href).searchParams.get("source") === "opencode")
    await page.locator(".pager", { hasText: "1–33" }).waitFor()
    const chips = await page.locator(".sessions-table .chip-opencode").count()
    expect(chips).toBe(33)
    expect(await page.locator(".sessions-table .chip-claude-code").count()).toBe(0)
    // The chip's colours come from the domain's Sources table (OpenCode: #e8f4ff on #1d64b5).
    const chip = page.locator(".sessions-table .chip-opencode").first()
    expect(await chip.evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color])).toEqual([
      "rgb(232, 244, 255)",
      "rgb(29, 100, 181)"
    ])

    await page.getByLabel("Project").selectOption("infra")
    await page.locator(".pager", { hasText: "1–11" }).waitFor()
    const projects = await page.locator(".sessions-table .meta span:nth-child(2)").allInnerTexts()
    expect(new Set(projects)).toEqual(new Set(["infra"]))

    await page.getByRole("button", { name: "Clear filters" }).click()
    await page.getByLabel("Search").fill("flaky checkout")
    await page.waitForFunction(() => new URL(location.href).searchParams.get("q") === "flaky checkout")
    await page.locator(".pager", { hasText: "1–1" }).waitFor()
    expect(await page.locator(".sessions-table .title-link").allInnerTexts()).toEqual([richTitle])

    await page.goto(`${server.url}/sessions?sort=costUsd&order=asc&limit=25`)
    await page.locator(".pager", { hasText: "1–25" }).waitFor()
    const costs = await page.locator(".sessions-table tbody td:nth-child(5)").allInnerTexts()
    const values = costs.map((c) => Number(c.replace(/[$,]/g, "")))
    expect(values).toEqual([...values].sort((a, b) => a - b))
    await page.getByRole("button", { name: /^Cost/ }).click()
    await page.waitForFunction(() => new URL(location.href).searchParams.get("order") === "desc")
  })

  it("session detail: markdown replies, thinking collapsed, tool calls, subagents, tokens and cost; export", async () => {
    await page.goto(`${server.url}/sessions/${richSessionId}`)
    await page.getByRole("heading", { name: richTitle }).waitFor()
    const reply = page.locator(".msg-assistant .markdown")
    expect(await reply.locator("strong").innerText()).toBe("a race")
    expect(await reply.locator("ol li").count()).toBe(2)
    expect(await reply.locator("pre code").innerText()).toContain("await flushPromises()")
    expect(await reply.locator("script").count()).toBe(0)
    expect(await reply.innerText()).toContain("<script>alert(1)</script>")
    const thinking = page.locator("details.thinking")
    expect(await thinking.getAttribute("open")).toBeNull()
    await thinking.locator("summary").click()
    expect(await thinking.innerText()).toContain("timer ordering")
    const failed = page.locator(".tool-error")
    expect(await failed.locator(".tool-input").innerText()).toBe("npm test -- checkout")
    expect(await failed.locator(".chip").innerText()).toBe("failed (exit 1)")
    expect(await failed.innerText()).toContain("4.2 s")
    expect(await page.locator(".msg-assistant .msg-usage").first().innerText()).toMatch(/72\.6K tokens · \$\d/)
    await page.getByRole("link", { name: "Search for timer usage" }).waitFor()
    await shot("session-detail")

    const [markdown] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export Markdown" }).click()
    ])
    expect(markdown.suggestedFilename()).toBe(`opensync-${richSessionId}.md`)
    const [json] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export JSON" }).click()
    ])
    const text = await (await json.createReadStream()).toArray()
    expect(JSON.parse(Buffer.concat(text).toString()).session.id).toBe(richSessionId)

    await page.getByRole("link", { name: "Search for timer usage" }).click()
    await page.getByRole("link", { name: "Parent session" }).waitFor()
  })

  it("session detail: notifications, commands and summaries as muted lines; a subagent's task from the parent agent", async () => {
    await page.goto(`${server.url}/sessions/${richSessionId}`)
    await page.getByRole("heading", { name: richTitle }).waitFor()
    const notification = page.locator(".note-notification")
    expect(await notification.locator(".note-label").textContent()).toBe("Notification")
    expect(await notification.locator("summary").textContent()).toBe('Agent "Find timers" finished')
    expect(await notification.locator("details").getAttribute("open")).toBeNull()
    await notification.locator("summary").click()
    expect(await notification.textContent()).toContain("Timers are used in cart.ts and checkout.ts.")
    expect(await page.locator(".note-command code").textContent()).toBe("/compact")
    expect(await page.locator(".note-command-output .note-text").textContent()).toBe("Compacted")
    expect(await page.locator(".note-summary summary").textContent()).toBe(
      "This session is being continued from a previous conversation."
    )
    // Only what the user typed is "You"; the subagent's task is the parent agent's.
    expect(await page.locator(".msg-user .msg-role").allTextContents()).toEqual(["You"])
    const delegation = page.locator(".msg-delegation")
    expect(await delegation.locator(".msg-role").textContent()).toBe("Parent agent")
    expect(await delegation.locator(".msg-text").textContent()).toBe("Find every use of timers in src/")
    expect(await page.locator(".msg", { hasText: 'Agent "Find timers" finished' }).count()).toBe(0)
    await shot("session-notes")

    await page.getByRole("link", { name: "Search for timer usage" }).click()
    await page.locator(".msg-delegation", { hasText: "Search src/ for timers" }).waitFor()
    expect(await page.locator(".msg-delegation .msg-role").textContent()).toBe("Parent agent")
    expect(await page.locator(".msg-user").count()).toBe(0)
  })

  it("deletes a session after confirmation", async () => {
    await page.goto(`${server.url}/sessions/s-007`)
    await page.getByRole("heading", { name: /Task 7/ }).waitFor()
    page.once("dialog", (dialog) => dialog.accept())
    await page.getByRole("button", { name: "Delete" }).click()
    await page.waitForURL(`${server.url}/sessions`)
    expect((await api("/api/sessions/s-007")).status).toBe(404)
    await rows().first().waitFor()
    expect(await page.locator(".sessions-table .title-link", { hasText: "Task 7:" }).count()).toBe(0)
  })

  it("tools: calls, failure rate and durations per tool, by project", async () => {
    await page.getByRole("link", { name: "Tools", exact: true }).click()
    const bash = page.locator(".tools-table tbody tr", { hasText: "Bash" })
    await bash.waitFor()
    expect(await page.locator(".tools-table tbody tr").count()).toBe(5)
    await page.locator(".chart canvas").waitFor()
    await shot("tools")
    await page.getByLabel("Project").selectOption("compiler")
    await page.waitForFunction(() => new URL(location.href).searchParams.get("project") === "compiler")
    await page.locator(".summary", { hasText: "42 calls" }).waitFor()
  })

  it("every agent in its own label and colour (source filter, overview, tools); tools counted under one name, each agent's kept", async () => {
    // s-007 was deleted above.
    const seeded = Array.from({ length: sessionCount }, (_, i) => i).filter((i) => i !== 7)
    const of = (source: string) => seeded.filter((i) => sourceOf(i) === source)
    const agents = [
      { id: "codex-cli", label: "Codex", colors: ["rgb(233, 247, 239)", "rgb(21, 128, 61)"] },
      { id: "gemini-cli", label: "Gemini CLI", colors: ["rgb(241, 236, 255)", "rgb(109, 40, 217)"] }
    ]
    await page.goto(`${server.url}/?split=source`)
    const sourcesCard = page.locator(".card", { has: page.getByRole("heading", { name: "Sources" }) })
    await sourcesCard.locator("a", { hasText: "Gemini CLI" }).waitFor()
    expect(new Set(await sourcesCard.locator("th a").allInnerTexts())).toEqual(
      new Set(["Claude Code", "OpenCode", "Codex", "Gemini CLI"])
    )
    for (const agent of agents) {
      expect(await sourcesCard.locator("tr", { hasText: agent.label }).locator("td").first().textContent()).toBe(
        `${of(agent.id).length} sessions`
      )
      await page.locator(".u-legend", { hasText: agent.label }).waitFor()
    }
    const filterOptions = await page.getByLabel("Source").locator("option").allInnerTexts()
    expect(filterOptions).toEqual(expect.arrayContaining(["Codex", "Gemini CLI"]))

    for (const agent of agents) {
      await page.goto(`${server.url}/sessions?source=${agent.id}`)
      await page.locator(".pager", { hasText: `1–${of(agent.id).length}` }).waitFor()
      const chips = page.locator(`.sessions-table .chip-${agent.id}`)
      expect(await chips.count()).toBe(of(agent.id).length)
      expect(await chips.first().textContent()).toBe(agent.label)
      expect(
        await chips.first().evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color])
      ).toEqual(agent.colors)
    }

    // Tools: Gemini CLI's run_shell_command, Codex's exec_command, OpenCode's bash and Claude Code's Bash are one tool.
    await page.goto(`${server.url}/tools?source=gemini-cli`)
    const toolRows = page.locator(".tools-table tbody tr")
    await toolRows.first().waitFor()
    expect(new Set(await toolRows.locator(".tool-name").allInnerTexts())).toEqual(
      new Set(["Bash", "Read", "Edit", "Grep"])
    )
    await page.goto(`${server.url}/tools`)
    const bash = page.locator(".tools-table tbody tr", { has: page.locator(".tool-name", { hasText: /^Bash$/ }) })
    await bash.waitFor()
    // Every seeded Bash call of every agent, and the rich session's.
    expect(await bash.locator("td").first().textContent()).toBe(
      String(seeded.filter((i) => canonicalToolOf(i) === "Bash").length + 1)
    )
    expect(await bash.locator(".tool-desc").textContent()).toBe("runs a shell command")
    const aliases = (await bash.locator(".tool-name").getAttribute("title")) ?? ""
    for (const alias of [
      "Claude Code: Bash",
      "OpenCode: bash",
      "Codex: exec_command",
      "Gemini CLI: run_shell_command"
    ]) {
      expect(aliases).toContain(alias)
    }
    await shot("tools-all-agents")

    // A session keeps its agent's own name for the call, next to the name it is counted under.
    const gemini = of("gemini-cli").find((i) => canonicalToolOf(i) === "Bash")!
    await page.goto(`${server.url}/sessions/s-${String(gemini).padStart(3, "0")}`)
    await page.locator(".tool .tool-name").waitFor()
    expect(await page.locator(".tool .tool-name").textContent()).toBe(toolOf(gemini))
    expect(toolOf(gemini)).toBe("run_shell_command")
    expect(await page.locator(".tool .tool-canonical").textContent()).toBe("Bash")
    expect(await page.locator(".chip-gemini-cli").first().textContent()).toBe("Gemini CLI")
  })

  it("projects: activity, tokens and cost per project", async () => {
    await page.getByRole("link", { name: "Projects", exact: true }).click()
    await page.locator(".projects-table tbody tr").first().waitFor()
    const names = await page.locator(".projects-table tbody th a").allInnerTexts()
    expect(new Set(names)).toEqual(new Set(["webshop", "compiler", "infra"]))
    // Figures line up on the right under their right-aligned headers
    const aligns = await page
      .locator(".projects-table td.num, .projects-table th.num")
      .evaluateAll((cells) => [...new Set(cells.map((cell) => getComputedStyle(cell).textAlign))])
    expect(aligns).toEqual(["right"])
    await shot("projects")
    await page.locator(".projects-table tbody th a", { hasText: "infra" }).click()
    await page.waitForURL(`${server.url}/sessions?project=infra`)
  })

  it("settings: generate a key (shown once, works), then revoke it (stops working)", async () => {
    await page.getByRole("link", { name: "Settings", exact: true }).click()
    expect(await page.getByTestId("server-url").innerText()).toBe(server.url)
    await page.getByLabel("Name").fill("e2e laptop")
    await page.getByRole("button", { name: "Generate API Key" }).click()
    const key = await page.getByTestId("new-key").innerText()
    expect(key).toMatch(/^osk_[0-9A-Za-z]{38}$/)
    // an ingest key, by default: it syncs, and cannot read
    expect((await api("/sync/sessions/list", { key })).status).toBe(200)
    expect((await api("/api/sessions?limit=1", { key })).status).toBe(403)
    const row = page.locator(".keys-table tbody tr", { hasText: "e2e laptop" })
    await row.waitFor()
    expect(await row.locator("td").nth(2).innerText()).toBe("ingest")
    await shot("settings")
    page.once("dialog", (dialog) => dialog.accept())
    await row.getByRole("button", { name: "Revoke" }).click()
    await row.locator("text=revoked").waitFor()
    expect((await api("/sync/sessions/list", { key })).status).toBe(401)
  })

  it("settings: a full key on request; lists this browser's sign-in; revoking a key signs its browsers out at once", async () => {
    await page.goto(`${server.url}/settings`)
    await page.getByLabel("Name").fill("admin laptop")
    await page.getByLabel("Scope").selectOption("full")
    await page.getByRole("button", { name: "Generate API Key" }).click()
    const full = await page.getByTestId("new-key").innerText()
    expect((await api("/api/sessions?limit=1", { key: full })).status).toBe(200)
    expect((await page.getByTestId("sign-in").filter({ hasText: "(this browser)" }).count()) >= 1).toBe(true)

    const other = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const p = await other.newPage()
    await p.goto(`${server.url}/#key=${full}`)
    await p.getByRole("heading", { name: "Overview" }).waitFor()
    await page.reload()
    const signIns = page.getByTestId("sign-in")
    await signIns.filter({ hasText: "admin laptop" }).first().waitFor()
    await shot("settings-sign-ins")
    const keyRow = page.locator(".keys-table tbody tr", { hasText: "admin laptop" })
    page.once("dialog", (dialog) => dialog.accept())
    await keyRow.getByRole("button", { name: "Revoke" }).click()
    await keyRow.locator("text=revoked").waitFor()
    // The page open there: its next request is refused, and it goes back to the form at once, saying why (it kept its
    // figures on screen until a reload)
    await p.getByRole("link", { name: "Sessions", exact: true }).first().click()
    await p.getByLabel("API key").waitFor()
    await p.getByText("Your sign-in has ended: it was signed out, it expired, or its key was revoked.").waitFor()
    expect(await p.getByRole("button", { name: "Sign out" }).count()).toBe(0)
    await p.reload()
    await p.getByLabel("API key").waitFor()
    expect(await signIns.filter({ hasText: "admin laptop" }).count()).toBe(0)
    await other.close()
  })

  it("the plugin docs' flow: sign in with the form, Settings, Generate API Key, copy osk_…", async () => {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    await fresh.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url })
    const p = await fresh.newPage()
    await p.goto(server.url)
    await p.getByLabel("API key").fill(server.key)
    await p.getByRole("button", { name: "Sign in" }).click()
    await p.getByRole("heading", { name: "Overview" }).waitFor()
    await p.getByRole("link", { name: "Settings", exact: true }).click()
    await p.getByRole("button", { name: "Generate API Key" }).click()
    const key = await p.getByTestId("new-key").innerText()
    await p.locator(".new-key").getByRole("button", { name: "Copy" }).click()
    await p.locator(".new-key").getByRole("button", { name: "Copied ✓" }).waitFor()
    expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(key)
    await p.getByRole("button", { name: "Sign out" }).click()
    await p.getByLabel("API key").waitFor()
    expect((await p.request.get(`${server.url}/api/keys`)).status()).toBe(401)
    await fresh.close()
  })

  it("works on a phone, and in the dark theme", async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: "dark"
    })
    const p = await phone.newPage()
    await p.goto(`${server.url}/#key=${server.key}`)
    await p.locator(".stat-value").first().waitFor()
    await p.locator(".chart canvas").first().waitFor()
    await shot("overview-phone-dark", p)
    await p.getByRole("link", { name: "Sessions", exact: true }).click()
    await p.locator(".sessions-table tbody tr").first().waitFor()
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await shot("sessions-phone-dark", p)
    await phone.close()
  })

  it("keyboard: g s goes to sessions, / focuses the search box", async () => {
    await page.goto(`${server.url}/`)
    await page.getByRole("heading", { name: "Overview" }).waitFor()
    await page.keyboard.press("g")
    await page.keyboard.press("s")
    await page.getByRole("heading", { name: "Sessions" }).waitFor()
    await page.keyboard.press("/")
    await page.waitForFunction(() => document.activeElement?.id === "session-search")
  })

  it("deletes all my data, then shows a new user what to do next", async () => {
    await page.goto(`${server.url}/settings`)
    await page.getByLabel("Type DELETE to confirm").fill("DELETE")
    await page.getByRole("button", { name: "Delete all my data" }).click()
    await page.getByText(`Deleted ${sessionCount + 1} sessions`).waitFor()
    expect((await api("/api/sessions")).body.sessions).toEqual([])
    await page.getByRole("link", { name: "Sessions", exact: true }).click()
    await page.getByRole("heading", { name: "No sessions yet" }).waitFor()
    expect(await page.getByText("claude-code-sync import").count()).toBeGreaterThan(0)
    await shot("empty-state")
    expect(pageErrors).toEqual([])
  })
})
