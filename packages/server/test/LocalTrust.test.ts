import { execFileSync, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import * as FullDisk from "@opensync/testkit/FullDisk"
import { type RunningServer, runCli, binPath as serverBin, startServer } from "@opensync/testkit/Server"

/** What only the local server promises: a private store, a disk that fills up, and throttled failed sign-ins. */

const t0 = Date.UTC(2025, 6, 1, 9, 0, 0)

const running: Array<RunningServer> = []
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop()
})

const start = async (...args: Parameters<typeof startServer>) => {
  const server = await startServer(...args)
  running.push(server)
  return server
}

const call = async (server: RunningServer, method: string, path: string, body?: unknown, key = server.key) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(key === "" ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, body: text.length > 0 ? JSON.parse(text) : null, headers: response.headers }
}

/** A session with one long message (`n` of them fill a few MiB), or with the title and text given. */
const session = (id: string, bytes = 64 * 1024, given: { readonly title?: string; readonly text?: string } = {}) => [
  Event.make({
    kind: "session",
    source: "claude-code",
    sessionId: id,
    at: t0,
    title: given.title ?? id,
    startedAt: t0
  }),
  Event.make({
    kind: "message",
    source: "claude-code",
    sessionId: id,
    at: t0 + 1,
    messageId: `${id}-m`,
    role: "user",
    text: given.text ?? `${id} `.repeat(Math.ceil(bytes / (id.length + 1))),
    createdAt: t0 + 1
  })
]

