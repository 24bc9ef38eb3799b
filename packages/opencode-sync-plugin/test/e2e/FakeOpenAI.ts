/**
 * A scripted, stateless fake of the OpenAI Chat Completions API (streaming) for driving the real `opencode` CLI
 * offline through its built-in `@ai-sdk/openai-compatible` provider.
 *
 * Every reply is chosen from the request alone (see `classify`), streamed as SSE like the real API, and logged with
 * the usage it reported, so tests can compare what OpenSync stored with what the "model" billed. Bound to 127.0.0.1
 * on an ephemeral port.
 */
import { randomBytes } from "node:crypto"
import type { ServerResponse } from "node:http"
import * as FakeModel from "@opensync/testkit/FakeModel"
import { FINAL_TEXT, SUBAGENT_MARKER, SUBAGENT_TEXT, TEXT_MARKER } from "@opensync/testkit/FakeModel"

export { FINAL_TEXT, SUBAGENT_MARKER, SUBAGENT_TEXT, TEXT_MARKER } from "@opensync/testkit/FakeModel"

/** Marker in a prompt that drops the subagent step. */
export const NOSUB_MARKER = "SCENARIO:nosub"
export const TITLE = "OpenCode e2e session"
/** The body of the file the write step creates: it must never reach the server. */
export const WRITTEN_CONTENT = "opencode-sync e2e file body 7d2e4b1c: private text that must stay on this machine\n"
export const MISSING_FILE = "./no-such-file-opencode-e2e"
export const PLAIN_TEXT = "Hello from the fake OpenAI server."

/** Usage as the Chat Completions API reports it in the final stream chunk. */
export interface ApiUsage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly cached_tokens: number
  readonly reasoning_tokens: number
}

export type ReplyKind = "title" | "main" | "subagent" | "text" | "other"

interface ToolCall {
  readonly name: string
  readonly arguments: string
}

export interface Reply {
  readonly kind: ReplyKind
  readonly step: number
  readonly text: string
  readonly toolCall: ToolCall | null
  readonly usage: ApiUsage
}

export type LoggedRequest = FakeModel.LoggedRequest<Reply>

interface ChatMessage {
  readonly role?: string
  readonly content?: unknown
}

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .map((block) =>
      typeof block === "object" && block !== null && typeof (block as { text?: unknown }).text === "string"
        ? (block as { text: string }).text
        : ""
    )
    .join("")
}

/** Usage of a reply: deterministic from its kind, step and length, like the reference harness. */
const usageFor = (kind: ReplyKind, step: number, text: string, toolCall: ToolCall | null): ApiUsage => {
  const completion = Math.max(1, Math.round((text.length + (toolCall?.arguments.length ?? 0)) / 4))
  if (kind === "main" || kind === "text") {
    return {
      prompt_tokens: 9_100 + 130 * step,
      completion_tokens: completion,
      cached_tokens: step === 0 ? 0 : 9_000 + 120 * (step - 1),
      reasoning_tokens: 0
    }
  }
  return {
    prompt_tokens: kind === "title" ? 480 : 9_100,
    completion_tokens: completion,
    cached_tokens: 0,
    reasoning_tokens: 0
  }
}

/** Chooses the reply from the request alone. */
export const classify = (body: {
  readonly messages?: ReadonlyArray<ChatMessage>
  readonly tools?: ReadonlyArray<{ readonly function?: { readonly name?: string } }>
}): Reply => {
  const messages = body.messages ?? []
  const tools = (body.tools ?? []).map((tool) => tool.function?.name ?? "")
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => textOf(m.content))
    .join("\n")
  const userTexts = messages.filter((m) => m.role === "user").map((m) => textOf(m.content))
  const firstUser = userTexts[0] ?? ""
  const lastUser = userTexts[userTexts.length - 1] ?? ""
  const make = (kind: ReplyKind, step: number, text: string, toolCall: ToolCall | null = null): Reply => ({
    kind,
    step,
    text,
    toolCall,
    usage: usageFor(kind, step, text, toolCall)
  })
  if (tools.length === 0) {
    if (/title/i.test(system) || /title/i.test(lastUser)) return make("title", 0, TITLE)
    return make("other", 0, "ok")
  }
  if (firstUser.includes(SUBAGENT_MARKER)) return make("subagent", 0, SUBAGENT_TEXT)
  const turns = messages.filter((m) => m.role === "user").length
  if (lastUser.includes(TEXT_MARKER) || !tools.includes("bash")) {
    return make("text", turns > 1 ? 1 : 0, PLAIN_TEXT)
  }
  // The step: tool results since the last user message.
  let lastUserAt = -1
  messages.forEach((m, i) => {
    if (m.role === "user") lastUserAt = i
  })
  const step = messages.slice(lastUserAt + 1).filter((m) => m.role === "tool").length
  const cwd = /Working directory:\s*(\S+)/.exec(system)?.[1] ?? "."
  const plan: Array<ToolCall> = [
    { name: "bash", arguments: JSON.stringify({ command: "echo hello", description: "Print hello" }) },
    { name: "write", arguments: JSON.stringify({ filePath: `${cwd}/hello.txt`, content: WRITTEN_CONTENT }) },
    { name: "bash", arguments: JSON.stringify({ command: `ls ${MISSING_FILE}`, description: "List a missing file" }) }
  ]
  if (!lastUser.includes(NOSUB_MARKER)) {
    plan.push({
      name: "task",
      arguments: JSON.stringify({
        description: "Subagent probe",
        prompt: `${SUBAGENT_MARKER}: reply with the word done. Do not use tools.`,
        subagent_type: "general"
      })
    })
  }
  const call = plan[step]
  if (call === undefined) return make("main", step, FINAL_TEXT)
  return make("main", step, `Step ${step + 1}: using ${call.name}.`, call)
}

