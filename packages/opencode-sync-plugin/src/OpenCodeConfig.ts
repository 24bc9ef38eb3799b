/**
 * OpenCode's `opencode.json` / `opencode.jsonc` (comments and trailing commas allowed, parsed with jsonc-parser): where
 * the plugin is registered (`verify`), adding it (`setup`) and removing it (`uninstall`) with textual edits that keep
 * every other byte, comments included; `uninstall` after `setup` gives back the file byte for byte.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Jsonc from "jsonc-parser"
import { openCodeConfigDir } from "./Agent.js"

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
// JSONC

const parseOptions = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true } as const

const reasons: Readonly<Record<string, string>> = {
  UnexpectedEndOfComment: "has an unterminated /* comment",
  UnexpectedEndOfString: "has an unterminated string"
}

/** Why the text is not JSONC, from the first error jsonc-parser reports. */
const problem = (errors: ReadonlyArray<Jsonc.ParseError>): string | undefined => {
  const first = errors[0]
  if (first === undefined) return undefined
  const code = Jsonc.printParseErrorCode(first.error)
  return reasons[code] ?? `is not valid JSON(C) (${code} at offset ${first.offset})`
}

/** A leading byte order mark is not part of the JSON: parse after it, edit at offsets shifted past it. */
const bomLength = (text: string) => (text.charCodeAt(0) === 0xfeff ? 1 : 0)

/** The syntax tree of a JSONC text (comments and trailing commas allowed), or why it cannot be parsed. */
const parseTree = (text: string): Either.Either<Jsonc.Node | undefined, string> => {
  const errors: Array<Jsonc.ParseError> = []
  const tree = Jsonc.parseTree(text.slice(bomLength(text)), errors, parseOptions)
  const reason = problem(errors)
  return reason === undefined ? Either.right(tree) : Either.left(reason)
}