const waitFor = async (done: () => boolean) => {
  const deadline = Date.now() + 5_000
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

const sync = (server: RunningServer, events: ReadonlyArray<unknown>) => call(server, "POST", "/sync/events", { events })

describe("the store is private", () => {
  it("creates the data directory 0700 and the database files 0600", async () => {
    const parent = mkdtempSync(join(tmpdir(), "opensync-modes-"))
    const dataDir = join(parent, "data")
    const server = await start({ dataDir })
    expect((await sync(server, session("private"))).status).toEqual(200)
    // A search waits for the indexer, so the search file and its WAL exist by then.
    expect((await call(server, "GET", "/api/sessions?q=private")).status).toEqual(200)
    expect(statSync(dataDir).mode & 0o777).toEqual(0o700)
    expect(existsSync(join(dataDir, "search.db"))).toBe(true)
    for (const name of ["opensync.db", "search.db"]) {
      for (const suffix of ["", "-wal", "-shm"]) {
        const file = join(dataDir, `${name}${suffix}`)
        if (existsSync(file)) expect([name + suffix, statSync(file).mode & 0o777]).toEqual([name + suffix, 0o600])
      }
    }
    expect(server.output()).not.toMatch(/warning/)
    await server.stop()
    rmSync(parent, { recursive: true, force: true })
  })

  it("warns at start when the data directory is readable by others", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "opensync-wide-"))
    mkdirSync(dataDir, { recursive: true, mode: 0o755 })
    const { chmodSync } = await import("node:fs")
    chmodSync(dataDir, 0o755)
    const server = await start({ dataDir })
    expect(server.output()).toMatch(/warning: The data directory .* is readable by others \(mode 755\); run `chmod 700/)
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })
})

describe("a full disk", () => {
  it("answers 507 for a file size limit too (EFBIG, as a disk quota's EDQUOT), and stores again once it is raised", async () => {
    // (SQLite says SQLITE_FULL only for ENOSPC: these were 500s with "disk I/O error" in the log)
    const server = await start({ wrapper: ["bash", "-c", 'ulimit -S -f 8192 && exec "$@"', "bash"] })
    let stored = 0
    let refused = await sync(server, session(`limited-${stored}`, 256 * 1024))
    for (
      ;
      refused.status === 200 && stored < 80;
      refused = await sync(server, session(`limited-${stored}`, 256 * 1024))
    )
      stored++
    expect([refused.status, refused.body._tag]).toEqual([507, "InsufficientStorage"])
    expect(refused.body.error).toMatch(/size limit or quota/)
    // A command line run against the same limit says what is wrong (it printed "Failed to execute statement")
    const cli = spawnSync(
      "bash",
      [
        "-c",
        'ulimit -S -f 1 && exec "$@"',
        "bash",
        process.execPath,
        serverBin,
        "keys",
        "create",
        "--name",
        "x"
      ].concat(["--data-dir", server.dataDir]),
      { encoding: "utf8" }
    )
    expect(cli.status).toBe(1)
    expect(cli.stderr).toMatch(/^opensync: the disk holding the data is full \(or a size limit or quota was reached\)/)
    execFileSync("prlimit", ["--pid", String(server.process.pid), "--fsize=unlimited"])
    expect((await sync(server, session("after-the-limit"))).status).toEqual(200)
    for (let i = 0; i < stored; i++)
      expect((await call(server, "GET", `/api/sessions/limited-${i}`)).status).toEqual(200)
  })

  it("answers 507 and keeps serving reads while the disk is full, and recovers by itself when space is freed", async () => {
    const disk = FullDisk.make(16)
    const server = await start({ dataDir: join(disk.mountPoint, "data"), wrapper: disk.wrapper })
    const pid = server.process.pid!
    expect((await sync(server, session("before-full"))).body.stored.length).toEqual(2)
    const plugin = (await call(server, "POST", "/api/keys", { name: "plugin" })).body.key as string

    await disk.fill(pid)
    let refused = await sync(server, session("while-full", 256 * 1024))
    for (let i = 0; refused.status === 200 && i < 20; i++)
      refused = await sync(server, session(`while-full-${i}`, 256 * 1024))
    expect([refused.status, refused.body._tag]).toEqual([507, "InsufficientStorage"])
    expect(refused.body.error).toMatch(/disk is full.*Free disk space/)
    expect(refused.body.requestId).toMatch(/^req_/)
    // the log says it in one line per refusal, under the answer's request id, without a stack
    await waitFor(() => server.output().includes(refused.body.requestId))
    expect(server.output()).toMatch(
      new RegExp(`storage full \\(${refused.body.requestId}\\): database or disk is full\\n`)
    )
    expect(server.output()).not.toMatch(/SqlError|\n\s+at /)

    // reads, authentication (whose last-use record cannot be written) and sign-in checks keep working
    expect((await call(server, "GET", "/api/sessions/before-full")).status).toEqual(200)
    expect((await call(server, "GET", "/api/sessions?limit=5")).status).toEqual(200)
    expect((await call(server, "GET", "/api/stats")).status).toEqual(200)
    expect((await call(server, "GET", "/auth/me", undefined, plugin)).status).toEqual(200)
    expect((await call(server, "GET", "/health", undefined, "")).status).toEqual(200)
    // The legacy protocol's writes are refused the same way. A small write may still fit in WAL space a checkpoint
    // freed after the refusal (it is then stored); long messages do not fit for long.
    const legacyMessage = (i: number) =>
      call(server, "POST", "/sync/message", {
        sessionExternalId: "before-full",
        externalId: `legacy-full-${i}`,
        role: "user",
        textContent: `legacy ${i} `.repeat(32 * 1024)
      })
    let legacy = await legacyMessage(0)
    for (let i = 1; legacy.status === 200 && i < 20; i++) legacy = await legacyMessage(i)
    expect(legacy.status).toEqual(507)

    await disk.free(pid)
    const after = await sync(server, session("after-free"))
    expect([after.status, after.body.stored.length]).toEqual([200, 2])
    expect((await call(server, "GET", "/api/sessions/before-full")).status).toEqual(200)
    expect((await call(server, "GET", "/api/sessions/after-free")).status).toEqual(200)
  })

  it("starts on a full disk, says why writes fail, and serves what it stored", async () => {
    const disk = FullDisk.make(16)
    const dataDir = join(disk.mountPoint, "data")
    const first = await start({ dataDir, wrapper: disk.wrapper })
    expect((await sync(first, session("stored-before"))).status).toEqual(200)
    const key = first.key
    await disk.fill(first.process.pid!)
    // the same tmpfs, full, for a new server process: stop the first without unmounting by starting the second in it
    const second = await startServer({
      dataDir,
      wrapper: ["nsenter", "--preserve-credentials", "-U", "-m", "-t", String(first.process.pid)]
    }).catch((e: Error) => e)
    if (second instanceof Error) throw second
    running.push(second)
    expect(second.output()).toMatch(/warning: The disk holding .* is full/)
    const reader = { ...second, key }
    expect((await call(reader, "GET", "/api/sessions/stored-before")).status).toEqual(200)
    // A write may still fit in WAL space the first server's checkpoints freed; the disk stops the next ones, and
    // every write answered 200 reads back.
    const stored: Array<string> = []
    let refused = await sync(reader, session("new-0", 256 * 1024))
    for (let i = 1; refused.status === 200 && i < 20; i++) {
      stored.push(`new-${i - 1}`)
      refused = await sync(reader, session(`new-${i}`, 256 * 1024))
    }
    expect([refused.status, refused.body._tag]).toEqual([507, "InsufficientStorage"])
    for (const id of stored) expect([id, (await call(reader, "GET", `/api/sessions/${id}`)).status]).toEqual([id, 200])
  })

  it("keeps the WAL bounded (--wal-mb) through a full disk without losing a write", async () => {
    const disk = FullDisk.make(16)
    // --wal-mb 1: past 1 MiB of WAL the next write waits while the worker starts it over (a RESTART checkpoint)
    const server = await start({
      dataDir: join(disk.mountPoint, "data"),
      wrapper: disk.wrapper,
      args: ["--wal-mb", "1"]
    })
    const pid = server.process.pid!
    // the tmpfs exists in the server's mount namespace only; its files are seen through the process's root
    const wal = `/proc/${pid}/root${join(disk.mountPoint, "data", "opensync.db-wal")}`
    const stored: Array<string> = []
    const write = async (id: string, bytes = 256 * 1024) => {
      const reply = await sync(server, session(id, bytes))
      if (reply.status === 200) stored.push(id)
      return reply
    }
    for (let i = 0; i < 8; i++) expect((await write(`before-${i}`)).status).toEqual(200)
    // Then one transaction of more than 1 MiB: the WAL passes 1 MiB (or was started over and cut back to it) whatever
    // the checkpoints did between the writes above. On a loaded machine they could keep up with those, and a WAL
    // started over before each write stayed under 1 MiB (791,072 bytes once, in a full run of the server's tests).
    const batch = Array.from({ length: 6 }, (_, i) => `before-batch-${i}`)
    expect(
      (
        await sync(
          server,
          batch.flatMap((id) => session(id, 256 * 1024))
        )
      ).status
    ).toEqual(200)
    stored.push(...batch)
    expect(statSync(wal).size).toBeGreaterThanOrEqual(1024 * 1024)

    // Full: the restarts find no room to copy the WAL into the database (SQLite then leaves the WAL as it was), and
    // writes are refused, not held up and not lost.
    await disk.fill(pid)
    let refused = await write("while-full-0")
    for (let i = 1; refused.status === 200 && i < 20; i++) refused = await write(`while-full-${i}`)
    expect([refused.status, refused.body._tag]).toEqual([507, "InsufficientStorage"])
    for (let i = 0; i < 4; i++) expect((await write(`still-full-${i}`, 1024)).status).not.toEqual(500)

    // Freed: writes succeed again, and the WAL is started over again (by the worker's RESTART, or by a write that
    // finds it all copied) and cut back to 1 MiB. Writes keep coming, so the WAL is not emptied for being idle.
    await disk.free(pid)
    for (let i = 0; i < 4; i++) expect((await write(`after-${i}`)).status).toEqual(200)
    let size = statSync(wal).size
    for (let i = 0; size > 1.25 * 1024 * 1024 && i < 100; i++) {
      expect((await write(`small-${i}`, 1024)).status).toEqual(200)
      await new Promise((done) => setTimeout(done, 300))
      size = statSync(wal).size
    }
    expect(size).toBeLessThanOrEqual(1.25 * 1024 * 1024)
    for (const id of stored) expect([id, (await call(server, "GET", `/api/sessions/${id}`)).status]).toEqual([id, 200])
    expect(server.output()).not.toMatch(/checkpoints stopped/)
  })

  it("answers 507 past the database size cap (--max-db-mb), the same way", async () => {
    const server = await start({ args: ["--max-db-mb", "1"] })
    let reply = await sync(server, session("cap-0", 128 * 1024))
    for (let i = 1; reply.status === 200 && i < 30; i++) reply = await sync(server, session(`cap-${i}`, 128 * 1024))
    expect([reply.status, reply.body._tag]).toEqual([507, "InsufficientStorage"])
    expect((await call(server, "GET", "/api/sessions/cap-0")).status).toEqual(200)
  })
})

describe("failed authentication is rate-limited per client", () => {
  it("answers 429 with a wait once a client failed too often, and still lets in a key that works", async () => {
    const server = await start({ env: { OPENSYNC_AUTH_FAILURES_PER_MINUTE: "5" } })
    for (let i = 0; i < 5; i++) {
      expect((await call(server, "GET", "/api/sessions", undefined, "osk_notarealkey")).status).toEqual(401)
    }
    const blocked = await call(server, "GET", "/api/sessions", undefined, "osk_notarealkey")
    expect([blocked.status, blocked.body._tag]).toEqual([429, "TooManyRequests"])
    expect(blocked.body.retryAfterSeconds).toBeGreaterThan(0)
    expect(blocked.body.retryAfterSeconds).toBeLessThanOrEqual(60)
    expect(blocked.headers.get("retry-after")).toEqual(String(blocked.body.retryAfterSeconds))
    const signIn = await call(server, "POST", "/auth/session", { apiKey: "osk_notarealkey" }, "")
    expect(signIn.status).toEqual(429)
    expect((await call(server, "GET", "/health", undefined, "")).status).toEqual(200)
    // Every local client shares 127.0.0.1: a process sending wrong keys must not lock the plugins and the dashboard
    // out. Their keys still work, for the API and to sign in.
    expect((await call(server, "GET", "/api/sessions")).status).toEqual(200)
    expect((await call(server, "POST", "/auth/session", { apiKey: server.key }, "")).status).toEqual(201)
    expect((await call(server, "GET", "/api/sessions", undefined, "osk_notarealkey")).status).toEqual(429)
  })
})

describe("a web page's failed sign-ins spend its own budget", () => {
  it("counts a page's posts (no preflight: a body without a type) apart from the plugins' and the dashboard's", async () => {
    const server = await start({ env: { OPENSYNC_AUTH_FAILURES_PER_MINUTE: "5" } })
    const signIn = (origin: string | undefined) =>
      fetch(`${server.url}/auth/session`, {
        method: "POST",
        // what `fetch(url, {mode: "no-cors", body: new Blob([json])})` sends: no Content-Type, the page's Origin
        headers: origin === undefined ? {} : { origin },
        body: new Blob([JSON.stringify({ apiKey: "osk_notarealkey" })])
      }).then((response) => response.status)
    for (let i = 0; i < 5; i++) expect(await signIn("https://evil.example")).toEqual(401)
    expect(await signIn("https://evil.example")).toEqual(429)
    // the CLI and plugins (no origin) and the dashboard (the server's own origin) still get their own tries
    expect(await signIn(undefined)).toEqual(401)
    expect(await signIn(server.url)).toEqual(401)
    expect((await call(server, "GET", "/api/sessions", undefined, "osk_notarealkey")).status).toEqual(401)
  })

  it("limits all the same a client that names a new origin with every attempt (all origins share 4 budgets)", async () => {
    const server = await start({ env: { OPENSYNC_AUTH_FAILURES_PER_MINUTE: "5" } })
    const statuses: Array<number> = []
    for (let i = 0; i < 30; i++) {
      const reply = await fetch(`${server.url}/auth/session`, {
        method: "POST",
        headers: { origin: `https://attempt-${i}.example` },
        body: new Blob([JSON.stringify({ apiKey: "osk_notarealkey" })])
      })
      statuses.push(reply.status)
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401))
    expect(statuses.slice(20)).toEqual(Array(10).fill(429))
    // the plugins (no origin) keep their own budget, and a key that works is let in from any origin
    expect((await call(server, "GET", "/api/sessions", undefined, "osk_notarealkey")).status).toEqual(401)
    const good = await fetch(`${server.url}/api/sessions`, {
      headers: { origin: "https://attempt-99.example", authorization: `Bearer ${server.key}` }
    })
    expect(good.status).toEqual(200)
  })
})

