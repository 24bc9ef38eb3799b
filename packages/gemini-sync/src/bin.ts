/**
 * `gemini-sync`'s entry point (`dist/cli.mjs`, the kit's `Entry`): `import` of chat files that did not change since the
 * last import is answered from the bookkeeping without loading the CLI (the chats' session ids, which their headers
 * hold, come from the bookkeeping too); everything else runs the CLI (`main.ts`, bundled as `dist/cli-main.cjs`) with
 * V8's code cache, kept in `$XDG_CACHE_HOME/gemini-sync`. No Effect here.
 */
import * as Entry from "@opensync/client/kit/Entry"
import * as ImportText from "@opensync/client/kit/ImportText"
import * as Listing from "@opensync/client/kit/Listing"
import packageJson from "../package.json" with { type: "json" }
import { agent } from "./Agent.js"
import * as Files from "./Files.js"

Entry.run({
  agent,
  version: packageJson.version,
  main: new URL("./cli-main.cjs", import.meta.url),
  files: (env, watched) => Listing.statFiles(Files.chatPaths(env, watched)),
  summary: (found, env) => ImportText.sessionFilesSummary(agent, Files.root(env), ImportText.unchanged(found))
})
