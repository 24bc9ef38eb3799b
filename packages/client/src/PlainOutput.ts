import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

/**
 * The CLIs' output without terminal colours where they would be noise: `@effect/cli` styles its help and errors with
 * ANSI escapes whatever the output is, so `--help | less`, a pipe into `grep` or a log file got `ESC[0;1m` sequences.
 * What goes to a stream that is not a terminal, or anywhere when `NO_COLOR` is set (no-color.org), is written without
 * them; a terminal still gets the colours.
 */

/** The SGR sequences (`ESC [ … m`) that colour and style text. */
const STYLE = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, "g")

/** `text` without its colours and styles. */
export const unstyled = (text: string): string => text.replace(STYLE, "")

const plain = (args: ReadonlyArray<unknown>) => args.map((arg) => (typeof arg === "string" ? unstyled(arg) : arg))

/** Whether what goes to `stream` is written without colours. */
export const plainFor = (
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env
): boolean => stream.isTTY !== true || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")

/** Runs `self` with a console that writes its standard output and error without colours where `plainFor` says so. */
export const plainWhenPiped = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const out = plainFor(process.stdout)
  const err = plainFor(process.stderr)
  if (!out && !err) return self
  return Console.consoleWith((console) =>
    Console.withConsole(self, {
      ...console,
      log: (...args) => console.log(...(out ? plain(args) : args)),
      info: (...args) => console.info(...(out ? plain(args) : args)),
      error: (...args) => console.error(...(err ? plain(args) : args)),
      warn: (...args) => console.warn(...(err ? plain(args) : args))
    })
  )
}
