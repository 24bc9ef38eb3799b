import { afterEach } from "vitest"

// A test worker answers the main process (`onTaskUpdate`, the results it reports) only when its event loop turns, and
// fails the run with "[vitest-worker]: Timeout calling onTaskUpdate" when an answer waits more than 60 s. Synchronous
// tests run back to back without letting it turn: a file of them that takes over a minute on a loaded machine (the
// redaction tests took 71 s in one CI run) failed the whole run after every test had passed. After each test the
// loop now turns once. Taken before any test fakes the timers: a fake `setImmediate` would never fire here.
const turn: (callback: () => void) => unknown =
  globalThis.setImmediate ?? ((callback: () => void) => globalThis.setTimeout(callback, 0))

afterEach(() => new Promise<void>((resolve) => turn(resolve)))
