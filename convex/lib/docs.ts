import { type Api, type Message, Session, type ToolCall } from "@opensync/domain"
import type { Doc, Id } from "../_generated/dataModel.js"

/** Conversions between stored documents and domain values: the documents are the domain's encoded shapes plus keys. */

/** Sessions written before `source` existed count as OpenCode's (the only agent the first plugin synced). */
export const legacyDefaultSource = "opencode"

export const toSession = (doc: Doc<"sessions">): Session.Session => {
  const { _id, _creationTime, userId: _u, project: _p, titleText: _t, source, ...rest } = doc
  return { ...rest, source: source ?? legacyDefaultSource } as Session.Session
}

export const toSummary = (doc: Doc<"sessions">): Api.SessionSummary => {
  const { usageSlices: _u, toolSlices: _t, ...rest } = toSession(doc)
  return rest
}

export const toMessage = (doc: Doc<"messages">): Message.Message => {
  const { _id, _creationTime, userId: _u, sessionDoc: _s, ...rest } = doc
  return rest as Message.Message
}

export const toToolCall = (doc: Doc<"toolCalls">): ToolCall.ToolCall => {
  const { _id, _creationTime, userId: _u, sessionDoc: _s, ...rest } = doc
  return rest as ToolCall.ToolCall
}

/** The stored form of a session: its encoded fields plus the owner and the derived filter and search fields. */
export const sessionRow = (session: Session.Session, userId: Id<"users">) => ({
  ...session,
  userId,
  project: Session.projectOf(session),
  titleText: session.title ?? ""
})

/** Rough UTF-8 size of a value as stored; used to keep reads and documents inside Convex's limits. */
export const approximateBytes = (value: unknown): number => {
  const text = JSON.stringify(value) ?? ""
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code < 0xdc00 ? 2 : 3
  }
  return bytes
}
