/**
 * Captures one real session as a fixture for the reconciliation tests: the transcripts the real `claude` writes, the
 * OpenTelemetry export it sends (OTLP/HTTP JSON, one line per request: `{path, contentType, body}`, as in
 * shared/fixtures/real-clients/claude-otel-otlp-http-json.jsonl) and what the fake Anthropic API billed. The scenario
 * is the e2e one: tool calls and a subagent, then `--resume … -p /compact`. Paths are rewritten to `/home/dev/…`.
 *
 *   npx esbuild packages/claude-code-sync/test/e2e/CaptureOtel.ts --bundle --platform=node --format=cjs \
 *     --define:import.meta.dirname=__dirname --outfile=packages/claude-code-sync/test/e2e/.capture-otel.cjs
 *   node packages/claude-code-sync/test/e2e/.capture-otel.cjs <out-dir> [claude binary]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import * as Claude from "./Claude.js"
import * as Fake from "./FakeAnthropic.js"

const PROMPT = "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."

const main = async () => {
  const out = process.argv[2]
  if (out === undefined) throw new Error("usage: node .capture-otel.cjs <out-dir> [claude binary]")
  const bin = process.argv[3] ?? Claude.claudeBin
  const received: Array<string> = []
  const receiver = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      received.push(
        JSON.stringify({ path: req.url, contentType: req.headers["content-type"], body: JSON.parse(text) as unknown })
      )
      res.writeHead(200, { "content-type": "application/json" })
      res.end("{}")
    })
  })
  await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done))
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
  const fake = await Fake.start()
  const workspace = Claude.makeWorkspace()
  const env = {
    CLAUDE_CODE_ENABLE_TELEMETRY: "1",
    OTEL_LOGS_EXPORTER: "otlp",
    OTEL_METRICS_EXPORTER: "otlp",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint
  }
  try {
    const { first, compact } = await Claude.runAndCompact({ workspace, fakeUrl: fake.url, prompt: PROMPT, bin, env })
    if (first.code !== 0) throw new Error(`claude failed: ${first.stderr}`)
    if (compact?.code !== 0) throw new Error(`claude --resume failed: ${compact?.stderr}`)
    const rewrite = (text: string) =>
      text.replaceAll(workspace.project, "/home/dev/projects/demo").replaceAll(workspace.home, "/home/dev")
    const projects = join(workspace.home, ".claude/projects")
    const [project] = readdirSync(projects)
    const dir = join(projects, project ?? "")
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, "transcript.jsonl"), rewrite(readFileSync(join(dir, `${first.sessionId}.jsonl`), "utf8")))
    const subagents = join(dir, first.sessionId, "subagents")
    for (const name of readdirSync(subagents).filter((file) => file.endsWith(".jsonl"))) {
      writeFileSync(join(out, `subagent-${name}`), rewrite(readFileSync(join(subagents, name), "utf8")))
    }
    writeFileSync(join(out, "otlp.jsonl"), rewrite(`${received.join("\n")}\n`))
    const billed = fake.requests.flatMap((r) =>
      r.reply === undefined || r.headers["x-claude-code-session-id"] !== first.sessionId
        ? []
        : [{ kind: r.reply.kind, requestId: r.reply.requestId, model: r.reply.model, usage: r.reply.usage }]
    )
    writeFileSync(join(out, "billed.json"), `${JSON.stringify({ sessionId: first.sessionId, billed }, null, 2)}\n`)
    console.log(`captured session ${first.sessionId}: ${billed.length} billed requests, ${received.length} OTLP posts`)
  } finally {
    await fake.close()
    receiver.close()
    workspace.remove()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