/** Parses an OpenCode config text; an empty text is an empty object. */
export const parse = (text: string, path: string): Either.Either<Json, OpenCodeConfigInvalid> => {
  if (text.trim() === "") return Either.right({})
  const errors: Array<Jsonc.ParseError> = []
  const value: unknown = Jsonc.parse(text.slice(bomLength(text)), errors, parseOptions)
  const reason = problem(errors)
  if (reason !== undefined) return Either.left(new OpenCodeConfigInvalid({ path, reason }))
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
  const global = openCodeConfigDir(env)
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
// setup, uninstall

type Edited = Either.Either<{ readonly text: string; readonly changed: boolean }, OpenCodeConfigInvalid>

/** What `setup` writes when there is no config file. */
const created = (spec: string) =>
  `${JSON.stringify({ $schema: "https://opencode.ai/config.json", plugin: [spec] }, null, 2)}\n`

const property = (object: Jsonc.Node, key: string): Jsonc.Node | undefined =>
  object.children?.find((member) => member.children?.[0]?.value === key)

const end = (node: Jsonc.Node) => node.offset + node.length

/** The text after adding `spec` to the top-level `"plugin"` list, or unchanged when a spec of ours is there already. */
export const addPlugin = (text: string, path: string, spec: string = PACKAGE): Edited => {
  const invalid = (reason: string) => Either.left(new OpenCodeConfigInvalid({ path, reason }))
  if (text.trim() === "") return Either.right({ text: created(spec), changed: true })
  const parsed = parse(text, path)
  if (Either.isLeft(parsed)) return Either.left(parsed.left)
  if (pluginSpecs(parsed.right).some(isOurSpec)) return Either.right({ text, changed: false })
  const tree = Either.getOrUndefined(parseTree(text))
  if (tree?.type !== "object") return invalid("is not a JSON object")
  const bom = bomLength(text)
  const insert = (at: number, content: string) =>
    Either.right({ text: text.slice(0, at + bom) + content + text.slice(at + bom), changed: true })
  const quoted = JSON.stringify(spec)
  const list = property(tree, "plugin")?.children?.[1]
  if (list !== undefined) {
    if (list.type !== "array") return invalid('has a "plugin" value that is not a list')
    const last = list.children?.at(-1)
    return last === undefined ? insert(list.offset + 1, quoted) : insert(end(last), `, ${quoted}`)
  }
  const firstKey = tree.children?.[0]?.children?.[0]
  if (firstKey === undefined) {
    const close = end(tree) - 1
    const body = `\n  "plugin": [${quoted}]\n`
    return Either.right({ text: text.slice(0, tree.offset + 1 + bom) + body + text.slice(close + bom), changed: true })
  }
  const keyAt = firstKey.offset + bom
  const lineStart = text.lastIndexOf("\n", keyAt) + 1
  const indent = /^[ \t]*/.exec(text.slice(lineStart, keyAt))?.[0] ?? "  "
  const sameLine = lineStart <= tree.offset + bom
  return insert(tree.offset + 1, sameLine ? ` "plugin": [${quoted}],` : `\n${indent}"plugin": [${quoted}],`)
}

/** The spec an entry of a plugin list names: `"pkg"`, `["pkg", {options}]` or `{package | name | path}`. */
const specOf = (entry: Jsonc.Node): string | undefined => {
  if (entry.type === "string") return entry.value as string
  if (entry.type === "array" && entry.children?.[0]?.type === "string") return entry.children[0].value as string
  if (entry.type === "object") {
    for (const key of ["package", "name", "path"]) {
      const value = property(entry, key)?.children?.[1]
      if (value?.type === "string") return value.value as string
    }
  }
  return undefined
}

/**
 * The text after removing every entry of ours from the `"plugin"` and `"plugins"` lists. Undoes `addPlugin` exactly:
 * a list or key it added goes with the entry, and a file it created reads as empty (`removeFile`).
 */
export const removePlugin = (
  text: string,
  path: string,
  which: (spec: string) => boolean = isOurSpec
): Either.Either<
  { readonly text: string; readonly removed: ReadonlyArray<string>; readonly removeFile: boolean },
  OpenCodeConfigInvalid
> => {
  const unchanged = { text, removed: [], removeFile: false }
  if (text.trim() === "") return Either.right(unchanged)
  const parsed = parseTree(text)
  if (Either.isLeft(parsed)) return Either.left(new OpenCodeConfigInvalid({ path, reason: parsed.left }))
  const tree = parsed.right
  if (tree?.type !== "object") return Either.right(unchanged)
  const bom = bomLength(text)
  const cuts: Array<readonly [number, number]> = []
  const removed: Array<string> = []
  for (const key of ["plugin", "plugins"]) {
    const member = property(tree, key)
    const list = member?.children?.[1]
    if (member === undefined || list?.type !== "array") continue
    const entries = list.children ?? []
    const ours = entries.map((entry) => {
      const spec = specOf(entry)
      return spec !== undefined && isOurSpec(spec) && which(spec) ? spec : undefined
    })
    if (!ours.some((spec) => spec !== undefined)) continue
    for (const spec of ours) if (spec !== undefined) removed.push(spec)
    // The key `setup` added in front of the others: `{` + `\n<indent>"plugin": ["…"],` (or on the same line).
    const added = /^(\n[ \t]*| )"plugin": \["[^"\\]*"\],/.exec(text.slice(tree.offset + 1 + bom))
    if (key === "plugin" && entries.length === 1 && added !== null && tree.children?.[0] === member) {
      cuts.push([tree.offset + 1, tree.offset + 1 + added[0].length])
      continue
    }
    if (key === "plugin" && entries.length === 1 && tree.children?.length === 1) {
      const inside = text.slice(tree.offset + 1 + bom, end(tree) - 1 + bom)
      if (/^\n {2}"plugin": \["[^"\\]*"\]\n$/.test(inside)) {
        cuts.push([tree.offset + 1, end(tree) - 1])
        continue
      }
    }
    entries.forEach((entry, index) => {
      if (ours[index] === undefined) return
      const previous = entries[index - 1]
      const next = entries[index + 1]
      // Last of several: from the end of the one before (its comma goes); else up to the next one.
      if (next === undefined && previous !== undefined && ours[index - 1] === undefined)
        cuts.push([end(previous), end(entry)])
      else if (next !== undefined) cuts.push([entry.offset, next.offset])
      else cuts.push([entry.offset, end(entry)])
    })
  }
  if (removed.length === 0) return Either.right(unchanged)
  let result = text
  for (const [from, to] of cuts.sort((a, b) => b[0] - a[0]))
    result = result.slice(0, from + bom) + result.slice(to + bom)
  const removeFile = removed.length === 1 && text === created(removed[0] ?? "")
  return Either.right({ text: result, removed, removeFile })
}

/** The global config file `setup` edits: an existing `opencode.jsonc`, else `opencode.json`. */
export const globalConfigFile = (env: Env = process.env): string => {
  const dir = openCodeConfigDir(env)
  const jsonc = join(dir, "opencode.jsonc")
  try {
    statSync(jsonc)
    return jsonc
  } catch {
    return join(dir, "opencode.json")
  }
}

const readConfig = (path: string) =>
  Effect.try({
    try: () => readText(path),
    catch: (cause) => new OpenCodeConfigInvalid({ path, reason: `cannot be read (${(cause as Error).message})` })
  })

/** Writes `text` to `path` atomically, keeping the file's mode; the previous file is kept as `.bak`. */
const write = (path: string, previous: string | undefined, text: string) =>
  Effect.try({
    try: () => {
      mkdirSync(dirname(path), { recursive: true })
      const mode = previous === undefined ? 0o644 : statSync(path).mode & 0o777
      if (previous !== undefined) copyFileSync(path, `${path}.bak`)
      const temp = `${path}.${process.pid}.${Date.now()}.tmp`
      writeFileSync(temp, text, { mode })
      renameSync(temp, path)
    },
    catch: (cause) => new OpenCodeConfigWriteFailed({ path, reason: (cause as Error).message })
  })

/**
 * Adds the plugin to `path` (created when missing), keeping everything else; the old file is kept as `.bak`. Entries
 * of ours that `stale` names (OpenCode cannot load them) are replaced; a loadable one already there is left alone.
 */
export const install = (path: string, spec: string = PACKAGE, stale: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const text = yield* readConfig(path)
    const cleaned =
      text === undefined || stale.length === 0
        ? { text: text ?? "", removed: [] as ReadonlyArray<string> }
        : yield* removePlugin(text, path, (other) => stale.includes(other))
    const planned = yield* addPlugin(cleaned.text, path, spec)
    if (!planned.changed && cleaned.removed.length === 0) {
      return { path, changed: false, created: false, replaced: cleaned.removed }
    }
    const check = yield* parse(planned.text, path)
    if (!pluginSpecs(check).some(isOurSpec)) {
      return yield* new OpenCodeConfigInvalid({ path, reason: "could not be edited safely" })
    }
    yield* write(path, text, planned.text)
    return { path, changed: true, created: text === undefined, replaced: cleaned.removed }
  })

/**
 * Removes the plugin from `path`, keeping everything else (the old file kept as `.bak`); a file `install` created and
 * nobody changed since is deleted.
 */
export const uninstall = (path: string, which: (spec: string) => boolean = isOurSpec) =>
  Effect.gen(function* () {
    const text = yield* readConfig(path)
    if (text === undefined) return { path, removed: [] as ReadonlyArray<string>, deleted: false }
    const planned = yield* removePlugin(text, path, which)
    if (planned.removed.length === 0) return { path, removed: planned.removed, deleted: false }
    if (planned.removeFile) {
      yield* Effect.try({
        try: () => rmSync(path),
        catch: (cause) => new OpenCodeConfigWriteFailed({ path, reason: (cause as Error).message })
      })
      return { path, removed: planned.removed, deleted: true }
    }
    yield* parse(planned.text, path)
    yield* write(path, text, planned.text)
    return { path, removed: planned.removed, deleted: false }
  })
