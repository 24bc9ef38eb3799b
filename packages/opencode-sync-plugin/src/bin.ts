/**
 * `opencode-sync`'s entry point (`dist/cli.mjs`, the kit's `Entry`): `import` of sessions that did not change since the
 * last import (each session's update time in `opencode.db`, read with libsql's synchronous binding, and in the legacy
 * JSON store) is answered from the bookkeeping without loading the CLI; everything else runs the CLI (`main.ts`,
 * bundled as `dist/cli-main.cjs`) with V8's code cache, kept in `$XDG_CACHE_HOME/opencode-sync`, so the background
 * sync the plugin starts after a turn starts ~0.1 s sooner. No Effect here.
 */
import { existsSync } from "node:fs"
import { paths as statePaths } from "@opensync/client/kit/Agent"
import * as Entry from "@opensync/client/kit/Entry"
import * as ImportText from "@opensync/client/kit/ImportText"
import packageJson from "../package.json" with { type: "json" }
import { agent, openCodeDatabase, openCodeLegacyStorage } from "./Agent.js"
import * as Sessions from "./Sessions.js"

Entry.run({
  agent,
  version: packageJson.version,
  main: new URL("./cli-main.cjs", import.meta.url),
  items: (env) => {
    const where = { database: openCodeDatabase(env), legacy: openCodeLegacyStorage(env) }
    const database = existsSync(where.database)
    const fromDb = database ? Sessions.databaseSessions(where.database) : []
    const { refs, counts } = Sessions.combine(fromDb, Sessions.legacySessions(where.legacy, undefined), where, database)
    // A session noted incomplete is read by every import (`Sessions.Note`): never answered from the bookkeeping.
    const notes = Sessions.readNotes(statePaths(agent, env).stateDir)
    return {
      items: refs.map((ref) => {
        const key = Sessions.keyOf(ref)
        const note = notes.get(key)
        return { key, version: note === "incomplete" ? note : Sessions.listedVersion(ref, note), sessionId: ref.id }
      }),
      summary: (found) => Sessions.summary(ImportText.unchanged(found), counts, where)
    }
  }
})
