/**
 * A scripted, stateless fake of the Anthropic Messages API for driving the real `claude` CLI offline.
 *
 * Every reply is chosen from the request alone (see `classify`), streamed as SSE like the real API, and logged with
 * the usage it reported so tests can compare stored totals with what the "model" actually billed. Bound to
 * 127.0.0.1 on an ephemeral port.
 */
import { randomBytes } from "node:crypto"
import type { ServerResponse } from "node:http"
import * as FakeModel from "@opensync/testkit/FakeModel"
import { FINAL_TEXT, SUBAGENT_MARKER, SUBAGENT_TEXT, TEXT_MARKER } from "@opensync/testkit/FakeModel"

export { FINAL_TEXT, SUBAGENT_MARKER, SUBAGENT_TEXT, TEXT_MARKER } from "@opensync/testkit/FakeModel"

/** The body of the file the Write step creates: it must never reach the server. */
export const WRITTEN_CONTENT = "opensync-e2e file body 5c1f7a9e: private text that must stay on this machine\n"
/** A missing file listed by the failing Bash step (`ls` exits 2). */
export const MISSING_FILE = "./no-such-file-opensync-e2e"

/** Token usage as the Messages API reports it (all cache writes are 5-minute writes here). */
export interface ApiUsage {
  readonly input_tokens: number
  readonly cache_creation_input_tokens: number
  readonly cache_read_input_tokens: number
  readonly output_tokens: number
}

type Block =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "tool_use"; readonly name: string; readonly input: Readonly<Record<string, unknown>> }

/** `notification`: the turn Claude Code starts itself when a background subagent finishes (2.1.332+). */
export type ReplyKind = "main" | "subagent" | "text" | "compact" | "notification"

interface Reply {
  readonly kind: ReplyKind
  readonly step: number
  readonly blocks: ReadonlyArray<Block>
  readonly stopReason: "end_turn" | "tool_use"
  readonly usage: ApiUsage
}

/** What the fake answered a `POST /v1/messages` call with. */
export interface LoggedReply {
  readonly kind: ReplyKind
  readonly step: number
  readonly messageId: string
  /** The `request-id` header of the answer: what the transcript and telemetry call `requestId`/`request_id`. */
  readonly requestId: string
  readonly model: string
  readonly usage: ApiUsage
  readonly blocks: ReadonlyArray<Block>
}

/** One request the fake answered; `reply` is set for answered `POST /v1/messages` calls. */
export type LoggedRequest = FakeModel.LoggedRequest<LoggedReply>

/** Usage of the main thread's step `n` (0 = first call of the turn) and of the other reply kinds. */
export const usageFor = (kind: ReplyKind, step: number): ApiUsage => {
  switch (kind) {
    case "main":
      return {
        input_tokens: 40 + 7 * step,
        cache_creation_input_tokens: step === 0 ? 5_000 : 300 + 20 * step,
        cache_read_input_tokens: step === 0 ? 0 : 5_000 + 400 * (step - 1),
        output_tokens: 30 + 11 * step
      }
    case "subagent":
      return { input_tokens: 12, cache_creation_input_tokens: 3_100, cache_read_input_tokens: 0, output_tokens: 17 }
    case "text":
      return { input_tokens: 21, cache_creation_input_tokens: 2_500, cache_read_input_tokens: 0, output_tokens: 9 }
    case "compact":
      return { input_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 6_000, output_tokens: 40 }
    case "notification":
      return { input_tokens: 90, cache_creation_input_tokens: 410, cache_read_input_tokens: 6_600, output_tokens: 77 }
  }
}

// ---------- reading the request ----------

interface ContentBlock {
  readonly type?: string
  readonly text?: string
}
interface ApiMessage {
  readonly role?: string
  readonly content?: string | ReadonlyArray<ContentBlock>
}
interface MessagesRequest {
  readonly model?: string
  readonly system?: string | ReadonlyArray<ContentBlock>
  readonly messages?: ReadonlyArray<ApiMessage>
  readonly tools?: ReadonlyArray<{ readonly name?: string }>
}

