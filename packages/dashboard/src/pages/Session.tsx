import type { SessionDetail } from "@opensync/domain/Api"
import type { Message, Subtype as MessageSubtype } from "@opensync/domain/Message"
import type { ToolCall } from "@opensync/domain/ToolCall"
import { micromark } from "micromark"
import { memo, useMemo, useState } from "react"
import { ApiError, fetchBlob, run } from "../api.js"
import { SessionFigures } from "../components/SessionFigures.js"
import { SessionList } from "../components/SessionList.js"
import { Card, ErrorBox, Link, Loading, SourceChip, Stat } from "../components/ui.js"
import { useApp } from "../context.js"
import * as F from "../format.js"
import { invalidate, useQuery } from "../query.js"
import { navigate } from "../router.js"
import { download } from "./shared.js"

const pageSize = 200

/** Markdown of agent replies; micromark escapes raw HTML and drops dangerous link protocols. */
const Markdown = memo((props: { readonly text: string }) => {
  const html = useMemo(() => micromark(props.text), [props.text])
  // biome-ignore lint/security/noDangerouslySetInnerHtml: micromark output is safe (no raw HTML, safe protocols)
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />
})

const ToolCallView = (props: { readonly call: ToolCall }) => {
  const c = props.call
  const failed = c.status === "error"
  return (
    <div className={`tool ${failed ? "tool-error" : ""}`}>
      <div className="tool-head">
        <span className="tool-name">{c.name}</span>
        {c.canonicalName !== undefined && c.canonicalName !== c.name && (
          <span className="tool-canonical muted" title={`counted as ${c.canonicalName} on the tools page`}>
            {c.canonicalName}
          </span>
        )}
        <span className={`chip ${failed ? "chip-error" : c.status === "completed" ? "chip-ok" : ""}`}>
          {failed ? "failed" : c.status}
          {c.output.exitCode !== null && c.output.exitCode !== 0 ? ` (exit ${c.output.exitCode})` : ""}
        </span>
        <span className="muted">{F.duration(c.durationMs)}</span>
      </div>
      {c.input.summary !== null && <code className="tool-input">{c.input.summary}</code>}
      {c.input.paths.length > 0 && c.input.summary === null && (
        <code className="tool-input">{c.input.paths.join(", ")}</code>
      )}
      {c.output.error !== null && <pre className="tool-output">{c.output.error}</pre>}
    </div>
  )
}

/** How an injected entry (not plain conversation) is labelled. */
const noteLabels: Record<Exclude<MessageSubtype, "delegation">, string> = {
  notification: "Notification",
  reminder: "System reminder",
  summary: "Summary",
  command: "Command",
  "command-output": "Command output"
}

/**
 * A compact, muted line for what the agent put in the conversation itself (a background task's notification, a
 * reminder, a compaction summary, a command's output) or a command the user ran; long text folds away.
 */
const NoteView = (props: { readonly message: Message; readonly subtype: keyof typeof noteLabels }) => {
  const m = props.message
  const label = noteLabels[props.subtype]
  const text = m.text.trim()
  const newline = text.indexOf("\n")
  const head = newline < 0 ? text : text.slice(0, newline)
  const rest = newline < 0 ? "" : text.slice(newline + 1).trim()
  return (
    <article className={`note note-${props.subtype}`} aria-label={`${label.toLowerCase()} message`}>
      <span className="note-label">{label}</span>
      <time className="muted" dateTime={new Date(m.createdAt).toISOString()}>
        {F.time(m.createdAt)}
      </time>
      {props.subtype === "command" ? (
        <code className="note-text">{text}</code>
      ) : rest === "" ? (
        <span className="note-text">{head}</span>
      ) : (
        <details className="note-text">
          <summary>{head}</summary>
          <p className="msg-text">{rest}</p>
        </details>
      )}
    </article>
  )
}

/** Who a message is from: you, the assistant, or, for a subagent's task, the parent agent that wrote it. */
const authorOf = (m: Message, session: SessionDetail["session"]): string => {
  if (m.role === "assistant") return "Assistant"
  if (m.role !== "user") return m.role
  const fromParent = m.subtype === "delegation" || m.agentId !== null || session.parentSessionId !== null
  return fromParent ? "Parent agent" : "You"
}

