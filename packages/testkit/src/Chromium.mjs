// Debian's chromium through playwright-core (it cannot download browsers here), with the flags that work offline as
// root. Plain JavaScript so that the benchmarks (`bench/dashboard.mjs`) launch the same browser the same way as the
// browser tests (`Browser.ts`).
import { chromium } from "playwright-core"

export const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

/** Chromium headless, offline, as root. */
export const launchChromium = () =>
  chromium.launch({
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
