import * as Console from "effect/Console"

/**
 * Characters that act on a terminal instead of showing: C0 controls but tab and line feed (ESC starts colour, cursor,
 * title and clear-screen sequences; CR and backspace overwrite what was printed), DEL, C1 controls (`\u009b` is a CSI
 * on its own), and the bidirectional overrides and isolates that reorder what a line shows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/**
 * `text` with every character of `CONTROL` written out as its `\u` escape: a session title, project, message or key
 * name stored by any key-holder is printed as text, never run by the terminal. The escape is valid inside a JSON
 * string, so `--json` output stays JSON.
 */
export const terminalSafe = (text: string): string =>
  text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** Prints a line of a command's output (see `terminalSafe`). */
export const print = (text: string) => Console.log(terminalSafe(text))