const MessageView = (props: {
  readonly message: Message
  readonly session: SessionDetail["session"]
  readonly calls: ReadonlyArray<ToolCall>
}) => {
  const m = props.message
  if (m.subtype !== undefined && m.subtype !== "delegation" && props.calls.length === 0) {
    return <NoteView message={m} subtype={m.subtype} />
  }
  const author = authorOf(m, props.session)
  const tokens =
    m.usage.input + m.usage.output + m.usage.cacheRead + m.usage.cacheWrite5m + m.usage.cacheWrite1h + m.usage.reasoning
  const textParts = m.parts.filter((p) => p.type === "text")
  const text = textParts.length > 0 ? textParts.map((p) => (p.type === "text" ? p.text : "")).join("\n\n") : m.text
  const kind = author === "Parent agent" ? "delegation" : m.role
  return (
    <article
      className={`msg msg-${kind}`}
      aria-label={author === "You" ? "your message" : `${author.toLowerCase()} message`}
    >
      <header className="msg-head">
        <span className="msg-role">{author}</span>
        {m.agentId !== null && <span className="chip">subagent {m.agentId}</span>}
        <time className="muted" dateTime={new Date(m.createdAt).toISOString()}>
          {F.time(m.createdAt)}
        </time>
        {tokens > 0 && (
          <span
            className="muted msg-usage"
            title={`in ${m.usage.input} · out ${m.usage.output} · cache read ${m.usage.cacheRead} · cache write ${m.usage.cacheWrite5m + m.usage.cacheWrite1h} · reasoning ${m.usage.reasoning}`}
          >
            {F.tokens(tokens)} tokens · {m.costBasis === "unpriced" ? "unpriced" : F.usd(m.costUsd)}
            {m.model !== null ? ` · ${m.model}` : ""}
          </span>
        )}
      </header>
      {m.thinking !== null && m.thinking !== "" && (
        <details className="thinking">
          <summary>Thinking</summary>
          <p>{m.thinking}</p>
        </details>
      )}
      {text.trim() !== "" && (m.role === "assistant" ? <Markdown text={text} /> : <p className="msg-text">{text}</p>)}
      {m.truncated && <p className="muted">(truncated)</p>}
      {props.calls.map((c) => (
        <ToolCallView key={c.id} call={c} />
      ))}
    </article>
  )
}

