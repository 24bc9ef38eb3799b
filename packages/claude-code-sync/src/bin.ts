/**
 * `claude-code-sync`'s entry point (`dist/cli.cjs`, the kit's `Entry`). `import` of an archive that did not change
 * since the last import is answered here, from the bookkeeping, without loading the CLI (`QuickImport`: a few
 * milliseconds instead of the bundle's start-up); everything else, and `import` on any doubt, runs the CLI (`main.ts`,
 * bundled as `dist/cli-main.cjs`) with V8's code cache (`CodeCache`, kept in `$XDG_CACHE_HOME/claude-code-sync`). No
 * Effect here.
 */
import * as Entry from "@opensync/client/kit/Entry"
import * as ImportText from "@opensync/client/kit/ImportText"
import packageJson from "../package.json" with { type: "json" }
import { agent } from "./Agent.js"
import * as Discover from "./Discover.js"

Entry.run({
  agent,
  version: packageJson.version,
  main: new URL("./cli-main.cjs", import.meta.url),
  files: Discover.transcripts,
  summary: (found, env) => Discover.summary(ImportText.unchanged(found), env)
})
