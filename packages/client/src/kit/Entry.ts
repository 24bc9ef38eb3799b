/**
 * An agent CLI's entry point (`bin.ts`, bundled as the package's executable): `import` of a history that did not change
 * since the last import is answered from the bookkeeping (`QuickImport`: a few milliseconds instead of the CLI's
 * start-up); everything else, and `import` on any doubt, runs the CLI proper (`main.ts`, a second bundle) with V8's
 * code cache (`CodeCache`). No Effect: this runs before the CLI bundle is loaded.
 */
import type { Agent, Env } from "./Agent.js"
import * as CodeCache from "./CodeCache.js"
import type * as ImportText from "./ImportText.js"
import * as Listing from "./Listing.js"
import * as QuickImport from "./QuickImport.js"

interface Common {
  readonly agent: Agent
  readonly version: string
  /** The CLI proper's bundle (`new URL("./cli-main.cjs", import.meta.url)`). */
  readonly main: URL
}

export type EntryOptions = Common &
  (
    | {
        /** The agent's history files as `import` lists them, recording the folders read in `watched`. */
        readonly files: (env: Env, watched: Listing.Watched) => ReadonlyArray<QuickImport.HistoryFile>
        /** The import's summary line for a history found unchanged. */
        readonly summary: (found: ImportText.Found, env: Env) => string
      }
    | {
        /**
         * The agent's history items (sessions in a database) as `import` lists them, and the import's summary line
         * for them found unchanged; throws when it cannot tell.
         */
        readonly items: (env: Env) => {
          readonly items: ReadonlyArray<QuickImport.HistoryItem>
          readonly summary: (found: ImportText.Found) => string
        }
      }
  )

export const run = (options: EntryOptions, env: Env = process.env): void => {
  let summary: (found: ImportText.Found) => string = (found) =>
    "summary" in options ? options.summary(found, env) : ""
  const answered = QuickImport.answer({
    agent: options.agent,
    version: options.version,
    args: process.argv.slice(2),
    env,
    list: () => {
      if ("items" in options) {
        const listed = options.items(env)
        summary = listed.summary
        return { files: [], items: listed.items }
      }
      const watched = Listing.watching()
      const files = options.files(env, watched)
      return watched.complete ? { files, dirs: watched.dirs } : { files }
    },
    summary: (found) => summary(found)
  })
  if (!answered) CodeCache.runCli(options.main, options.agent.source.cli, env)
}