const chunk = (id: string, model: string, delta: unknown, finish: string | null = null) => ({
  id,
  object: "chat.completion.chunk",
  created: Math.floor(Date.now() / 1000),
  model,
  system_fingerprint: "fp_fake",
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }]
})

const stream = (res: ServerResponse, reply: Reply, model: string) => {
  const id = `chatcmpl-${randomBytes(8).toString("hex")}`
  const frames: Array<unknown> = [chunk(id, model, { role: "assistant", content: "" })]
  const words = reply.text.match(/\S+\s*/g) ?? [reply.text]
  for (const word of words) frames.push(chunk(id, model, { content: word }))
  if (reply.toolCall !== null) {
    const callId = `call_${randomBytes(8).toString("hex")}`
    frames.push(
      chunk(id, model, {
        tool_calls: [{ index: 0, id: callId, type: "function", function: { name: reply.toolCall.name, arguments: "" } }]
      })
    )
    const args = reply.toolCall.arguments
    for (let i = 0; i < args.length; i += 24) {
      frames.push(chunk(id, model, { tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + 24) } }] }))
    }
  }
  frames.push(chunk(id, model, {}, reply.toolCall === null ? "stop" : "tool_calls"))
  frames.push({
    id,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: "fp_fake",
    choices: [],
    usage: {
      prompt_tokens: reply.usage.prompt_tokens,
      completion_tokens: reply.usage.completion_tokens,
      total_tokens: reply.usage.prompt_tokens + reply.usage.completion_tokens,
      prompt_tokens_details: { cached_tokens: reply.usage.cached_tokens },
      completion_tokens_details: { reasoning_tokens: reply.usage.reasoning_tokens }
    }
  })
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
  for (const frame of frames) res.write(`data: ${JSON.stringify(frame)}\n\n`)
  res.end("data: [DONE]\n\n")
}

/** `url` ends with `/v1`. */
export type FakeOpenAI = FakeModel.FakeModel<Reply>

const error = (message: string, type: string, code: number | null) => ({ error: { message, type, code } })

/** Starts the fake on 127.0.0.1 with an ephemeral port; `url` ends with `/v1`. */
export const start = (): Promise<FakeOpenAI> =>
  FakeModel.start<Reply>({
    basePath: "/v1",
    loggedHeaders: ["user-agent", "x-session-affinity"],
    errorBody: (message) => error(message, "server_error", null),
    handle: ({ method, path, raw, res, log }) => {
      if (method === "POST" && path === "/v1/chat/completions") {
        let body: { model?: string; messages?: Array<ChatMessage> }
        try {
          body = JSON.parse(raw) as typeof body
        } catch {
          log(400, raw)
          return FakeModel.sendJson(res, 400, error("invalid JSON", "invalid_request_error", null))
        }
        const reply = classify(body)
        log(200, body, reply)
        return stream(res, reply, body.model ?? "fake-model")
      }
      if (method === "GET" && path === "/v1/models") {
        log(200, null)
        return FakeModel.sendJson(res, 200, {
          object: "list",
          data: [{ id: "fake-model", object: "model", owned_by: "fake" }]
        })
      }
      log(404, raw)
      FakeModel.sendJson(res, 404, error(`no route ${method} ${path}`, "not_found", 404))
    }
  })

/** The chat-completion replies, in order. */
export const replies = (fake: FakeOpenAI): ReadonlyArray<Reply> => FakeModel.replies(fake)