const blocksOf = (content: ApiMessage["content"]): ReadonlyArray<ContentBlock> =>
  typeof content === "string" ? [{ type: "text", text: content }] : (content ?? [])

const textOf = (content: ApiMessage["content"]): string =>
  blocksOf(content)
    .filter((block) => block.type === "text")
    .map((block) => block.text ?? "")
    .join("\n")

const systemText = (system: MessagesRequest["system"]): string =>
  typeof system === "string" ? system : (system ?? []).map((block) => block.text ?? "").join("\n")

/** Picks the reply from the request alone. */
const classify = (request: MessagesRequest): Reply => {
  const messages = request.messages ?? []
  const users = messages.filter((message) => message.role === "user")
  const firstUserText = users.length > 0 ? textOf(users[0]?.content) : ""
  const lastUserText = users.length > 0 ? textOf(users[users.length - 1]?.content) : ""
  const tools = new Set((request.tools ?? []).map((tool) => tool.name))
  const text = (kind: ReplyKind, body: string): Reply => ({
    kind,
    step: 0,
    blocks: [{ type: "text", text: body }],
    stopReason: "end_turn",
    usage: usageFor(kind, 0)
  })

  // `/compact`: Claude Code asks for a summary (2.1.197 and 2.1.332 both still offer their tools; 2.1.197 tells the
  // summarizer in the prompt not to call any)
  if (
    /create a detailed summary of the conversation/i.test(lastUserText) ||
    (/summary of the conversation/i.test(lastUserText) &&
      (!tools.has("Bash") || /do not call any tools/i.test(lastUserText)))
  ) {
    return text("compact", "<analysis>A short scripted session.</analysis><summary>The user ran a demo.</summary>")
  }
  if (firstUserText.includes(SUBAGENT_MARKER)) return text("subagent", SUBAGENT_TEXT)
  // A background subagent finished (2.1.332+): Claude Code starts a turn of its own with a task notification.
  if (lastUserText.includes("<task-notification>")) return text("notification", FINAL_TEXT)
  if (firstUserText.includes(TEXT_MARKER) || firstUserText.includes("claude-code-sync sync") || !tools.has("Bash")) {
    return text("text", `Noted: ${firstUserText.length} characters of prompt read.`)
  }

  const step = messages
    .flatMap((message) => blocksOf(message.content))
    .filter((block) => block.type === "tool_result").length
  // The environment block is in the system prompt (2.1.197) or in a reminder of the first user message (2.1.332).
  const environment = [systemText(request.system), ...users.map((message) => textOf(message.content))].join("\n")
  const cwd = environment.match(/Primary working directory:\s*(\S+)/)?.[1] ?? "."
  const agentTool = tools.has("Agent") ? "Agent" : "Task"
  const script: ReadonlyArray<{ readonly name: string; readonly input: Readonly<Record<string, unknown>> }> = [
    { name: "Bash", input: { command: "echo hello", description: "Print hello" } },
    { name: "Write", input: { file_path: `${cwd}/hello.txt`, content: WRITTEN_CONTENT } },
    { name: "Bash", input: { command: `ls ${MISSING_FILE}`, description: "List a missing file" } },
    {
      name: agentTool,
      input: {
        description: "Say done",
        prompt: `${SUBAGENT_MARKER}: reply with the single word done.`,
        subagent_type: "general-purpose"
      }
    }
  ]
  const tool = script[step]
  if (tool === undefined) {
    return {
      kind: "main",
      step,
      blocks: [{ type: "text", text: FINAL_TEXT }],
      stopReason: "end_turn",
      usage: usageFor("main", step)
    }
  }
  return {
    kind: "main",
    step,
    blocks: [
      { type: "text", text: `Step ${step + 1}: using ${tool.name}.` },
      { type: "tool_use", name: tool.name, input: tool.input }
    ],
    stopReason: "tool_use",
    usage: usageFor("main", step)
  }
}

// ---------- answering ----------

