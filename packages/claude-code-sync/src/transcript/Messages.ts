import { createHash } from "node:crypto"
import * as SessionEvents from "@opensync/client/kit/SessionEvents"
import type { Message } from "@opensync/domain"
import type { RawMessageContent } from "./Lines.js"

/*
 * User-role lines that are not what the user wrote. Claude Code puts its own text in the user's turn: task
 * notifications when a background subagent finishes (2.1.332: a synthetic turn, `origin.kind: "task-notification"`,
 * `promptSource: "system"`), `<command-name>` wrappers of slash commands, `<local-command-stdout>` and `<bash-…>`
 * output, system reminders, compaction summaries. `classify` tells them apart so they are stored as what they are
 * (role and `subtype`), with readable text instead of the XML; the hooks use the same function for the
 * UserPromptSubmit payload, so a message synced live and from the transcript is the same message.
 */

type Part = typeof Message.Part.Encoded

/** How a user-role text is stored: its role, what it is (`subtype`, absent for a prompt the user typed) and its text. */
export interface Classified {
  readonly role: "user" | "system"
  readonly subtype?: Message.Subtype
  readonly text: string
  /** For commands: whether it may title the session (a command the user typed, not Claude Code's own output). */
  readonly command?: { readonly name: string }
}

/** What else the transcript says about the line. */
export interface LineFacts {
  readonly compactSummary?: boolean
  /** `origin.kind` (2.1.332+). */
  readonly originKind?: string | undefined
  /** `promptSource` (2.1.332+): `system` for turns Claude Code started. */
  readonly promptSource?: string | undefined
  /** A prompt the parent agent wrote: any prompt of a subagent transcript (or an inline sidechain line). */
  readonly fromParentAgent?: boolean
}

/** The inner text of the first `<tag>…</tag>` in `text`, trimmed; undefined when the tag is absent or unclosed. */
export const tagText = (text: string, tag: string): string | undefined => {
  const open = `<${tag}>`
  const start = text.indexOf(open)
  if (start < 0) return undefined
  const end = text.indexOf(`</${tag}>`, start + open.length)
  return end < 0 ? undefined : text.slice(start + open.length, end).trim()
}

const TASK_NOTIFICATION = "<task-notification>"

/**
 * The message id of a task notification: a digest of its text. Claude Code 2.1.332 delivers one either as a turn of
 * its own (a user line with its own `promptId`) or absorbed into the running turn (a `queued_command` attachment, and a
 * UserPromptSubmit that reuses the running turn's `prompt_id`); the text is the same in the hook payload and in either
 * transcript form, so the id is too, and the notification never takes the place of the user's prompt.
 */
export const notificationId = (raw: string): string =>
  `notification_${createHash("sha256").update(raw.trim()).digest("hex").slice(0, 32)}`

/** Whether a user-role text is a task notification. */
export const isTaskNotification = (text: string, originKind?: string): boolean =>
  originKind === "task-notification" || text.trimStart().startsWith(TASK_NOTIFICATION)

/**
 * A task notification as text: its summary (e.g. `Agent "Say done" finished`) and the task's result, without the
 * bookkeeping (ids, output file path, usage); the raw text when it has neither.
 */
export const notificationText = (text: string): string => {
  const summary = tagText(text, "summary")
  const status = tagText(text, "status")
  const result = tagText(text, "result")
  const head = summary ?? (status !== undefined ? `Background task ${status}` : undefined)
  if (head === undefined && result === undefined) return text.trim()
  return [head, result].filter((piece) => piece !== undefined && piece !== "").join("\n\n")
}

/** A slash command wrapper (`<command-name>/review</command-name>…<command-args>nightly</command-args>`) as typed. */
const commandOf = (text: string): { readonly name: string; readonly text: string } | undefined => {
  const raw = tagText(text, "command-name") ?? tagText(text, "command-message")
  if (raw === undefined || raw === "") return undefined
  const name = raw.startsWith("/") ? raw : `/${raw}`
  const args = tagText(text, "command-args") ?? ""
  return { name, text: args === "" ? name : `${name} ${args}` }
}

