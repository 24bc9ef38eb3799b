/** The browser both browser test files use: Debian's chromium, launched as `Chromium.mjs` launches it. */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { executablePath, launchChromium } from "./Chromium.mjs"

export { executablePath }
export const hasBrowser = existsSync(executablePath)
export const screenshotDir = resolve(import.meta.dirname, "../../../test-output/screenshots")

/** Chromium headless with the flags that work offline as root; one light 1280×860 page that records page errors. */
export const launch = async (
  pageErrors: Array<string>
): Promise<{ readonly browser: Browser; readonly context: BrowserContext; readonly page: Page }> => {
  const browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  page.on("pageerror", (error) => pageErrors.push(error.message))
  return { browser, context, page }
}
