/**
 * A scripted fake of the OpenAI Responses API for the real `codex` CLI: `POST /v1/responses` answered as a server-sent
 * event stream, on 127.0.0.1 only. Stateless: the reply is chosen from the request alone. The main scenario runs a
 * command, writes a file with `apply_patch`, runs a failing command, then answers; each step is the number of tool
 * outputs already in the request. Every reply's usage (what the fake "billed") is recorded for the assertions. The
 * server is the testkit's fake model skeleton.
 */
import * as FakeModel from "@opensync/testkit/FakeModel"

export const PLAIN_TEXT = "Hello from the fake model."
export const THINKING = "Thinking about the last step."

/** The API's usage object of one response: input includes the cached tokens, output the reasoning ones. */
export interface ApiUsage {
  readonly input_tokens: number
  readonly input_tokens_details: { readonly cached_tokens: number }
  readonly output_tokens: number
  readonly output_tokens_details: { readonly reasoning_tokens: number }
  readonly total_tokens: number
}

export type Billed = FakeModel.ThreeStepBill<"main" | "text", ApiUsage>

export type FakeResponses = FakeModel.Billing<Billed>

/** The scenario's tokens for step `n` in the API's terms. */
const usageOf = (n: number, text: boolean): ApiUsage => {
  const { input, cached, output, reasoning } = FakeModel.threeStepTokens(n, text)
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output + reasoning,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output + reasoning
  }
}

type Item = Record<string, unknown>

const message = (id: string, text: string): Item => ({
  type: "message",
  id,
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", text, annotations: [] }]
})

const call = (id: string, name: string, args: unknown): Item => ({
  type: "function_call",
  id: `fc_${id}`,
  call_id: `call_${id}`,
  name,
  arguments: JSON.stringify(args)
})

/** The output items of main-scenario step `step` (`id` makes the ids unique per request). */
const mainItems = (step: number, id: string): ReadonlyArray<Item> => {
  switch (step) {
    case 0:
      return [message(`msg_${id}`, "Step 1: using exec_command."), call(id, "exec_command", { cmd: "echo hello" })]
    case 1:
      return [
        message(`msg_${id}`, "Step 2: using apply_patch."),
        {
          type: "custom_tool_call",
          id: `ctc_${id}`,
          call_id: `call_${id}`,
          name: "apply_patch",
          input: `*** Begin Patch\n*** Add File: hello.txt\n${FakeModel.THREE_STEP_WRITTEN_CONTENT.replace(/^/gm, "+").replace(/\+$/, "")}*** End Patch\n`
        }
      ]
    case 2:
      return [
        message(`msg_${id}`, "Step 3: using exec_command."),
        call(id, "exec_command", { cmd: `ls ${FakeModel.THREE_STEP_MISSING_FILE}` })
      ]
    default:
      return [
        {
          type: "reasoning",
          id: `rs_${id}`,
          summary: [{ type: "summary_text", text: THINKING }],
          content: null,
          encrypted_content: null
        },
        message(`msg_${id}`, FakeModel.THREE_STEP_FINAL_TEXT)
      ]
  }
}

const textOfInput = (input: unknown): string =>
  (Array.isArray(input) ? input : [])
    .flatMap((item: Item) =>
      item.role === "user" && Array.isArray(item.content)
        ? item.content.map((part: Item) => String(part.text ?? ""))
        : []
    )
    .join("\n")

/** Starts the fake on an ephemeral 127.0.0.1 port. */
export const start = async (): Promise<FakeResponses> => {
  let counter = 0
  return FakeModel.startBilling<Billed>({
    loggedHeaders: [],
    errorBody: (message) => ({ error: { message, type: "server_error" } }),
    handle: ({ method, path, raw, res: response, log, bill }) => {
      if (method !== "POST" || path !== "/v1/responses") {
        log(404, raw)
        return FakeModel.sendJson(response, 404, {
          error: { message: `no route ${method} ${path}`, type: "invalid_request_error" }
        })
      }
      const parsed = JSON.parse(raw) as { model?: string; input?: ReadonlyArray<Item> }
      const input = parsed.input ?? []
      const step = input.filter(
        (item) => item.type === "function_call_output" || item.type === "custom_tool_call_output"
      ).length
      const text = textOfInput(input).includes(FakeModel.TEXT_MARKER)
      counter++
      const id = `${counter}`
      const responseId = `resp_fake${id}`
      const model = parsed.model ?? "gpt-5.5"
      const items = text ? [message(`msg_${id}`, PLAIN_TEXT)] : mainItems(step, id)
      const usage = usageOf(text ? 0 : step, text)
      bill(parsed, { model, kind: text ? "text" : "main", step, usage })
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
      const send = (type: string, data: Record<string, unknown>) =>
        response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
      const created = { id: responseId, object: "response", model, status: "in_progress", output: [] }
      send("response.created", { response: created })
      items.forEach((item, index) => {
        send("response.output_item.added", { output_index: index, item })
        if (item.type === "message") {
          const content = (item.content as ReadonlyArray<{ text: string }>)[0]?.text ?? ""
          send("response.output_text.delta", {
            output_index: index,
            item_id: item.id,
            content_index: 0,
            delta: content
          })
        }
        send("response.output_item.done", { output_index: index, item })
      })
      send("response.completed", { response: { ...created, status: "completed", output: items, usage } })
      response.end()
    }
  })
}
