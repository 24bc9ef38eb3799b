// A generated Claude Code archive (a CLAUDE_CONFIG_DIR with projects/<project>/<session>.jsonl and subagent files) for
// the import benchmarks: the real captured transcripts replayed turn after turn with fresh ids, times, token counts
// and tool outputs. Two styles of session, mixed: Claude Code 2.1.197's (packages/claude-code-sync/test/fixtures/
// claude-transcript.jsonl) and 2.1.332's (fixtures/claude-2.1.332/, ~11x larger for the same work: prompt snapshots,
// request shapes and journals; its cost-state lines are left out). About 30 % of turns also write a subagent transcript. As in real
// streams, the first line of a multi-line response carries a partial output count (1-9), the later ones the full
// count. Plain Node ESM, seeded: the same flags give the same bytes.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { rootDir } from "./lib.mjs"

const fixtures = join(rootDir, "packages/claude-code-sync/test/fixtures")
const MB = 1e6

const mulberry32 = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const linesOf = (path) => readFileSync(path, "utf8").trimEnd().split("\n")

/**
 * The 2.1.332 capture up to its `/compact` run: a task, a background subagent and its notification turn. Without its
 * `cost-state` lines: they hold Claude Code's own cumulative figures, which replayed turns would contradict (the
 * server takes them as authoritative, so the totals would no longer be the transcript's, which ccusage counts).
 */
const currentMain = (() => {
  const lines = linesOf(join(fixtures, "claude-2.1.332/transcript.jsonl")).filter(
    (line) => !line.startsWith('{"type":"cost-state"')
  )
  const cut = lines.findIndex((line) => line.includes('"subtype":"compact_boundary"'))
  return cut < 0 ? lines : lines.slice(0, cut)
})()

const styles = {
  "2.1.197": {
    main: linesOf(join(fixtures, "claude-transcript.jsonl")),
    subagent: linesOf(join(fixtures, "claude-subagent-transcript.jsonl")),
    sessionId: "c763ea33-250a-4cfa-ba10-d17cac298173",
    agentId: "a0aff73444ac06d3e"
  },
  "2.1.332": {
    main: currentMain,
    subagent: linesOf(join(fixtures, "claude-2.1.332/subagent-transcript.jsonl")),
    sessionId: "a6e9dfb8-e1b3-4c98-a273-0dc6a285e930",
    agentId: "a010bbeee9f532d40"
  }
}

for (const style of Object.values(styles)) {
  style.start = Math.min(
    ...style.main
      .filter((text) => text.length <= 20_000)
      .map((text) => Date.parse(JSON.parse(text).timestamp ?? ""))
      .filter(Number.isFinite)
  )
}

/** How many lines each response (`message.id`) spans in a fixture. */
const responseLines = new Map()
for (const style of Object.values(styles)) {
  for (const text of [...style.main, ...style.subagent]) {
    if (text.length > 20_000) continue
    const id = JSON.parse(text).message?.id
    if (typeof id === "string") responseLines.set(id, (responseLines.get(id) ?? 0) + 1)
  }
}

const WORDS = ["worker", "batch", "request", "cache", "index", "build", "test", "deploy", "query", "render", "parse"]
const LEVELS = ["INFO ", "INFO ", "INFO ", "DEBUG", "WARN "]
const ID_KEYS = ["uuid", "parentUuid", "logicalParentUuid", "leafUuid", "promptId", "sourceToolAssistantUUID"]

