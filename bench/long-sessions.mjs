// Long sessions of the agents that keep a file per session, as the agent writes them turn after turn: a file of more
// turns starts with the lines of one of fewer (what a turn appends). Used by bench/agent-turn.mjs and by the tests of
// the sync after a turn (packages/{codex-sync,gemini-sync}/test/TurnSync.test.ts).
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const rootDir = join(dirname(fileURLToPath(import.meta.url)), "..")

const codexFixture = () =>
  readFileSync(join(rootDir, "packages/codex-sync/test/fixtures/rollout-tools-0.171.0.jsonl"), "utf8")
    .trimEnd()
    .split("\n")

/** The session id of the Codex rollouts `codexRollout` writes (the captured session's). */
export const codexSessionId = () => JSON.parse(codexFixture()[0]).payload.id

/**
 * A Codex rollout of `turns` turns: the captured 0.171.0 session's turn (a prompt, three tool calls, a reply) again and
 * again, each copy's ids and ordinals made its own.
 */
export const codexRollout = (turns) => {
  const [meta, ...block] = codexFixture()
  const lines = [meta]
  for (let turn = 0; turn < turns; turn++) {
    for (const line of block) {
      const record = JSON.parse(line)
      record.ordinal += turn * block.length
      lines.push(
        JSON.stringify(record).replace(
          /"(id|call_id|turn_id|root_turn_id)":"([^"]+)"/g,
          (_, field, value) => `"${field}":"${value}-${turn}"`
        )
      )
    }
  }
  return `${lines.join("\n")}\n`
}

/** The session id of the Gemini CLI chats `geminiChat` writes. */
export const geminiSessionId = "5e551017-7e57-4c1e-9a0d-0000000000a1"

/**
 * A Gemini CLI chat of `turns` turns as 0.61.0 appends them: a prompt, the reply written again with its tool call (a
 * `write_file` of `payloadBytes` of content, in its arguments and its result), the tool's response, `lastUpdated`
 * patches.
 */
export const geminiChat = (turns, { payloadBytes = 0 } = {}) => {
  const start = Date.parse("2026-12-04T17:13:44.000Z")
  const at = (turn, step) => new Date(start + turn * 10_000 + step * 1_000).toISOString()
  const lines = [
    {
      sessionId: geminiSessionId,
      projectHash: "0".repeat(64),
      startTime: at(0, 0),
      lastUpdated: at(0, 0),
      kind: "main"
    }
  ]
  for (let turn = 0; turn < turns; turn++) {
    const content = `content of file ${turn}\n${"x".repeat(payloadBytes)}`
    const reply = {
      id: `reply-${turn}`,
      timestamp: at(turn, 2),
      type: "gemini",
      content: `Writing file ${turn}.`,
      thoughts: [{ subject: "Plan", description: `write file ${turn}` }],
      tokens: { input: 900 + turn, output: 30, cached: 600, thoughts: 20, tool: 0, total: 950 + turn },
      model: "gemini-3.8-flash"
    }
    const response = { output: `Successfully created and wrote to new file: f${turn}.txt.\n${content}` }
    const call = {
      id: `write_file_${turn}`,
      name: "write_file",
      args: { file_path: `f${turn}.txt`, content },
      result: [{ functionResponse: { id: `write_file_${turn}`, name: "write_file", response } }],
      status: "success",
      timestamp: at(turn, 3)
    }
    lines.push(
      { id: `prompt-${turn}`, timestamp: at(turn, 1), type: "user", content: [{ text: `Write file ${turn}` }] },
      { $set: { lastUpdated: at(turn, 1) } },
      reply,
      { ...reply, toolCalls: [call] },
      {
        id: `response-${turn}`,
        timestamp: at(turn, 4),
        type: "user",
        content: [{ functionResponse: { id: call.id, name: "write_file", response } }]
      },
      { $set: { lastUpdated: at(turn, 4) } }
    )
  }
  return `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`
}
