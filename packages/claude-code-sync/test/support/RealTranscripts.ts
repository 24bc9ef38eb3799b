/**
 * The real Claude Code transcripts under test/fixtures (copies of shared/fixtures/real-clients, see its README): the
 * same scenario captured from each version (a prompt, four tool steps, a subagent), with the ids the tests look for.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"

export const fixtures = join(import.meta.dirname, "../fixtures")

/** What every capture asked Claude Code. */
export const PROMPT = "Run echo hello, write hello.txt, list a missing file, then ask a subagent to say done."

/** One capture: its main transcript and its subagent's (paths under `fixtures`, and their text). */
export interface RealTranscript {
  readonly mainFile: string
  readonly subagentFile: string
  readonly main: string
  readonly subagent: string
  readonly sessionId: string
  readonly agentId: string
}

const capture = (mainFile: string, subagentFile: string, sessionId: string, agentId: string): RealTranscript => ({
  mainFile,
  subagentFile,
  main: readFileSync(join(fixtures, mainFile), "utf8"),
  subagent: readFileSync(join(fixtures, subagentFile), "utf8"),
  sessionId,
  agentId
})

/** Claude Code 2.1.197. */
export const v2_1_197 = capture(
  "claude-transcript.jsonl",
  "claude-subagent-transcript.jsonl",
  "c763ea33-250a-4cfa-ba10-d17cac298173",
  "a0aff73444ac06d3e"
)

/** Claude Code 2.1.332: a background subagent reporting back through a notification turn, then `/compact`. */
export const v2_1_332 = capture(
  "claude-2.1.332/transcript.jsonl",
  "claude-2.1.332/subagent-transcript.jsonl",
  "a6e9dfb8-e1b3-4c98-a273-0dc6a285e930",
  "a010bbeee9f532d40"
)

/** Claude Code 2.1.332, the subagent's notification absorbed into the running turn (a `queued_command`). */
export const v2_1_332Absorbed = capture(
  "claude-2.1.332-absorbed/transcript.jsonl",
  "claude-2.1.332-absorbed/subagent-transcript.jsonl",
  "8071a984-07a9-4e08-a8b3-0e6b3b4b99b9",
  "a443123defc7fe597"
)
