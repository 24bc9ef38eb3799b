/*
 * The plugin's memory of the sessions it sees: OpenCode bus events folded into the same shape `opencode export` and
 * the SQLite store give (`{info, messages: [{info, parts}]}`), so live sync and import feed one mapping
 * (`Mapping.toEvents`). Plain TypeScript with no dependencies: it runs inside OpenCode's process on every event.
 */

import type { Json, MessageSnapshot, SessionSnapshot } from "./Snapshot.js"

export type { Json, MessageSnapshot, SessionSnapshot }

interface TrackedMessage {
  info: Json | undefined
  /** Whole parts, or `settle`d ones once the message was handed over complete. */
  readonly parts: Map<string, Json>
  dirty: boolean
}

interface TrackedSession {
  info: Json | undefined
  infoDirty: boolean
  readonly messages: Map<string, TrackedMessage>
  /** True after the turn ended (`session.idle`) until the next one starts (`busy`): later changes are flushed at once. */
  idle: boolean
  /**
   * True when this process saw the session created, before anything else of it, and every snapshot of it was taken
   * and saved since (`lost` clears it): its snapshots then hold all of the session.
   */
  fromStart: boolean
  /** How many snapshots of it were taken since. */
  parts: number
  /** OpenCode deleted it: forgotten once its last changes are taken. */
  deleted: boolean
}

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)

const byId = (a: Json, b: Json): number => {
  const x = String(a.id)
  const y = String(b.id)
  return x < y ? -1 : x > y ? 1 : 0
}

/** The size `Mapping` gives a tool's input: its JSON's length. */
export const inputLength = (input: unknown): number => (input === undefined ? 0 : (JSON.stringify(input)?.length ?? 0))

/** The size `Mapping` gives a tool's output: a string's length, else its JSON's. */
export const outputLength = (output: unknown): number =>
  typeof output === "string" ? output.length : (JSON.stringify(output ?? null)?.length ?? 0)

/** The fields of a tool's input `Mapping.summarizeInput` reads; of the others only the names count. */
const SUMMARIZED = new Set([
  "command",
  "filePath",
  "path",
  "pattern",
  "url",
  "query",
  "subagent_type",
  "description",
  "name"
])

const pick = (value: unknown, keys: ReadonlyArray<string>): Json => {
  const from = isObject(value) ? value : {}
  const out: Record<string, unknown> = {}
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key]
  return out
}

const IDS = ["id", "sessionID", "messageID", "type"]

/**
 * What `Mapping.toEvents` reads of a part, once its message was handed over complete: a later change to the message (a
 * part updated again, its info filled in) re-sends it whole, with the same events, from this. Without what the mapping
 * only measures or never reads (tool outputs, metadata and file contents, data URLs): OpenCode's process lives for days,
 * and those would stay in it for every session it ran. The measured sizes go in `opensync`, which the mapping reads
 * instead of measuring.
 */
export const settle = (part: Json): Json => {
  switch (part.type) {
    case "text":
      // What OpenCode made itself (an attached file's text) is not kept: it is not synced (`Mapping.notWritten`)
      return part.synthetic === true ? { ...pick(part, IDS), synthetic: true } : pick(part, [...IDS, "text", "ignored"])
    case "reasoning":
      return pick(part, [...IDS, "text"])
    case "tool": {
      if (isObject(part.opensync)) return part
      const state = isObject(part.state) ? part.state : {}
      const input = isObject(state.input)
        ? Object.fromEntries(Object.entries(state.input).map(([key, v]) => [key, SUMMARIZED.has(key) ? v : null]))
        : null
      return {
        ...pick(part, [...IDS, "callID", "tool"]),
        state: {
          ...pick(state, ["status", "time", "error"]),
          input,
          metadata: pick(state.metadata, ["filepath", "exit"])
        },
        opensync: { inputBytes: inputLength(state.input), outputBytes: outputLength(state.output) }
      }
    }
    case "file": {
      const url = typeof part.url === "string" && part.url.startsWith("data:") ? "data:" : part.url
      return { ...pick(part, [...IDS, "filename", "mime"]), url, source: pick(part.source, ["path"]) }
    }
    case "retry": {
      const error = isObject(part.error) ? part.error : {}
      return { ...pick(part, IDS), error: { ...pick(error, ["name"]), data: pick(error.data, ["message"]) } }
    }
    default:
      // Step markers (with their tokens and cost), patches, subtasks, agents, compactions: small, all kept
      return part
  }
}

/** Folds bus events into per-session state; `apply` says when a session should be flushed, `take` hands it over. */
export class Tracker {
  private readonly sessions = new Map<string, TrackedSession>()

  private session(id: string): TrackedSession {
    let session = this.sessions.get(id)
    if (session === undefined) {
      session = {
        info: undefined,
        infoDirty: false,
        messages: new Map(),
        idle: false,
        fromStart: false,
        parts: 0,
        deleted: false
      }
      this.sessions.set(id, session)
    }
    return session
  }

  private message(session: TrackedSession, id: string): TrackedMessage {
    let message = session.messages.get(id)
    if (message === undefined) {
      message = { info: undefined, parts: new Map(), dirty: false }
      session.messages.set(id, message)
    }
    return message
  }