/** A seeded source of replayed turns. */
const makeReplayer = (seed) => {
  const random = mulberry32(seed)
  const pick = (items) => items[Math.floor(random() * items.length)]
  const hex = (n) => {
    let s = ""
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(random() * 16)]
    return s
  }
  const alnum = (n) => {
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789"
    let s = ""
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)]
    return s
  }
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`

  /** A tool output of `lines` log-like lines (what Bash results mostly look like), some with non-ASCII text. */
  const toolOutput = (lines, at) => {
    const out = []
    for (let i = 0; i < lines; i++) {
      const word = pick(WORDS)
      out.push(
        `${new Date(at + i * 17).toISOString()} ${pick(LEVELS)} ${word}-${Math.floor(random() * 16)} ` +
          `processed ${word} ${Math.floor(random() * 10_000)} in ${Math.floor(random() * 900)} ms ` +
          `(items=${Math.floor(random() * 500)}, path=src/${pick(WORDS)}/${pick(WORDS)}.ts)${random() < 0.25 ? " ✓ déjà" : ""}`
      )
    }
    return out.join("\n")
  }

  /**
   * Replays fixture lines as one turn: every id remapped (consistently within the turn), times shifted, usage scaled by
   * one factor per turn (identical on every copy of a response), Bash outputs regenerated. The large lines (prompt
   * snapshots, request shapes) only get the session's ids: nothing reads them.
   */
  const replay = (style, lines, turn) => {
    const ids = new Map()
    const remap = (old, make) => {
      if (typeof old !== "string") return old
      let id = ids.get(old)
      if (id === undefined) {
        id = make()
        ids.set(old, id)
      }
      return id
    }
    const scale = (n) => (typeof n === "number" ? Math.max(0, Math.round(n * turn.factor)) : n)
    const seenResponses = new Set()
    const out = []
    for (const text of lines) {
      if (text.length > 20_000) {
        let replaced = text.split(style.sessionId).join(turn.sessionId)
        if (turn.agentId !== undefined) replaced = replaced.split(style.agentId).join(turn.agentId)
        out.push(replaced)
        continue
      }
      const line = JSON.parse(text)
      for (const key of ID_KEYS) if (typeof line[key] === "string") line[key] = remap(line[key], uuid)
      if (line.parentUuid === null && turn.previous !== undefined && line.type !== "system") {
        line.parentUuid = turn.previous
      }
      if ("sessionId" in line) line.sessionId = turn.sessionId
      if ("cwd" in line) line.cwd = turn.cwd
      if ("agentId" in line && turn.agentId !== undefined) line.agentId = turn.agentId
      if (typeof line.timestamp === "string") {
        line.timestamp = new Date(Date.parse(line.timestamp) - style.start + turn.at).toISOString()
      }
      if (typeof line.requestId === "string") line.requestId = remap(line.requestId, () => `req_${alnum(24)}`)
      const message = line.message
      if (message !== null && typeof message === "object") {
        // Real streams log the first lines of a response with a partial output count (reference section 8.5).
        const partial =
          typeof message.id === "string" && responseLines.get(message.id) > 1 && !seenResponses.has(message.id)
        if (typeof message.id === "string") {
          seenResponses.add(message.id)
          message.id = remap(message.id, () => `msg_${alnum(24)}`)
        }
        if (line.type === "user" && typeof message.content === "string" && line.promptId !== undefined) {
          if (!message.content.startsWith("<") && !message.content.startsWith("This session")) {
            message.content = `${message.content} (${turn.label})`
          }
        }
        if (Array.isArray(message.content)) {
          for (const block of message.content) {
            if (block?.type === "tool_use") block.id = remap(block.id, () => `toolu_${alnum(24)}`)
            if (block?.type === "tool_result") {
              block.tool_use_id = remap(block.tool_use_id, () => `toolu_${alnum(24)}`)
              const result = line.toolUseResult
              if (typeof block.content === "string" && block.is_error !== true && typeof result?.stdout === "string") {
                const output = toolOutput(turn.outputLines, turn.at)
                block.content = output
                result.stdout = output
              }
            }
          }
        }
        const usage = message.usage
        if (usage !== null && typeof usage === "object") {
          usage.input_tokens = scale(usage.input_tokens)
          usage.output_tokens = partial ? 1 + Math.floor(random() * 9) : scale(usage.output_tokens)
          usage.cache_read_input_tokens = scale(usage.cache_read_input_tokens)
          usage.cache_creation_input_tokens = scale(usage.cache_creation_input_tokens)
          if (usage.cache_creation !== null && typeof usage.cache_creation === "object") {
            usage.cache_creation.ephemeral_1h_input_tokens = 0
            usage.cache_creation.ephemeral_5m_input_tokens = usage.cache_creation_input_tokens
          }
        }
      }
      out.push(JSON.stringify(line))
    }
    const last = [...out].reverse().find((text) => text.length <= 20_000 && JSON.parse(text).uuid !== undefined)
    return { text: `${out.join("\n")}\n`, last: last === undefined ? undefined : JSON.parse(last).uuid }
  }

  const newTurn = (style, turn) => {
    const main = replay(style, style.main, turn)
    let subagent
    if (turn.withSubagent ?? random() < 0.3) {
      const agentId = hex(17)
      const sub = replay(style, style.subagent, { ...turn, agentId, previous: undefined, factor: 0.5 + 2.5 * random() })
      subagent = { agentId, text: sub.text }
    }
    return { main, subagent }
  }
  return { random, uuid, replay, newTurn }
}

/** The turn after `turn` in the same session. */
const nextTurn = (random, session, previous, turnNo, at) => ({
  sessionId: session.sessionId,
  cwd: session.cwd,
  at,
  previous,
  label: `turn ${turnNo}`,
  factor: 0.5 + 2.5 * random(),
  outputLines: Math.floor(random() * 120)
})

/**
 * Writes one session of about `bytes` bytes (main transcript and subagent files) into `projectDir`; returns what the
 * next turn appended to it needs (`appendTurn`) and its size.
 */
const writeSession = (replayer, projectDir, { sessionId, cwd, style, bytes, at: startAt }) => {
  const { random } = replayer
  let at = startAt
  const chunks = []
  let size = 0
  let mainSize = 0
  let previous
  let turnNo = 0
  const subagents = []
  while (size < bytes) {
    turnNo++
    const { main, subagent } = replayer.newTurn(style, nextTurn(random, { sessionId, cwd }, previous, turnNo, at))
    chunks.push(main.text)
    size += Buffer.byteLength(main.text)
    mainSize += Buffer.byteLength(main.text)
    previous = main.last
    if (subagent !== undefined) {
      subagents.push({ ...subagent, at })
      size += Buffer.byteLength(subagent.text)
    }
    at += 60_000 + Math.floor(random() * 240_000)
  }
  const mainPath = join(projectDir, `${sessionId}.jsonl`)
  writeFileSync(mainPath, chunks.join(""))
  const mtime = new Date(Math.min(at, Date.now()))
  utimesSync(mainPath, mtime, mtime)
  for (const sub of subagents) {
    const dir = join(projectDir, sessionId, "subagents")
    mkdirSync(dir, { recursive: true })
    const path = join(dir, `agent-${sub.agentId}.jsonl`)
    writeFileSync(path, sub.text)
    utimesSync(path, new Date(sub.at + 2_000), new Date(sub.at + 2_000))
  }
  return {
    files: 1 + subagents.length,
    bytes: size,
    mainSize,
    session: { sessionId, cwd, style, mainPath, previous, turnNo, at }
  }
}

/** Appends one turn (main transcript lines only) to a session `writeSession` wrote; returns the bytes appended. */
export const appendTurn = (replayer, session) => {
  session.turnNo++
  const turn = nextTurn(replayer.random, session, session.previous, session.turnNo, session.at)
  const main = replayer.replay(session.style, session.style.main, turn)
  appendFileSync(session.mainPath, main.text)
  session.previous = main.last
  session.at += 60_000
  return Buffer.byteLength(main.text)
}

/**
 * One session of about `mb` MB in `claudeDir` (2.1.332 style unless `style` says otherwise), for the live-sync
 * benchmark; returns the session, to append turns to it, and the replayer.
 */
export const generateLongSession = (claudeDir, { mb, seed = 7, style = "2.1.332" }) => {
  const replayer = makeReplayer(seed)
  const sessionId = replayer.uuid()
  const cwd = "/home/dev/projects/long"
  const projectDir = join(claudeDir, "projects", cwd.replace(/[^A-Za-z0-9]/g, "-"))
  mkdirSync(projectDir, { recursive: true })
  const written = writeSession(replayer, projectDir, {
    sessionId,
    cwd,
    style: styles[style],
    bytes: mb * MB,
    at: Date.now() - 3 * 24 * 3600 * 1000
  })
  return { ...written, replayer }
}

/** Generates an archive of about `mb` MB (10^6 bytes) into `claudeDir`; returns its files, sessions and bytes. */
export const generateArchive = (claudeDir, { mb, seed = 1, current = 0.5, largestMb = 50 }) => {
  const replayer = makeReplayer(seed)
  const { random, uuid } = replayer
  const projects = Array.from({ length: 12 }, (_, i) => `/home/dev/projects/app-${String(i).padStart(2, "0")}`)
  const target = mb * MB
  const now = Date.now()
  const spanMs = 25 * 24 * 3600 * 1000
  const meanSessionBytes = 260_000
  const largest = Math.min(largestMb * MB, target / 4)
  let files = 0
  let bytes = 0
  let sessions = 0
  let largestFile = 0
  while (bytes < target) {
    const style = styles[random() < current ? "2.1.332" : "2.1.197"]
    const cwd = projects[sessions % projects.length]
    const projectDir = join(claudeDir, "projects", cwd.replace(/[^A-Za-z0-9]/g, "-"))
    mkdirSync(projectDir, { recursive: true })
    const written = writeSession(replayer, projectDir, {
      sessionId: uuid(),
      cwd,
      style,
      bytes: sessions === 0 ? largest : meanSessionBytes * (0.25 + 1.5 * random()),
      at: now - spanMs + Math.floor(random() * spanMs * 0.9)
    })
    files += written.files
    bytes += written.bytes
    largestFile = Math.max(largestFile, written.mainSize)
    sessions++
  }
  return { files, sessions, bytes, largestFile }
}

/**
 * The archive for these options, generated once into `cacheDir` (kept between runs: generating 800 MB takes a while);
 * returns its Claude dir and what it holds.
 */
export const cachedArchive = (cacheDir, options) => {
  // v2: without cost-state lines.
  const name = `v2-mb${options.mb}-seed${options.seed ?? 1}-current${options.current ?? 0.5}-largest${options.largestMb ?? 50}`
  const dir = join(cacheDir, name)
  const marker = join(dir, "archive.json")
  if (existsSync(marker)) return { dir, ...JSON.parse(readFileSync(marker, "utf8")), generatedMs: 0 }
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const started = performance.now()
  const info = generateArchive(join(dir, "claude"), options)
  writeFileSync(marker, JSON.stringify(info))
  return { dir, ...info, generatedMs: performance.now() - started }
}