/** The inner texts of the given tags, joined; undefined when none is present. */
const joinedTags = (text: string, tags: ReadonlyArray<string>): string | undefined => {
  const found = tags.map((tag) => tagText(text, tag)).filter((inner): inner is string => inner !== undefined)
  return found.length === 0 ? undefined : found.filter((inner) => inner !== "").join("\n")
}

const REMINDER_OPEN = "<system-reminder>"
const REMINDER_CLOSE = "</system-reminder>"

/** Whether the whole text is one or more system reminders. */
export const isReminderOnly = (text: string): boolean => {
  const trimmed = text.trim()
  return trimmed.startsWith(REMINDER_OPEN) && trimmed.endsWith(REMINDER_CLOSE)
}

/** What a `!` command's output is synced as: its length, never its text. */
export const bashOutputText = (length: number): string =>
  `[output of the ! command: ${length.toLocaleString("en-US")} characters, not synced]`

/** Classifies the text of a user-role line (a transcript prompt line or a UserPromptSubmit `prompt`). */
export const classify = (text: string, facts: LineFacts = {}): Classified => {
  const trimmed = text.trimStart()
  if (facts.compactSummary === true) return { role: "system", subtype: "summary", text }
  if (isTaskNotification(trimmed, facts.originKind)) {
    return { role: "system", subtype: "notification", text: notificationText(text) }
  }
  if (trimmed.startsWith("<command-name>") || trimmed.startsWith("<command-message>")) {
    const command = commandOf(trimmed)
    if (command !== undefined) return { role: "user", subtype: "command", text: command.text, command }
  }
  if (trimmed.startsWith("<local-command-stdout>") || trimmed.startsWith("<local-command-stderr>")) {
    const output = joinedTags(trimmed, ["local-command-stdout", "local-command-stderr"])
    return { role: "system", subtype: "command-output", text: output ?? text }
  }
  if (trimmed.startsWith("<bash-input>")) {
    return { role: "user", subtype: "command", text: `! ${tagText(trimmed, "bash-input") ?? ""}`.trimEnd() }
  }
  if (trimmed.startsWith("<bash-stdout>") || trimmed.startsWith("<bash-stderr>")) {
    // What a `!` command printed is tool output (`! cat .env` prints a file): its length only, as for the Bash tool's
    const output = joinedTags(trimmed, ["bash-stdout", "bash-stderr"]) ?? ""
    return { role: "system", subtype: "command-output", text: bashOutputText(output.length) }
  }
  if (isReminderOnly(trimmed)) {
    return { role: "system", subtype: "reminder", text: joinedTags(trimmed, ["system-reminder"]) ?? text }
  }
  if (facts.promptSource === "system") return { role: "system", subtype: "notification", text }
  if (facts.fromParentAgent === true) return { role: "user", subtype: "delegation", text }
  return { role: "user", text }
}

/** A prompt line's text and parts: string content, or its text blocks (system reminders left out) and placeholders. */
export const contentOf = (content: NonNullable<RawMessageContent>): { text: string; parts: ReadonlyArray<Part> } => {
  if (typeof content === "string") {
    return { text: content, parts: content === "" ? [] : [{ type: "text", text: content }] }
  }
  let text = ""
  const parts: Array<Part> = []
  const texts = content.filter((block) => block?.type === "text" && block.text !== undefined)
  const allReminders = texts.length > 0 && texts.every((block) => isReminderOnly(block?.text ?? ""))
  for (const block of content) {
    if (block === undefined) continue
    if (block.type === "text" && block.text !== undefined) {
      if (!allReminders && isReminderOnly(block.text)) {
        parts.push({ type: "other", name: "system-reminder", summary: null })
        continue
      }
      text += block.text
      parts.push({ type: "text", text: block.text })
    } else if (block.type !== undefined) {
      parts.push({ type: "other", name: block.type, summary: null })
    }
  }
  return { text, parts }
}

/** Text parts for a classified message: its (possibly rewritten) text replaces the line's text parts. */
export const partsOf = (classified: Classified, original: ReadonlyArray<Part>, originalText: string) => {
  if (classified.text === originalText) return original
  const others = original.filter((part) => part.type !== "text")
  return classified.text === "" ? others : [{ type: "text" as const, text: classified.text }, ...others]
}

/** The title a text gives a session (the agent kit's rule, the same for every agent). */
export const titleOf = SessionEvents.titleOf
