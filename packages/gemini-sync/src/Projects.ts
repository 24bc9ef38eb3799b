import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { Lenient } from "@opensync/client"

/*
 * Which project a chat file belongs to. Gemini CLI keeps a project's chats in `~/.gemini/tmp/<project>/chats/`, where
 * `<project>` is a slug (0.61: `projects.json` maps absolute paths to slugs, and `.project_root` in the folder names
 * the path) or, in older versions, the SHA-256 of the path (the chat header's `projectHash` too).
 */

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/** `projects.json`'s map of absolute project paths to slugs. */
export const projectsOf = (geminiDir: string): ReadonlyArray<readonly [string, string]> => {
  try {
    const projects = Lenient.record(
      Lenient.record(JSON.parse(readText(join(geminiDir, "projects.json")) ?? "")).projects
    )
    return Object.entries(projects).flatMap(([path, slug]) => (typeof slug === "string" ? [[path, slug] as const] : []))
  } catch {
    return []
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** The project path of the chat file at `chatFile`, or null when nothing says. */
export const projectOf = (geminiDir: string, chatFile: string, projectHash: string | null): string | null => {
  // `<project>/chats/<file>`, or `<project>/chats/<parent session>/<file>` for a subagent's chat.
  const chats = dirname(chatFile)
  const folder = basename(chats) === "chats" ? dirname(chats) : dirname(dirname(chats))
  const root = readText(join(folder, ".project_root"))?.trim()
  if (root !== undefined && root !== "") return root
  const name = basename(folder)
  for (const [path, slug] of projectsOf(geminiDir)) {
    if (slug === name || sha256(path) === name || (projectHash !== null && sha256(path) === projectHash)) return path
  }
  return null
}
