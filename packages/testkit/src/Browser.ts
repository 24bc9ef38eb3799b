/** Debian's chromium through playwright-core (it cannot download browsers here), as both browser test files use it. */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"

export const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
export const hasBrowser = existsSync(executablePath)
export const screenshotDir = resolve(import.meta.dirname, "../../../test-output/screenshots")

/** Chromium headless with the flags that work offline as root; one light 1280×860 page that records page errors. */
export const launch = async (
  pageErrors: Array<string>
): Promise<{ readonly browser: Browser; readonly context: BrowserContext; readonly page: Page }> => {
  const browser = await chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  page.on("pageerror", (error) => pageErrors.push(error.message))
  return { browser, context, page }
}
