/**
 * `claude-code-sync`'s entry point (`dist/cli.cjs`). `import` of an archive that did not change since the last import
 * is answered here, from the bookkeeping, without loading the CLI (`QuickImport`: a few milliseconds instead of the
 * bundle's start-up); everything else, and `import` on any doubt, runs the CLI (`main.ts`, bundled as
 * `dist/cli-main.cjs`) with V8's code cache (`CodeCache`, kept in `$XDG_CACHE_HOME/claude-code-sync`). No Effect here.
 */
import * as CodeCache from "@opensync/client/kit/CodeCache"
import * as QuickImport from "@opensync/client/kit/QuickImport"
import packageJson from "../package.json" with { type: "json" }
import { agent } from "./Agent.js"
import * as Discover from "./Discover.js"

const env = process.env
const answered = QuickImport.answer({
  agent,
  version: packageJson.version,
  args: process.argv.slice(2),
  env,
  list: () => {
    const watched: Discover.Watched = { dirs: [], complete: true }
    const files = Discover.transcripts(env, watched)
    return watched.complete ? { files, dirs: watched.dirs } : { files }
  },
  summary: (found) => Discover.summary({ found, items: 0, bytes: 0, events: 0, malformed: 0, skipped: [] }, env)
})
if (!answered) CodeCache.runCli(new URL("./cli-main.cjs", import.meta.url), agent.source.cli, env)
