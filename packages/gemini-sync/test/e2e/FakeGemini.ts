/**
 * A scripted fake of the Gemini API for the real `gemini` CLI, on 127.0.0.1 only: the routing classifier
 * (`POST /v1beta/models/<router>:generateContent`, answered with a complexity score in JSON) and the turns
 * (`POST /v1beta/models/<model>:streamGenerateContent?alt=sse`). Stateless: the step is the number of function
 * responses already in the request. The main scenario runs a command, writes a file, runs a failing command, then
 * answers. Every reply's `usageMetadata` (what the fake "billed") is recorded for the assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

export const TEXT_MARKER = "SCENARIO:text"
export const FINAL_TEXT = "All done: ran 3 tool steps."
export const PLAIN_TEXT = "Hello from the fake Gemini."
export const THOUGHT = "Checking the last step."
export const MISSING_FILE = "./no-such-file-harness"
export const WRITTEN_CONTENT = "hello from the fake model: the file body must not be synced\n"

export interface UsageMetadata {
  readonly promptTokenCount: number
  readonly candidatesTokenCount: number
  readonly cachedContentTokenCount?: number
  readonly thoughtsTokenCount?: number
  readonly totalTokenCount: number
}

export interface Billed {
  readonly model: string
  readonly kind: "router" | "main" | "text"
  readonly step: number
  readonly usageMetadata: UsageMetadata
}

export interface FakeGemini {
  readonly url: string
  readonly billed: Array<Billed>
  readonly close: () => Promise<void>
}

const usageOf = (n: number, text: boolean): UsageMetadata => {
  const prompt = 3_000 + 200 * n
  const cached = n === 0 ? 0 : 2_000 + 100 * n
  const candidates = text ? 12 : 25 + n
  const thoughts = text ? 0 : 10 + 2 * n
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    cachedContentTokenCount: cached,
    thoughtsTokenCount: thoughts,
    totalTokenCount: prompt + candidates + thoughts
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
        { functionCall: { name: "write_file", args: { file_path: "hello.txt", content: WRITTEN_CONTENT } } }
      ]
    case 2:
      return [
        { text: "Step 3: using run_shell_command." },
        { functionCall: { name: "run_shell_command", args: { command: `ls ${MISSING_FILE}` } } }
      ]
    default:
      return [{ text: THOUGHT, thought: true }, { text: FINAL_TEXT }]
  }
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((done) => {
    let body = ""
    request.on("data", (chunk: Buffer) => (body += chunk.toString()))
    request.on("end", () => done(body))
  })

interface Content {
  readonly role?: string
  readonly parts?: ReadonlyArray<Part>
}

/** Starts the fake on an ephemeral 127.0.0.1 port. */
export const start = async (): Promise<FakeGemini> => {
  const billed: Array<Billed> = []
  let counter = 0
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request)
    const url = request.url ?? "/"
    const model = /\/models\/([^:/?]+):/.exec(url)?.[1] ?? "unknown"
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" })
      response.end(JSON.stringify(value))
    }
    if (request.method !== "POST" || !url.startsWith("/v1beta/models/")) {
      return json(404, { error: { code: 404, message: `no route ${request.method} ${url}`, status: "NOT_FOUND" } })
    }
    const parsed = JSON.parse(body) as { contents?: ReadonlyArray<Content> }
    const contents = parsed.contents ?? []
    counter++
    if (url.includes(":generateContent")) {
      // The routing classifier: a small request of its own, billed like any other.
      const usageMetadata = { promptTokenCount: 800, candidatesTokenCount: 20, totalTokenCount: 820 }
      billed.push({ model, kind: "router", step: 0, usageMetadata })
      const answer = { complexity_reasoning: "A short scripted task.", complexity_score: 10 }
      return json(200, {
        candidates: [
          { content: { role: "model", parts: [{ text: JSON.stringify(answer) }] }, finishReason: "STOP", index: 0 }
        ],
        usageMetadata,
        modelVersion: model,
        responseId: `router-${counter}`
      })
    }
    if (!url.includes(":streamGenerateContent"))
      return json(404, { error: { code: 404, message: url, status: "NOT_FOUND" } })
    const text = contents.some(
      (c) => c.role === "user" && (c.parts ?? []).some((p) => String(p.text ?? "").includes(TEXT_MARKER))
    )
    const step = contents.flatMap((c) => c.parts ?? []).filter((p) => p.functionResponse !== undefined).length
    const usageMetadata = usageOf(text ? 0 : step, text)
    billed.push({ model, kind: text ? "text" : "main", step, usageMetadata })
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
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500)
      response.end(String(error))
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, billed, close: () => new Promise((done) => server.close(() => done())) }
}