const id = (prefix: string) => `${prefix}_fake${randomBytes(9).toString("hex")}`

const halves = (text: string): ReadonlyArray<string> => {
  const middle = Math.ceil(text.length / 2)
  return text.length < 2 ? [text] : [text.slice(0, middle), text.slice(middle)]
}

const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  FakeModel.sendJson(res, status, body, { "request-id": id("req") })

const streamReply = (res: ServerResponse, reply: Reply, model: string, messageId: string, requestId: string) => {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "request-id": requestId
  })
  const frames: Array<string> = []
  const frame = (event: string, data: unknown) => frames.push(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  frame("message_start", {
    type: "message_start",
    message: {
      id: messageId,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: reply.usage.input_tokens,
        cache_creation_input_tokens: reply.usage.cache_creation_input_tokens,
        cache_read_input_tokens: reply.usage.cache_read_input_tokens,
        cache_creation: {
          ephemeral_5m_input_tokens: reply.usage.cache_creation_input_tokens,
          ephemeral_1h_input_tokens: 0
        },
        output_tokens: 1,
        service_tier: "standard"
      }
    }
  })
  frame("ping", { type: "ping" })
  reply.blocks.forEach((block, index) => {
    if (block.type === "text") {
      frame("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } })
      for (const part of halves(block.text)) {
        frame("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: part } })
      }
    } else {
      frame("content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: id("toolu"), name: block.name, input: {} }
      })
      for (const part of halves(JSON.stringify(block.input))) {
        frame("content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: part }
        })
      }
    }
    frame("content_block_stop", { type: "content_block_stop", index })
  })
  frame("message_delta", {
    type: "message_delta",
    delta: { stop_reason: reply.stopReason, stop_sequence: null },
    usage: reply.usage
  })
  frame("message_stop", { type: "message_stop" })
  res.end(frames.join(""))
}

/** `url`: `http://127.0.0.1:<port>`, for `ANTHROPIC_BASE_URL` (no `/v1`). */
export type FakeAnthropic = FakeModel.FakeModel<LoggedReply>

const loggedHeaders = [
  "anthropic-version",
  "anthropic-beta",
  "x-app",
  "user-agent",
  "x-api-key",
  "x-claude-code-session-id"
] as const

const parsed = (raw: string): unknown => {
  try {
    return raw === "" ? null : JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export const start = (): Promise<FakeAnthropic> =>
  FakeModel.start<LoggedReply>({
    loggedHeaders,
    errorBody: (message) => ({ type: "error", error: { type: "api_error", message } }),
    handle: ({ method, path, raw, res, log }) => {
      const body = parsed(raw)
      if (method === "GET" && path === "/v1/models") {
        log(200, body)
        return sendJson(res, 200, {
          data: [
            { type: "model", id: "claude-sonnet-4-5", display_name: "Claude Sonnet 4.5", created_at: "2025-09-29" }
          ],
          has_more: false,
          first_id: "claude-sonnet-4-5",
          last_id: "claude-sonnet-4-5"
        })
      }
      if (method === "POST" && path === "/v1/messages/count_tokens") {
        log(200, body)
        return sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) })
      }
      if (method === "POST" && path === "/v1/messages" && typeof body === "object" && body !== null) {
        const request = body as MessagesRequest
        const reply = classify(request)
        const model = request.model ?? "claude-sonnet-4-5"
        const messageId = id("msg")
        const requestId = id("req")
        log(200, body, {
          kind: reply.kind,
          step: reply.step,
          messageId,
          requestId,
          model,
          usage: reply.usage,
          blocks: reply.blocks
        })
        return streamReply(res, reply, model, messageId, requestId)
      }
      log(404, body)
      sendJson(res, 404, { type: "error", error: { type: "not_found_error", message: `${method} ${path} not found` } })
    }
  })

/** The replies of `POST /v1/messages` calls, i.e. one entry per billed response. */
export const replies = (fake: FakeAnthropic): ReadonlyArray<LoggedReply> => FakeModel.replies(fake)
