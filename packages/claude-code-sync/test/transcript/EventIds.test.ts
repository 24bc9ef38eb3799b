/**
 * Event ids are digests of event content: an event synced live and again by `import` (or by a newer version of this
 * package) must come out byte for byte the same, or the server stores it twice. This pins, for each real fixture
 * (copies of shared/fixtures/real-clients), a digest of the events the transcript and the hooks map to (their JSON as
 * sent, key order included), with their count and first id, so a refactor of the mapping cannot change them unnoticed.
 */
import { createHash } from "node:crypto"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { capturedHooks } from "@opensync/testkit/HookAgent"
import * as Either from "effect/Either"
import * as Hooks from "../../src/Hooks.js"
import * as Transcript from "../../src/transcript/index.js"
import * as RealTranscripts from "../support/RealTranscripts.js"

const NOW = Date.UTC(2026, 10, 21, 9, 0, 0)

const digest = (events: ReadonlyArray<unknown>) => createHash("sha256").update(JSON.stringify(events)).digest("hex")

const transcriptEvents = (capture: RealTranscripts.RealTranscript, syncThinking: boolean, syncToolCalls: boolean) => {
  const read = (text: string, options: Partial<Transcript.ReadOptions>) =>
    Transcript.readSession(Transcript.parseLines(text).lines, { syncThinking, ...options })
  const { sessionId, agentId } = capture
  const options = { sessionId, source: "claude-code", syncToolCalls }
  return [
    ...Transcript.toEvents(read(capture.main, {}), options),
    ...Transcript.toEvents(read(capture.subagent, { source: "subagent", agentId }), { ...options, agentId })
  ]
}

const hookEvents = (file: string, syncToolCalls: boolean) =>
  capturedHooks(join(RealTranscripts.fixtures, file)).flatMap((hook, i) => {
    const input = Hooks.decodeHookInput(JSON.stringify(hook.stdin))
    return Either.isRight(input) ? Hooks.eventsFromHook(input.right, { now: NOW + i * 1000, syncToolCalls }) : []
  })

const pinned = (events: ReadonlyArray<{ readonly id: string }>) => ({
  count: events.length,
  first: events[0]?.id,
  digest: digest(events)
})

const transcripts = [
  {
    name: "2.1.197",
    capture: RealTranscripts.v2_1_197,
    withToolCalls: {
      count: 16,
      first: "evt_93698a567f68422f88cfe7198daa8c7c",
      digest: "ea6ca9fcf8d36bcd1c4b4b369ec5efca6a61dff79815a3a73f24a398aa2174a2"
    },
    withThinking: {
      count: 12,
      first: "evt_93698a567f68422f88cfe7198daa8c7c",
      digest: "d076d03202e1fdbee08d057ed0114eea0eb47464cf5f3961c2fce8fec5fae179"
    }
  },
  {
    name: "2.1.332",
    capture: RealTranscripts.v2_1_332,
    withToolCalls: {
      count: 20,
      first: "evt_ae968c3993c48547efc8c37a74fe4b3d",
      digest: "c4298fcb85033617d3377815c879d6232dd762ad3431ea20b04cdd9584862015"
    },
    withThinking: {
      count: 16,
      first: "evt_ae968c3993c48547efc8c37a74fe4b3d",
      digest: "71a6f1cb35ae53cf5cb4b4267adf23b3f04793bdc6d7673d143d19da623042a6"
    }
  },
  {
    name: "2.1.332, notification absorbed",
    capture: RealTranscripts.v2_1_332Absorbed,
    withToolCalls: {
      count: 15,
      first: "evt_07e089a1513180b3ef79d1d79f9d3952",
      digest: "e0491281530fa3dcfd3bdbbad787657e9e0990db6e6e11d08722700124ab0ee8"
    },
    withThinking: {
      count: 11,
      first: "evt_07e089a1513180b3ef79d1d79f9d3952",
      digest: "98723b43a2efe6a07f5e29e8b321ad2ba85e82f159a5714e060ecf2d9f40d309"
    }
  }
]

const hooks = [
  {
    file: "claude-2.1.332/hooks.jsonl",
    withToolCalls: {
      count: 11,
      first: "evt_0162fd1e3dbb4feee53028128e84d91a",
      digest: "6dd202b976bd7c2b7cc06edc556103dd4bc024ab538b9e0a7b0c191571ce9506"
    },
    withoutToolCalls: {
      count: 7,
      first: "evt_0162fd1e3dbb4feee53028128e84d91a",
      digest: "fe35eac7d43e15de91c7355f175b5ea49d3ba3024fd00eb083ab531a1c5eedae"
    }
  },
  {
    file: "claude-2.1.332-absorbed/hooks.jsonl",
    withToolCalls: {
      count: 8,
      first: "evt_041ec066a919ff89880bf10e09bd24de",
      digest: "92f234aaac118dd93735f8509f8b168457cd1de3063780a0b49f6af269598c98"
    },
    withoutToolCalls: {
      count: 4,
      first: "evt_041ec066a919ff89880bf10e09bd24de",
      digest: "ed477036c16492e242180d6a3d354b1adcc0615e1a45b8fa61d4af6e4cedd198"
    }
  }
]

describe("event ids of the real fixtures", () => {
  it.each(transcripts)("transcript $name: the same events and ids", (fixture) => {
    expect(pinned(transcriptEvents(fixture.capture, false, true))).toEqual(fixture.withToolCalls)
    expect(pinned(transcriptEvents(fixture.capture, true, false))).toEqual(fixture.withThinking)
  })

  it.each(hooks)("hooks $file: the same events and ids", (fixture) => {
    expect(pinned(hookEvents(fixture.file, true))).toEqual(fixture.withToolCalls)
    expect(pinned(hookEvents(fixture.file, false))).toEqual(fixture.withoutToolCalls)
  })
})
