import { chmodSync, mkdirSync, statSync } from "node:fs"

/**
 * Makes `dir` (and its parents) readable by its owner only, and takes a wider mode away from it (a folder made before,
 * under a umask of 022): the state folders hold prompts and replies, queued and logged.
 */
export const privateDirectory = (dir: string): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const mode = statSync(dir).mode
  if ((mode & 0o077) !== 0) chmodSync(dir, mode & 0o700)
}
