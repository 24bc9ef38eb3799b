/**
 * OpenCode's `opencode.json` / `opencode.jsonc` (comments and trailing commas allowed): where the plugin is registered
 * (`verify`) and adding it (`setup`) with a textual edit that keeps every other byte, comments included.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Paths from "./Paths.js"

type Env = Readonly<Record<string, string | undefined>>
type Json = Record<string, unknown>

/** The npm name users put in `"plugin"`. */
export const PACKAGE = "opencode-sync-plugin"

/** A config file that cannot be parsed or edited safely; it is left as it was. */
export class OpenCodeConfigInvalid extends Data.TaggedError("OpenCodeConfigInvalid")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `${this.path} ${this.reason}. It was not changed; fix it by hand, then run this command again.`
  }
}

export class OpenCodeConfigWriteFailed extends Data.TaggedError("OpenCodeConfigWriteFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Could not write ${this.path}: ${this.reason}. Check the permissions of the directory.`
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// JSONC scanning

interface Token {
  readonly kind: "punct" | "string" | "literal"
  readonly text: string
  readonly start: number
  readonly end: number
}

/** Tokens of a JSONC text (comments and whitespace skipped); a reason when the text cannot be tokenized. */
const tokenize = (text: string): Array<Token> | string => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") {
      i++
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2)
      if (end < 0) return "has an unterminated /* comment"
      i = end + 2
    } else if ("{}[]:,".includes(c)) {
      tokens.push({ kind: "punct", text: c, start: i, end: i + 1 })
      i++
    } else if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1
      if (j >= text.length) return "has an unterminated string"
      tokens.push({ kind: "string", text: text.slice(i, j + 1), start: i, end: j + 1 })
      i = j + 1
    } else {
      let j = i
      while (j < text.length && !' \t\n\r{}[]:,/"'.includes(text[j] as string)) j++
      if (j === i) return `has an unexpected character at offset ${i}`
      tokens.push({ kind: "literal", text: text.slice(i, j), start: i, end: j })
      i = j
    }
  }
  return tokens
}

/** Plain JSON from JSONC: comments dropped, trailing commas removed. */
const toJson = (text: string, tokens: ReadonlyArray<Token>): string => {
  const out: Array<string> = []
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k] as Token
    const next = tokens[k + 1]
    if (token.text === "," && token.kind === "punct" && (next?.text === "}" || next?.text === "]")) continue
    out.push(token.kind === "string" ? text.slice(token.start, token.end) : token.text)
  }
  return out.join("")
}

/** Parses an OpenCode config text; an empty text is an empty object. */
export const parse = (text: string, path: string): Either.Either<Json, OpenCodeConfigInvalid> => {
  if (text.trim() === "") return Either.right({})
  const tokens = tokenize(text)
  if (typeof tokens === "string") return Either.left(new OpenCodeConfigInvalid({ path, reason: tokens }))
  let value: unknown
  try {
    value = JSON.parse(toJson(text, tokens))
  } catch (cause) {
    return Either.left(
      new OpenCodeConfigInvalid({ path, reason: `is not valid JSON(C) (${(cause as Error).message})` })
    )
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return Either.left(new OpenCodeConfigInvalid({ path, reason: "is not a JSON object" }))
  }
  return Either.right(value as Json)
}

// ---------------------------------------------------------------------------------------------------------------------
// Registration

/** Plugin specs of a config: `"plugin": ["pkg", "pkg@1.2.3", "file:///…"]` and the newer `"plugins"` objects. */
export const pluginSpecs = (config: Json): ReadonlyArray<string> => {
  const specs: Array<string> = []
  for (const key of ["plugin", "plugins"]) {
    const list = config[key]
    if (!Array.isArray(list)) continue
    for (const entry of list) {
      if (typeof entry === "string") specs.push(entry)
      else if (Array.isArray(entry) && typeof entry[0] === "string") specs.push(entry[0])
      else if (typeof entry === "object" && entry !== null) {
        const name = (entry as Json).package ?? (entry as Json).name ?? (entry as Json).path
        if (typeof name === "string") specs.push(name)
      }
    }
  }
  return specs
}

/** True for a spec that loads this plugin: the npm package (any version) or a path to its bundle. */
export const isOurSpec = (spec: string): boolean =>
  spec === PACKAGE ||
  spec.startsWith(`${PACKAGE}@`) ||
  /(^|[\\/])opencode-sync-plugin([\\/]|$)/.test(spec) ||
  /opencode-sync-plugin[\\/]dist[\\/]plugin\.m?js$/.test(spec)

/** The config files OpenCode reads, global first: `$XDG_CONFIG_HOME/opencode`, the project, `$OPENCODE_CONFIG`. */
export const configFiles = (env: Env = process.env, cwd: string = process.cwd()): ReadonlyArray<string> => {
  const global = Paths.openCodeConfigDir(env)
  const files = [
    join(global, "opencode.jsonc"),
    join(global, "opencode.json"),
    join(global, "config.json"),
    join(cwd, "opencode.jsonc"),
    join(cwd, "opencode.json"),
    join(cwd, ".opencode", "opencode.jsonc"),
    join(cwd, ".opencode", "opencode.json")
  ]
  if (env.OPENCODE_CONFIG !== undefined && env.OPENCODE_CONFIG !== "") files.push(env.OPENCODE_CONFIG)
  return [...new Set(files)]
}

/** What one config file says about this plugin. */
export interface FileRegistration {
  readonly path: string
  readonly exists: boolean
  readonly specs: ReadonlyArray<string>
  readonly error: string | null
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw cause
  }
}

