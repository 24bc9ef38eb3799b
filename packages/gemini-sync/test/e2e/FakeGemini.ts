/**
 * A scripted fake of the Gemini API for the real `gemini` CLI, on 127.0.0.1 only: the routing classifier
 * (`POST /v1beta/models/<router>:generateContent`, answered with a complexity score in JSON) and the turns
 * (`POST /v1beta/models/<model>:streamGenerateContent?alt=sse`). Stateless: the step is the number of function
 * responses already in the request. The main scenario runs a command, writes a file, runs a failing command, then
 * answers. Every reply's `usageMetadata` (what the fake "billed") is recorded for the assertions. The server is the
 * testkit's fake model skeleton.
 */
import * as FakeModel from "@opensync/testkit/FakeModel"

export const PLAIN_TEXT = "Hello from the fake Gemini."
export const THOUGHT = "Checking the last step."

export interface UsageMetadata {
  readonly promptTokenCount: number
  readonly candidatesTokenCount: number
  readonly cachedContentTokenCount?: number
  readonly thoughtsTokenCount?: number
  readonly totalTokenCount: number
}

/** A reply billed: a turn, or the routing classifier's call (step 0). */
export type Billed = FakeModel.ThreeStepBill<"router" | "main" | "text", UsageMetadata>

export type FakeGemini = FakeModel.Billing<Billed>

/** The scenario's tokens for step `n` in the API's terms: the prompt includes the cached tokens, thoughts are apart. */
const usageOf = (n: number, text: boolean): UsageMetadata => {
  const { input, cached, output, reasoning } = FakeModel.threeStepTokens(n, text)
  return {
    promptTokenCount: input,
    candidatesTokenCount: output,
    cachedContentTokenCount: cached,
    thoughtsTokenCount: reasoning,
    totalTokenCount: input + output + reasoning
  }
}

type Part = Record<string, unknown>

const mainParts = (step: number): ReadonlyArray<Part> => {
  switch (step) {
    case 0:
      return [
        { text: "Step 1: using run_shell_command." },
        { functionCall: { name: "run_shell_command", args: { command: "echo hello" } } }
      ]
    case 1:
      return [
        { text: "Step 2: using write_file." },
        {
          functionCall: {
            name: "write_file",
            args: { file_path: "hello.txt", content: FakeModel.THREE_STEP_WRITTEN_CONTENT }
          }
        }
      ]
    case 2:
      return [
        { text: "Step 3: using run_shell_command." },
        { functionCall: { name: "run_shell_command", args: { command: `ls ${FakeModel.THREE_STEP_MISSING_FILE}` } } }
      ]
    default:
      return [{ text: THOUGHT, thought: true }, { text: FakeModel.THREE_STEP_FINAL_TEXT }]
  }
}

interface Content {
  readonly role?: string
  readonly parts?: ReadonlyArray<Part>
}

/** Starts the fake on an ephemeral 127.0.0.1 port. */
export const start = async (): Promise<FakeGemini> => {
  let counter = 0
  const notFound = (message: string) => ({ error: { code: 404, message, status: "NOT_FOUND" } })
  return FakeModel.startBilling<Billed>({
    loggedHeaders: [],
    errorBody: (message) => ({ error: { code: 500, message, status: "INTERNAL" } }),
    handle: ({ method, path, raw, res: response, log, bill }) => {
      const model = /\/models\/([^:/?]+):/.exec(path)?.[1] ?? "unknown"
      if (method !== "POST" || !path.startsWith("/v1beta/models/")) {
        log(404, raw)
        return FakeModel.sendJson(response, 404, notFound(`no route ${method} ${path}`))
      }
      const parsed = JSON.parse(raw) as { contents?: ReadonlyArray<Content> }
      const contents = parsed.contents ?? []
      counter++
      if (path.includes(":generateContent")) {
        // The routing classifier: a small request of its own, billed like any other.
        const usageMetadata = { promptTokenCount: 800, candidatesTokenCount: 20, totalTokenCount: 820 }
        bill(parsed, { model, kind: "router", step: 0, usage: usageMetadata })
        const answer = { complexity_reasoning: "A short scripted task.", complexity_score: 10 }
        return FakeModel.sendJson(response, 200, {
          candidates: [
            { content: { role: "model", parts: [{ text: JSON.stringify(answer) }] }, finishReason: "STOP", index: 0 }
          ],
          usageMetadata,
          modelVersion: model,
          responseId: `router-${counter}`
        })
      }
      if (!path.includes(":streamGenerateContent")) {
        log(404, raw)
        return FakeModel.sendJson(response, 404, notFound(path))
      }
      const text = contents.some(
        (c) => c.role === "user" && (c.parts ?? []).some((p) => String(p.text ?? "").includes(FakeModel.TEXT_MARKER))
      )
      const step = contents.flatMap((c) => c.parts ?? []).filter((p) => p.functionResponse !== undefined).length
      const usageMetadata = usageOf(text ? 0 : step, text)
      bill(parsed, { model, kind: text ? "text" : "main", step, usage: usageMetadata })
      const parts = text ? [{ text: PLAIN_TEXT }] : mainParts(step)
      response.writeHead(200, { "content-type": "text/event-stream" })
      response.write(
        `data: ${JSON.stringify({
          candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
          usageMetadata,
          modelVersion: model,
          responseId: `resp-${counter}`
        })}\r\n\r\n`
      )
      response.end()
    }
  })
}
