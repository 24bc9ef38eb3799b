/**
 * Gemini CLI's chat files, listed: every one it keeps, `~/.gemini/tmp/<project>/chats/session-*.jsonl` (and the older
 * `.json`) and its subagents' chats, `chats/<parent session id>/<session id>.jsonl`. What `import` reads
 * (`History.ts`, which takes each file's session id from its header) and what the quick check of an unchanged history
 * (`bin.ts`, which takes it from the bookkeeping) compares with the bookkeeping. No Effect: the CLI's small entry point
 * imports this module.
 */
import { join } from "node:path"
import * as Listing from "@opensync/client/kit/Listing"
import { geminiDir } from "./Agent.js"

type Env = Readonly<Record<string, string | undefined>>

const CHAT = /^session-.+\.jsonl?$/
const SUBAGENT_CHAT = /\.jsonl$/

/** The folder holding a folder per project. */
export const root = (env: Env): string => join(geminiDir(env), "tmp")

/** The chats of the subagents a session started: the `.jsonl` files of `dir` (`chats/<session id>/`). */
export const subagentChatPaths = (dir: string, watched?: Listing.Watched): ReadonlyArray<string> =>
  Listing.watchedEntries(dir, watched)
    .filter((entry) => entry.isFile() && SUBAGENT_CHAT.test(entry.name))
    .map((entry) => join(dir, entry.name))

/** The paths of every chat file, recording the folders read in `watched`. */
export const chatPaths = (env: Env, watched?: Listing.Watched): ReadonlyArray<string> => {
  const tmp = root(env)
  const paths: Array<string> = []
  for (const project of Listing.rootEntries(tmp, watched)) {
    if (!Listing.mayBeDirectory(project)) continue
    // A `chats` folder made later changes the project folder's time.
    Listing.watch(join(tmp, project.name), watched)
    const chats = join(tmp, project.name, "chats")
    for (const entry of Listing.watchedEntries(chats, watched)) {
      if (CHAT.test(entry.name)) paths.push(join(chats, entry.name))
      else if (entry.isDirectory()) paths.push(...subagentChatPaths(join(chats, entry.name), watched))
    }
  }
  // Gemini CLI continues a resumed `.json` chat in a `.jsonl` beside it, which holds all of it.
  const listed = new Set(paths)
  return paths.filter((path) => !(path.endsWith(".json") && listed.has(`${path}l`)))
}
