/**
 * The real local OpenSync server for the e2e tests (the server package's test helper) and a read of one session.
 */
export { startServer } from "../../../server/test/support/server.js"

export interface StoredUsage {
  readonly input: number
  readonly output: number
  readonly cacheRead: number
  readonly cacheWrite5m: number
  readonly cacheWrite1h: number
  readonly reasoning: number
}

export interface StoredMessage {
  readonly id: string
  readonly role: string
  readonly text: string
  readonly model: string | null
  readonly provider: string | null
  readonly createdAt: number
  readonly completedAt: number | null
  readonly usage: StoredUsage
  readonly costUsd: number
  readonly costBasis: string
  readonly parts: ReadonlyArray<{ readonly type: string; readonly name?: string; readonly callId?: string }>
}

export interface StoredToolCall {
  readonly id: string
  readonly messageId: string | null
  readonly name: string
  readonly status: string
  readonly startedAt: number
  readonly durationMs: number | null
  readonly input: { readonly summary: string | null; readonly paths: ReadonlyArray<string>; readonly bytes: number }
  readonly output: { readonly bytes: number; readonly exitCode: number | null; readonly error: string | null }
}

export interface StoredSession {
  readonly id: string
  readonly source: string
  readonly title: string | null
  readonly projectPath: string | null
  readonly projectName: string | null
  readonly model: string | null
  readonly provider: string | null
  readonly parentSessionId: string | null
  readonly agentVersion: string | null
  readonly startedAt: number
  readonly messageCount: number
  readonly toolCallCount: number
  readonly toolErrorCount: number
  readonly usage: StoredUsage
  readonly costUsd: number
}

export interface SessionDetail {
  readonly session: StoredSession
  readonly messages: ReadonlyArray<StoredMessage>
  readonly toolCalls: ReadonlyArray<StoredToolCall>
}

/** `GET /api/sessions/{id}`: the detail and its raw text, or undefined while it is not there (404). */
export const getSession = async (
  server: { readonly url: string; readonly key: string },
  id: string
): Promise<{ readonly detail: SessionDetail; readonly raw: string } | undefined> => {
  const response = await fetch(`${server.url}/api/sessions/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${server.key}` }
  })
  if (response.status === 404) return undefined
  const raw = await response.text()
  if (!response.ok) throw new Error(`GET /api/sessions/${id}: ${response.status} ${raw}`)
  return { detail: JSON.parse(raw) as SessionDetail, raw }
}

/** Calls `check` every `intervalMs` until it returns a value or `timeoutMs` passes. */
export const pollFor = async <A>(check: () => Promise<A | undefined>, timeoutMs: number, intervalMs = 250) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined || Date.now() >= deadline) return value
    await new Promise((done) => setTimeout(done, intervalMs))
  }
}
