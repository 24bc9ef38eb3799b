/**
 * `HookSettings` for a settings file that may hold comments and trailing commas (JSONC: Gemini CLI's
 * `settings.json`): parsed with jsonc-parser, and changed by textual edits of only the hook events that change, so
 * every other byte (comments, formatting, the user's other settings) stays as it was. A bundle that imports this
 * module needs esbuild's `mainFields: ["module", "main"]` (jsonc-parser's `main` is a UMD build).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Jsonc from "jsonc-parser"
import * as HookSettings from "./HookSettings.js"

const parseOptions = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true } as const

/** A leading byte order mark is not part of the JSON. */
const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)

/** Parses JSONC text into the settings object (an empty file is an empty object), or why it cannot be edited. */
export const parse = (text: string, path: string): Either.Either<HookSettings.Json, HookSettings.SettingsInvalid> => {
  const body = withoutBom(text)
  if (body.trim() === "") return Either.right({})
  const errors: Array<Jsonc.ParseError> = []
  const value: unknown = Jsonc.parse(body, errors, parseOptions)
  const first = errors[0]
  if (first !== undefined) {
    return Either.left(
      new HookSettings.SettingsInvalid({
        path,
        reason: `is not valid JSON (${Jsonc.printParseErrorCode(first.error)} at offset ${first.offset})`
      })
    )
  }
  return HookSettings.validate(value, path)
}

