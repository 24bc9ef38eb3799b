import type { Browser } from "playwright-core"

/** `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export declare const executablePath: string
/** Chromium headless, offline, as root. */
export declare const launchChromium: () => Promise<Browser>