describe("faults nobody expected", () => {
  it("answer 500 with a request id that the server's log line carries, and no internals", async () => {
    const server = await start()
    expect((await sync(server, session("will-break"))).status).toEqual(200)
    // damage the stored row behind the server's back: reading it throws inside the store
    const { createClient } = await import("@libsql/client")
    const db = createClient({ url: `file:${join(server.dataDir, "opensync.db")}` })
    await db.execute("UPDATE sessions SET data = '{not json' WHERE id = 'will-break'")
    db.close()
    const reply = await call(server, "GET", "/api/sessions/will-break")
    expect([reply.status, reply.body._tag]).toEqual([500, "InternalError"])
    expect(reply.body.requestId).toMatch(/^req_[0-9a-f]{16}$/)
    expect(reply.body.error).toContain(reply.body.requestId)
    expect(JSON.stringify(reply.body)).not.toMatch(/JSON|SyntaxError|stack|at /)
    const deadline = Date.now() + 5_000
    while (!server.output().includes(reply.body.requestId) && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50))
    }
    expect(server.output()).toContain(reply.body.requestId)
    expect((await call(server, "GET", "/api/sessions?limit=1")).status).toBeLessThan(600)
  })
})

// Runs the CLI several times, each a process of its own: slow on a loaded machine, hence the longer limit.
describe("opensync sign-ins", { timeout: 120_000 }, () => {
  it("lists the active dashboard sign-ins and ends one from the CLI", async () => {
    const server = await start()
    const signIn = await fetch(`${server.url}/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "curl/8.5.0" },
      body: JSON.stringify({ apiKey: server.key })
    })
    const token = ((await signIn.json()) as { token: string }).token
    const listed = JSON.parse(await server.cli(["sign-ins", "list", "--json"])) as Array<{
      id: string
      browser: string
    }>
    expect(listed.map((s) => s.browser)).toEqual(["curl 8"])
    expect(await server.cli(["sign-ins", "list"])).toMatch(/sgn_\w+ +curl 8 .*key default/)
    expect(await server.cli(["sign-ins", "revoke", listed[0]!.id])).toContain("signed out at once")
    // Again: it had ended, and says so
    expect(await server.cli(["sign-ins", "revoke", listed[0]!.id])).toMatch(
      /^Sign-in sgn_\w+ \(curl 8\) was ended at \d{4}-\d\d-\d\d \d\d:\d\d UTC; nothing changed\.$/m
    )
    expect((await call(server, "GET", "/auth/me", undefined, token)).status).toEqual(401)
    expect(await server.cli(["sign-ins", "list"])).toContain("No active dashboard sign-ins")
  })
})

// Runs the CLI several times, each a process of its own: slow on a loaded machine, hence the longer limit.
describe("opensync sessions", { timeout: 120_000 }, () => {
  it("lists, shows, exports and deletes the stored sessions from the CLI, the way the API does", async () => {
    const server = await start()
    const events = session("cli-session", 100)
    expect((await sync(server, events)).status).toEqual(200)
    const listed = await server.cli(["sessions", "list"])
    expect(listed).toMatch(/^cli-session +claude-code .* 1 msgs .* cli-session$/m)
    expect(
      JSON.parse(await server.cli(["sessions", "list", "--json", "--search", "cli-session"])).map(
        (s: { id: string }) => s.id
      )
    ).toEqual(["cli-session"])
    // An agent by its name or its id's first word (`claude`, `Claude Code`), not only by its id; an unknown name says so
    for (const name of ["claude-code", "claude", "Claude Code", "claude-code-sync"]) {
      expect(await server.cli(["sessions", "list", "--source", name])).toMatch(/^cli-session +claude-code /m)
    }
    expect(await server.cli(["sessions", "list", "--source", "codex"])).toBe("No sessions match.\n")
    expect(await server.cli(["sessions", "list", "--source", "claud"])).toContain(
      'No sessions match: no agent is named "claud" (the agents: claude-code, opencode, codex-cli, gemini-cli).'
    )
    expect(await server.cli(["sessions", "show", "cli-session"])).toContain("cli-session cli-session")
    const exported = (await server.cli(["sessions", "export", "--format", "jsonl"])).trim().split("\n")
    expect(exported.map((line) => JSON.parse(line).session.id)).toEqual(["cli-session"])
    expect(await server.cli(["sessions", "delete", "cli-session"])).toContain("Deleted session cli-session")
    expect(await server.cli(["sessions", "list"])).toContain("No sessions match.")
    for (const limit of ["0", "-5", "201"]) {
      const ran = await runCli(["sessions", "list", "--limit", limit, "--data-dir", server.dataDir])
      expect(ran.code).toBe(1)
      expect(ran.stderr).toContain(`--limit takes 1 to 200 sessions (got ${limit}).`)
    }
    const again = await sync(server, events)
    expect(again.body.deleted.length).toEqual(events.length)
  })

  it("stops quietly when what reads its output stops early (sessions export | head)", async () => {
    const server = await start()
    for (let i = 0; i < 20; i++) expect((await sync(server, session(`cli-pipe-${i}`, 64 * 1024))).status).toEqual(200)
    const child = spawn(process.execPath, [serverBin, "sessions", "export", "--data-dir", server.dataDir], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk)
    })
    // `head -c 100`: reads a little, then closes its end of the pipe
    child.stdout.once("data", () => child.stdout.destroy())
    const code = await new Promise<number | null>((done) => child.on("exit", (exitCode) => done(exitCode)))
    expect(stderr).toBe("")
    expect(code).toBe(0)
  })

  it("prints what any key-holder stored with its terminal control characters written out, never run", async () => {
    const server = await start()
    // a window title, a cleared screen, a fake coloured line, a C1 CSI, a carriage return and a right-to-left override
    const hostile = "t\u001b]0;pwned\u0007\u001b[2J\u001b[31mFAKE\u009b2J\rover\u202eevil"
    const synced = await sync(server, session("cli-hostile", 0, { title: hostile, text: hostile }))
    expect([synced.status, synced.body.stored.length]).toEqual([200, 2])
    expect((await call(server, "POST", "/api/keys", { name: hostile })).status).toEqual(201)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/
    for (const args of [
      ["sessions", "list"],
      ["sessions", "show", "cli-hostile"],
      ["keys", "list"]
    ]) {
      const out = await server.cli(args)
      expect(out, args.join(" ")).not.toMatch(raw)
      expect(out, args.join(" ")).toContain("t\\u001b]0;pwned\\u0007\\u001b[2J")
    }
    // JSON output stays JSON, with the same text
    const listed = JSON.parse(await server.cli(["sessions", "list", "--json"])) as Array<{ title: string }>
    expect(listed.map((s) => s.title)).toEqual([hostile])
  })
})