/** One session: its conversation, tool calls, subagents, tokens and cost; export and delete. */
const SessionPage = (props: { readonly id: string }) => {
  const app = useApp()
  const id = props.id as SessionDetail["session"]["id"]
  // Only the session this page was opened for is shown (and so can be deleted from it).
  const detail = useQuery<SessionDetail>(`${app.scope}|session|${id}`, () =>
    run(app.client.sessions.get({ path: { id } })).then((answer) => {
      if (answer.session.id !== id) throw new ApiError("The server answered with another session.", "ParseError", null)
      return answer
    })
  )
  const [shown, setShown] = useState(pageSize)
  const [deleting, setDeleting] = useState(false)
  const grouped = useMemo(() => {
    if (detail.data === undefined) return undefined
    const byMessage = new Map<string, Array<ToolCall>>()
    const messageIds = new Set(detail.data.messages.map((m) => m.id))
    const orphans: Array<ToolCall> = []
    for (const call of detail.data.toolCalls) {
      if (call.messageId !== null && messageIds.has(call.messageId)) {
        const list = byMessage.get(call.messageId) ?? []
        list.push(call)
        byMessage.set(call.messageId, list)
      } else orphans.push(call)
    }
    return { byMessage, orphans }
  }, [detail.data])

  if (detail.error !== undefined) {
    return (
      <div className="page">
        <p>
          <Link to="/sessions">← Sessions</Link>
        </p>
        <ErrorBox error={detail.error} />
      </div>
    )
  }
  if (detail.data === undefined || grouped === undefined) return <Loading label="Loading the conversation…" />
  const { session: s, messages, toolCalls, children } = detail.data
  const remove = () => {
    if (
      !confirm(
        `Delete "${s.title ?? s.id}" with its ${messages.length} messages and ${toolCalls.length} tool calls? This cannot be undone.`
      )
    )
      return
    setDeleting(true)
    // The id this page was opened with, never one taken from an answer; and the server must say it deleted that one.
    run(app.client.sessions.delete({ path: { id } })).then(
      (deleted) => {
        if (deleted.sessionId !== id) {
          invalidate(`${app.scope}|`)
          setDeleting(false)
          alert(`The server deleted another session ("${deleted.sessionId}"), not this one.`)
          return
        }
        invalidate(`${app.scope}|`)
        navigate("/sessions")
      },
      (e: Error) => {
        setDeleting(false)
        alert(e.message)
      }
    )
  }
  const exportAs = (format: "markdown" | "json") =>
    download(
      fetchBlob(app.connection, `/api/export?id=${encodeURIComponent(s.id)}&format=${format}`),
      `opensync-${s.id}.${format === "markdown" ? "md" : "json"}`
    )
  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/sessions">← Sessions</Link>
        {s.parentSessionId !== null && (
          <>
            {" · "}
            <Link to={`/sessions/${encodeURIComponent(s.parentSessionId)}`}>Parent session</Link>
          </>
        )}
      </p>
      <div className="page-head">
        <div>
          <h1 className="session-title">{s.title ?? "Untitled session"}</h1>
          <div className="meta">
            <SourceChip source={s.source} />
            <span title={s.projectPath ?? F.projectOf(s)}>{F.projectOf(s)}</span>
            {s.gitBranch !== null && (
              <span className="muted" title={s.gitBranch}>
                ⎇ {s.gitBranch}
              </span>
            )}
            {s.model !== null && (
              <span className="muted" title={s.model}>
                {s.model}
              </span>
            )}
            <span className="muted">{F.dateAndTime(s.startedAt)}</span>
          </div>
        </div>
        <div className="controls">
          <button type="button" className="btn btn-small" onClick={() => exportAs("markdown")}>
            Export Markdown
          </button>
          <button type="button" className="btn btn-small" onClick={() => exportAs("json")}>
            Export JSON
          </button>
          <button type="button" className="btn btn-small btn-danger" onClick={remove} disabled={deleting}>
            {deleting ? "Deleting…" : "Delete"}
          </button>
        </div>
      </div>
      <div className="stats-grid">
        <Stat label="Messages" value={F.count(s.messageCount)} />
        <Stat
          label="Tool calls"
          value={F.count(s.toolCallCount)}
          detail={s.toolErrorCount > 0 ? `${s.toolErrorCount} failed` : undefined}
        />
        <Stat label="Tokens" value={F.tokens(s.totalTokens)} detail={F.tokenParts(s.usage)} />
        <Stat
          label="Cost"
          value={F.usd(s.costUsd)}
          detail={s.unpricedMessages > 0 ? `${s.unpricedMessages} unpriced` : undefined}
        />
        <Stat label="Duration" value={F.duration(s.durationMs)} />
      </div>
      <SessionFigures session={s} />
      {children.length > 0 && (
        <Card title={`Subagents (${children.length})`}>
          <SessionList
            sessions={children}
            untitled={(c) => c.id}
            details={(c) => <span>{F.count(c.messageCount)} messages</span>}
          />
        </Card>
      )}
      <section className="conversation" aria-label="Conversation">
        {messages.length === 0 && <p className="muted">This session has no messages yet.</p>}
        {messages.slice(0, shown).map((m) => (
          <MessageView key={m.id} message={m} session={s} calls={grouped.byMessage.get(m.id) ?? []} />
        ))}
        {messages.length > shown && (
          <button type="button" className="btn" onClick={() => setShown(shown + pageSize)}>
            Show {Math.min(pageSize, messages.length - shown)} more of {messages.length - shown} messages
          </button>
        )}
        {grouped.orphans.length > 0 && (
          <Card title="Other tool calls">
            {grouped.orphans.map((c) => (
              <ToolCallView key={c.id} call={c} />
            ))}
          </Card>
        )}
      </section>
    </div>
  )
}

export default SessionPage
