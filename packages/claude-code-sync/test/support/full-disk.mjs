// Runs inside a mount namespace where `$STATE` (claude-code-sync's state directory) is a tiny tmpfs: the first hook
// payload of a session is stored (or, with LOGIN=1, only `login` runs), then the disk is filled to the last byte and the session's other payloads are fed to
// the hook, then status is read, the disk freed, and a sync run. Prints what each step gave, as JSON.
import { spawn, spawnSync } from "node:child_process"
import { closeSync, linkSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"

const { CLI, HOOK, STATE, PAYLOADS } = process.env
const payloads = JSON.parse(PAYLOADS)
const env = { ...process.env, CLAUDE_SYNC_AUTO_SYNC: "0" }
const node = (args, input = "") => {
  const run = spawnSync(process.execPath, args, { env, input, encoding: "utf8" })
  return { code: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr }
}

// With LOGIN set, only `login` runs before the disk fills (no hook has run yet), and every hook meets a full disk.
const login = process.env.LOGIN === "1"
const first = login
  ? node([CLI, "login", "--url", env.CLAUDE_SYNC_CONVEX_URL, "--key", env.CLAUDE_SYNC_API_KEY, "--no-telemetry"])
  : node([HOOK, payloads[0].event], payloads[0].stdin)

// Fill the disk: ever smaller writes until not one more byte fits.
const filler = join(STATE, "filler")
const fd = openSync(filler, "w")
for (let size = 1 << 20; size >= 1; size = Math.floor(size / 2)) {
  const chunk = Buffer.alloc(size, 1)
  for (;;) {
    try {
      writeSync(fd, chunk)
    } catch {
      break
    }
  }
}
closeSync(fd)

/** Runs the hook as Claude Code does, without waiting (hooks of several sessions run at the same time). */
const hookAsync = (payload) =>
  new Promise((done) => {
    const child = spawn(process.execPath, [HOOK, payload.event], { env })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }))
    child.stdin.end(payload.stdin)
  })

// With PARALLEL=N, the session's last payload is fed for N sessions at once (session ids `parallel-<i>`), as the
// hooks of N sessions ending together on a full disk; else the session's payloads one after another.
const parallel = Number(process.env.PARALLEL ?? 0)
// With STALE_LOCK=1, a hook killed while it held the failures file's lock left the lock behind, long enough ago
if (process.env.STALE_LOCK === "1") {
  linkSync(join(STATE, "failures.json"), join(STATE, "failures.json.lock"))
  await new Promise((done) => setTimeout(done, 5_500))
}
const hooks =
  parallel > 0
    ? await Promise.all(
        Array.from({ length: parallel }, (_, i) => {
          const last = payloads[payloads.length - 1]
          return hookAsync({
            ...last,
            stdin: JSON.stringify({ ...JSON.parse(last.stdin), session_id: `parallel-${i}` })
          })
        })
      )
    : payloads.slice(login ? 0 : 1).map((payload) => node([HOOK, payload.event], payload.stdin))
const failures = (() => {
  try {
    return JSON.parse(readFileSync(join(STATE, "failures.json"), "utf8"))
  } catch {
    return null
  }
})()
const tmp = (() => {
  try {
    return readdirSync(join(STATE, "tmp"))
  } catch {
    return []
  }
})()
const inbox = (() => {
  try {
    return readdirSync(join(STATE, "inbox"))
  } catch {
    return []
  }
})()
const statusFull = node([CLI, "status", "--json"])
const statusFullText = node([CLI, "status"])
rmSync(filler)
const sync = node([CLI, "sync"])
const statusAfter = node([CLI, "status", "--json"])
const statusAfterText = node([CLI, "status"])

process.stdout.write(
  JSON.stringify({ first, hooks, tmp, inbox, failures, statusFull, statusFullText, sync, statusAfter, statusAfterText })
)
