import { execFileSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

/**
 * A real full disk for a real process: the process runs with its data on a small tmpfs, mounted in a mount namespace
 * of its own (`unshare --user --map-root-user --mount`, no root needed) or directly when the tests run as root.
 * Signals to the wrapper fill the tmpfs with a ballast file (`fill`) and free it again (`free`).
 */
export interface FullDisk {
  /** Where the tmpfs is mounted (inside the wrapped process's view). */
  readonly mountPoint: string
  /** The command prefix that runs a process with the tmpfs mounted. */
  readonly wrapper: ReadonlyArray<string>
  readonly fill: (pid: number) => Promise<void>
  readonly free: (pid: number) => Promise<void>
}

const script = resolve(__dirname, "../bin/tmpfs-wrapper.sh")

const works = (command: ReadonlyArray<string>): boolean => {
  try {
    execFileSync(command[0]!, [...command.slice(1), "true"], { stdio: "ignore", timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

/** How to mount a tmpfs here, or why it cannot be done. */
export const namespacePrefix = (): ReadonlyArray<string> | string => {
  const unshare = ["unshare", "--user", "--map-root-user", "--mount"]
  if (works(unshare)) return unshare
  if (process.getuid?.() === 0 && works(["unshare", "--mount"])) return ["unshare", "--mount"]
  return "neither user namespaces (unshare --user) nor root are available to mount a tmpfs"
}

const settle = () => new Promise((done) => setTimeout(done, 500))

/** A tmpfs of `sizeMb` for one process; fails with the reason when this machine cannot mount one. */
export const make = (sizeMb: number): FullDisk => {
  const prefix = namespacePrefix()
  if (typeof prefix === "string") throw new Error(`cannot simulate a full disk: ${prefix}`)
  const mountPoint = mkdtempSync(join(tmpdir(), "opensync-fulldisk-"))
  return {
    mountPoint,
    wrapper: [...prefix, script, String(sizeMb), mountPoint],
    fill: async (pid) => {
      process.kill(pid, "SIGUSR2")
      await settle()
    },
    free: async (pid) => {
      process.kill(pid, "SIGUSR1")
      await settle()
    }
  }
}
