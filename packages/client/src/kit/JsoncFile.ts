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

/** The indentation the file already uses (two spaces for a new file). */
const formattingOf = (text: string): Jsonc.FormattingOptions => {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? "  "
  return indent.startsWith("\t")
    ? { insertSpaces: false, tabSize: 1, eol: "\n" }
    : { insertSpaces: true, tabSize: indent.length, eol: text.includes("\r\n") ? "\r\n" : "\n" }
}

/** The text after the plan's changes: one edit per changed event (and removing `hooks` when the plan emptied it). */
export const edit = (text: string, before: HookSettings.Json, plan: HookSettings.Plan): string => {
  const bom = text.charCodeAt(0) === 0xfeff ? "\uFEFF" : ""
  let body = withoutBom(text)
  if (body.trim() === "") body = "{}\n"
  const formattingOptions = formattingOf(body)
  const after = HookSettings.isObject(plan.settings.hooks) ? plan.settings.hooks : undefined
  const apply = (path: Jsonc.JSONPath, value: unknown) => {
    body = Jsonc.applyEdits(body, Jsonc.modify(body, path, value, { formattingOptions }))
  }
  if (after === undefined) {
    if (before.hooks !== undefined) apply(["hooks"], undefined)
  } else {
    for (const event of plan.events) apply(["hooks", event], after[event])
  }
  return `${bom}${body.endsWith("\n") ? body : `${body}\n`}`
}

/** Reads `path` (JSONC), applies `plan` and, if anything changed, writes the edited text (after a `.bak` copy). */
export const apply = (path: string, plan: (settings: HookSettings.Json) => HookSettings.Plan) =>
  Effect.gen(function* () {
    const text = yield* HookSettings.readText(path)
    const settings = yield* parse(text ?? "", path)
    const planned = plan(settings)
    if (planned.added.length > 0 || planned.removed > 0) {
      yield* HookSettings.writeText(path, text !== undefined, edit(text ?? "", settings, planned))
    }
    return planned
  })

/** The parsed file at `path` (a missing file is an empty object). */
export const load = (path: string): Effect.Effect<HookSettings.Json, HookSettings.SettingsInvalid> =>
  Effect.flatMap(HookSettings.readText(path), (text) => parse(text ?? "", path))