/** Reads each file and lists the specs that load this plugin (a file that cannot be parsed reports why). */
export const inspect = (files: ReadonlyArray<string>): ReadonlyArray<FileRegistration> =>
  files.map((path) => {
    let text: string | undefined
    try {
      text = readText(path)
    } catch (cause) {
      return { path, exists: true, specs: [], error: `cannot be read (${(cause as Error).message})` }
    }
    if (text === undefined) return { path, exists: false, specs: [], error: null }
    const parsed = parse(text, path)
    if (Either.isLeft(parsed)) return { path, exists: true, specs: [], error: parsed.left.reason }
    return { path, exists: true, specs: pluginSpecs(parsed.right).filter(isOurSpec), error: null }
  })

// ---------------------------------------------------------------------------------------------------------------------
// setup

/** The text after adding `spec` to the top-level `"plugin"` list, or unchanged when a spec of ours is there already. */
export const addPlugin = (
  text: string,
  path: string,
  spec: string = PACKAGE
): Either.Either<{ readonly text: string; readonly changed: boolean }, OpenCodeConfigInvalid> => {
  const invalid = (reason: string) => Either.left(new OpenCodeConfigInvalid({ path, reason }))
  if (text.trim() === "") {
    const created = { $schema: "https://opencode.ai/config.json", plugin: [spec] }
    return Either.right({ text: `${JSON.stringify(created, null, 2)}\n`, changed: true })
  }
  const parsed = parse(text, path)
  if (Either.isLeft(parsed)) return Either.left(parsed.left)
  if (pluginSpecs(parsed.right).some(isOurSpec)) return Either.right({ text, changed: false })
  const current = parsed.right.plugin
  if (current !== undefined && !Array.isArray(current)) return invalid('has a "plugin" value that is not a list')
  const tokens = tokenize(text) as Array<Token>
  const quoted = JSON.stringify(spec)
  // Walk the top-level object: depth 1 keys are its members.
  let depth = 0
  let open: Token | undefined
  let firstKey: Token | undefined
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k] as Token
    if (token.kind === "punct" && (token.text === "{" || token.text === "[")) {
      if (depth === 0) open = token
      depth++
      continue
    }
    if (token.kind === "punct" && (token.text === "}" || token.text === "]")) {
      depth--
      continue
    }
    if (depth !== 1 || token.kind !== "string" || tokens[k + 1]?.text !== ":") continue
    firstKey ??= token
    if (JSON.parse(token.text) !== "plugin") continue
    const start = tokens[k + 2]
    if (start?.text !== "[") return invalid('has a "plugin" value that is not a list')
    // Find the matching "]" and the last element's end.
    let inner = 0
    let lastEnd: number | undefined
    for (let j = k + 3; j < tokens.length; j++) {
      const t = tokens[j] as Token
      if (t.kind === "punct" && (t.text === "[" || t.text === "{")) {
        inner++
      } else if (t.kind === "punct" && (t.text === "]" || t.text === "}")) {
        if (inner === 0) {
          const insertAt = lastEnd ?? start.end
          const insert = lastEnd === undefined ? quoted : `, ${quoted}`
          return Either.right({ text: text.slice(0, insertAt) + insert + text.slice(insertAt), changed: true })
        }
        inner--
        if (inner === 0) lastEnd = t.end
      } else if (inner === 0 && t.text !== ",") {
        lastEnd = t.end
      }
    }
    return invalid('has an unterminated "plugin" list')
  }
  if (open === undefined || open.text !== "{") return invalid("is not a JSON object")
  if (firstKey === undefined) {
    const close = text.lastIndexOf("}")
    const body = `\n  "plugin": [${quoted}]\n`
    return Either.right({ text: text.slice(0, open.end) + body + text.slice(close), changed: true })
  }
  const lineStart = text.lastIndexOf("\n", firstKey.start) + 1
  const indent = /^[ \t]*/.exec(text.slice(lineStart, firstKey.start))?.[0] ?? "  "
  const sameLine = lineStart <= open.start
  const insert = sameLine ? ` "plugin": [${quoted}],` : `\n${indent}"plugin": [${quoted}],`
  return Either.right({ text: text.slice(0, open.end) + insert + text.slice(open.end), changed: true })
}

/** The global config file `setup` edits: an existing `opencode.jsonc`, else `opencode.json`. */
export const globalConfigFile = (env: Env = process.env): string => {
  const dir = Paths.openCodeConfigDir(env)
  const jsonc = join(dir, "opencode.jsonc")
  try {
    statSync(jsonc)
    return jsonc
  } catch {
    return join(dir, "opencode.json")
  }
}

/** Adds the plugin to `path` (created when missing), keeping everything else; the old file is kept as `.bak`. */
export const install = (path: string, spec: string = PACKAGE) =>
  Effect.gen(function* () {
    let text: string | undefined
    try {
      text = readText(path)
    } catch (cause) {
      return yield* new OpenCodeConfigInvalid({ path, reason: `cannot be read (${(cause as Error).message})` })
    }
    const planned = yield* addPlugin(text ?? "", path, spec)
    if (!planned.changed) return { path, changed: false, created: false }
    const check = yield* parse(planned.text, path)
    if (!pluginSpecs(check).some(isOurSpec)) {
      return yield* new OpenCodeConfigInvalid({ path, reason: "could not be edited safely" })
    }
    yield* Effect.try({
      try: () => {
        mkdirSync(dirname(path), { recursive: true })
        const mode = text === undefined ? 0o644 : statSync(path).mode & 0o777
        if (text !== undefined) copyFileSync(path, `${path}.bak`)
        const temp = `${path}.${process.pid}.${Date.now()}.tmp`
        writeFileSync(temp, planned.text, { mode })
        renameSync(temp, path)
      },
      catch: (cause) => new OpenCodeConfigWriteFailed({ path, reason: (cause as Error).message })
    })
    return { path, changed: true, created: text === undefined }
  })