/** The indentation unit the file already uses (two spaces for a new file). */
const unitOf = (text: string): string => /\n([ \t]+)["}\]]/.exec(text)?.[1] ?? "  "

/** The whitespace that starts the line holding `offset`. */
const indentAt = (text: string, offset: number): string => {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? ""
}

/** `value` as JSON indented by `unit`, its lines after the first starting at `indent`. */
const render = (value: unknown, unit: string, indent: string) =>
  JSON.stringify(value, null, unit).replace(/\n/g, `\n${indent}`)

/**
 * Sets or removes `key` of the object at `path`, by a textual edit that touches nothing else: a new property goes
 * after the last one (`,\n<indent>"key": value`), a removed one takes its comma along, so removing what was added
 * gives back the text byte for byte.
 */
const setProperty = (text: string, path: Jsonc.JSONPath, key: string, value: unknown): string => {
  const tree = Jsonc.parseTree(text, [], parseOptions)
  const object = tree === undefined ? undefined : Jsonc.findNodeAtLocation(tree, path)
  if (object === undefined || object.type !== "object") return text
  const properties = object.children ?? []
  const index = properties.findIndex((property) => property.children?.[0]?.value === key)
  const unit = unitOf(text)
  const splice = (from: number, to: number, content: string) => `${text.slice(0, from)}${content}${text.slice(to)}`
  if (index >= 0) {
    const property = properties[index]!
    if (value === undefined) {
      const previous = properties[index - 1]
      const next = properties[index + 1]
      if (previous !== undefined)
        return splice(previous.offset + previous.length, property.offset + property.length, "")
      if (next !== undefined) return splice(property.offset, next.offset, "")
      return splice(object.offset + 1, object.offset + object.length - 1, "")
    }
    const node = property.children?.[1]
    if (node === undefined) return text
    return splice(node.offset, node.offset + node.length, render(value, unit, indentAt(text, property.offset)))
  }
  if (value === undefined) return text
  const last = properties.at(-1)
  if (last !== undefined) {
    const indent = indentAt(text, last.offset)
    return splice(
      last.offset + last.length,
      last.offset + last.length,
      `,\n${indent}"${key}": ${render(value, unit, indent)}`
    )
  }
  const outer = indentAt(text, object.offset)
  const indent = `${outer}${unit}`
  return splice(
    object.offset + 1,
    object.offset + object.length - 1,
    `\n${indent}"${key}": ${render(value, unit, indent)}\n${outer}`
  )
}

const sameLine = (text: string, a: number, b: number) => !text.slice(Math.min(a, b), Math.max(a, b)).includes("\n")

/**
 * Turns the array at `path` into `after` with the smallest textual edit: elements appended after the existing ones, or
 * elements removed (with their commas); any other change replaces the whole array.
 */
const setArray = (text: string, path: Jsonc.JSONPath, after: ReadonlyArray<unknown>): string => {
  const tree = Jsonc.parseTree(text, [], parseOptions)
  const array = tree === undefined ? undefined : Jsonc.findNodeAtLocation(tree, path)
  if (array === undefined || array.type !== "array")
    return setProperty(text, path.slice(0, -1), String(path.at(-1)), after)
  const items = array.children ?? []
  const before = items.map((item) => JSON.stringify(Jsonc.getNodeValue(item)))
  const wanted = after.map((item) => JSON.stringify(item))
  const splice = (from: number, to: number, content: string) => `${text.slice(0, from)}${content}${text.slice(to)}`
  const unit = unitOf(text)
  if (wanted.length > before.length && before.every((item, i) => item === wanted[i])) {
    const last = items.at(-1)
    const indent =
      last === undefined || sameLine(text, array.offset, last.offset)
        ? `${indentAt(text, array.offset)}${unit}`
        : indentAt(text, last.offset)
    const added = after.slice(before.length).map((item) => `\n${indent}${render(item, unit, indent)}`)
    if (last === undefined) {
      const close = array.offset + array.length - 1
      return splice(array.offset + 1, close, `${added.join(",")}\n${indentAt(text, array.offset)}`)
    }
    return splice(last.offset + last.length, last.offset + last.length, `,${added.join(",")}`)
  }
  // Removals only: `after` is `before` with some elements left out, in order.
  const kept: Array<number> = []
  let next = 0
  for (let i = 0; i < before.length && next < wanted.length; i++) {
    if (before[i] === wanted[next]) {
      kept.push(i)
      next++
    }
  }
  if (next === wanted.length && kept.length < before.length) {
    let out = text
    for (let i = items.length - 1; i >= 0; i--) {
      if (kept.includes(i)) continue
      const item = items[i]!
      const previous = items[i - 1]
      const following = items[i + 1]
      const [from, to] =
        previous !== undefined
          ? [previous.offset + previous.length, item.offset + item.length]
          : following !== undefined
            ? [item.offset, following.offset]
            : [array.offset + 1, array.offset + array.length - 1]
      out = `${out.slice(0, from)}${out.slice(to)}`
    }
    return out
  }
  return setProperty(text, path.slice(0, -1), String(path.at(-1)), after)
}

/** The text after the plan's changes: one edit per changed event (and the `hooks` key added or removed whole). */
export const edit = (text: string, before: HookSettings.Json, plan: HookSettings.Plan): string => {
  const bom = text.charCodeAt(0) === 0xfeff ? "\uFEFF" : ""
  let body = withoutBom(text)
  if (body.trim() === "") body = "{}\n"
  const after = HookSettings.isObject(plan.settings.hooks) ? plan.settings.hooks : undefined
  if (after === undefined || !HookSettings.isObject(before.hooks)) body = setProperty(body, [], "hooks", after)
  else {
    for (const event of plan.events) {
      const value = after[event]
      body =
        Array.isArray(value) && Array.isArray(before.hooks[event])
          ? setArray(body, ["hooks", event], value)
          : setProperty(body, ["hooks"], event, value)
    }
  }
  return `${bom}${body.endsWith("\n") ? body : `${body}\n`}`
}

/** Reads `path` (JSONC), applies `plan` and, if anything changed, writes the edited text (after a `.bak` copy). */
export const apply = (path: string, plan: (settings: HookSettings.Json) => HookSettings.Plan) =>
  Effect.gen(function* () {
    const text = yield* HookSettings.readText(path)
    const settings = yield* parse(text ?? "", path)
    const planned = plan(settings)
    if (HookSettings.changes(planned)) {
      yield* HookSettings.writeText(path, text !== undefined, edit(text ?? "", settings, planned))
    }
    return planned
  })

/** The parsed file at `path` (a missing file is an empty object). */
export const load = (path: string): Effect.Effect<HookSettings.Json, HookSettings.SettingsInvalid> =>
  Effect.flatMap(HookSettings.readText(path), (text) => parse(text ?? "", path))