  /** Applies one bus event (`{type, properties}`); returns the id of a session to flush now, if any. */
  apply(event: unknown): string | undefined {
    if (!isObject(event) || typeof event.type !== "string") return undefined
    const props = isObject(event.properties) ? event.properties : {}
    switch (event.type) {
      case "session.created":
      case "session.updated": {
        const info = isObject(props.info) ? props.info : undefined
        const id = text(info?.id) ?? text(props.sessionID)
        if (id === undefined || info === undefined) return undefined
        const known = this.sessions.has(id)
        const session = this.session(id)
        if (event.type === "session.created" && !known) session.fromStart = true
        session.info = info
        session.infoDirty = true
        return session.idle ? id : undefined
      }
      case "session.deleted": {
        const info = isObject(props.info) ? props.info : undefined
        const id = text(info?.id) ?? text(props.sessionID)
        const session = id === undefined ? undefined : this.sessions.get(id)
        if (id === undefined || session === undefined) return undefined
        // Its last changes are still taken (`take` then forgets it); with none, it is forgotten now.
        if (!this.hasChanges(id)) {
          this.sessions.delete(id)
          return undefined
        }
        session.deleted = true
        return id
      }
      case "session.status": {
        const id = text(props.sessionID)
        const status = isObject(props.status) ? props.status.type : undefined
        if (id === undefined) return undefined
        if (status === "idle") return this.idle(id)
        if (status === "busy") this.session(id).idle = false
        return undefined
      }
      case "session.idle":
      case "session.error":
      case "session.compacted": {
        const id = text(props.sessionID)
        return id === undefined ? undefined : this.idle(id)
      }
      case "message.updated": {
        const info = isObject(props.info) ? props.info : undefined
        const id = text(info?.id)
        const sessionId = text(info?.sessionID) ?? text(props.sessionID)
        if (info === undefined || id === undefined || sessionId === undefined) return undefined
        const session = this.session(sessionId)
        // A message not seen before starts a new turn; a known one changing after the turn ended is flushed at once.
        if (!session.messages.has(id)) session.idle = false
        const message = this.message(session, id)
        message.info = info
        message.dirty = true
        return session.idle ? sessionId : undefined
      }
      case "message.removed": {
        const sessionId = text(props.sessionID)
        const id = text(props.messageID)
        if (sessionId !== undefined && id !== undefined) this.sessions.get(sessionId)?.messages.delete(id)
        return undefined
      }
      case "message.part.updated": {
        const part = isObject(props.part) ? props.part : undefined
        const id = text(part?.id)
        const messageId = text(part?.messageID)
        const sessionId = text(part?.sessionID) ?? text(props.sessionID)
        if (part === undefined || id === undefined || messageId === undefined || sessionId === undefined) {
          return undefined
        }
        const session = this.session(sessionId)
        if (!session.messages.has(messageId)) session.idle = false
        const message = this.message(session, messageId)
        message.parts.set(id, part)
        message.dirty = true
        return session.idle ? sessionId : undefined
      }
      case "message.part.removed": {
        const sessionId = text(props.sessionID)
        const messageId = text(props.messageID)
        const id = text(props.partID)
        if (sessionId === undefined || messageId === undefined || id === undefined) return undefined
        const message = this.sessions.get(sessionId)?.messages.get(messageId)
        if (message?.parts.delete(id)) message.dirty = true
        return undefined
      }
      default:
        return undefined
    }
  }

  private idle(id: string): string {
    this.session(id).idle = true
    return id
  }

  /** A snapshot of the session could not be saved: its snapshots no longer hold all of it. */
  lost(id: string): void {
    const session = this.sessions.get(id)
    if (session !== undefined) session.fromStart = false
  }

  /** True when the session has something not yet handed over. */
  hasChanges(id: string): boolean {
    const session = this.sessions.get(id)
    if (session === undefined) return false
    if (session.infoDirty) return true
    for (const message of session.messages.values()) if (message.dirty && message.info !== undefined) return true
    return false
  }

  /** Ids of the sessions with changes not yet handed over. */
  pending(): ReadonlyArray<string> {
    return [...this.sessions.keys()].filter((id) => this.hasChanges(id))
  }

  /** What it holds: the sessions, and the JSON length of their messages' info and parts (for tests and diagnostics). */
  held(): { readonly sessions: number; readonly chars: number } {
    let chars = 0
    for (const session of this.sessions.values()) {
      for (const message of session.messages.values()) {
        chars += JSON.stringify(message.info ?? null).length
        for (const part of message.parts.values()) chars += JSON.stringify(part).length
      }
    }
    return { sessions: this.sessions.size, chars }
  }

  /**
   * The session's metadata and every message that changed since the last `take`, marked clean. Messages whose info
   * has not arrived yet stay pending. Undefined when nothing changed. Numbered (`part`: 1, 2, …) while the snapshots
   * taken hold the whole session (`fromStart`). A message taken complete (`time.completed`, or the turn ended) keeps
   * only its parts `settle`d; a deleted session is forgotten.
   */
  take(id: string): SessionSnapshot | undefined {
    const session = this.sessions.get(id)
    if (session === undefined || !this.hasChanges(id)) return undefined
    if (session.deleted) this.sessions.delete(id)
    const messages: Array<MessageSnapshot> = []
    for (const message of session.messages.values()) {
      if (!message.dirty || message.info === undefined) continue
      messages.push({ info: message.info, parts: [...message.parts.values()].sort(byId) })
      message.dirty = false
      const time = isObject(message.info.time) ? message.info.time : {}
      if (session.idle || time.completed !== undefined) {
        for (const [partId, part] of message.parts) message.parts.set(partId, settle(part))
      }
    }
    session.infoDirty = false
    messages.sort((a, b) => byId(a.info, b.info))
    session.parts++
    return {
      sessionId: id,
      info: session.info ?? null,
      messages,
      ...(session.fromStart ? { part: session.parts } : {})
    }
  }
}
