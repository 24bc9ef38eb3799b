/**
 * Event ids are digests of event content: an event synced live and again by `import` (or by a newer version of this
 * package) must come out byte for byte the same, or the server stores it twice. This pins, for each real fixture
 * (copies of shared/fixtures/real-clients), a digest of the events the transcript and the hooks map to (their JSON with
 * each object's keys sorted, as the ids digest them: the order the builders write keys in changes nothing the server
 * sees), with their count and first id, so a refactor of the mapping cannot change them unnoticed.
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

/** JSON with every object's keys in code-unit order. */
const sortedJson = (value: unknown) =>
  JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === "object" && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member
  )

const digest = (events: ReadonlyArray<unknown>) => createHash("sha256").update(sortedJson(events)).digest("hex")

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
      digest: "ffa05b9951fddbbe38a66051472e1f779a05c45de048261c03d50e26d7c5b582"
    },
    withThinking: {
      count: 12,
      first: "evt_93698a567f68422f88cfe7198daa8c7c",
      digest: "075ac1b47d45d0cc1658e6b2422865f918fbc7927b84f4e0cab98c981cdfd220"
    }
  },
  {
    name: "2.1.332",
    capture: RealTranscripts.v2_1_332,
    withToolCalls: {
      count: 20,
      first: "evt_ae968c3993c48547efc8c37a74fe4b3d",
      digest: "79c6aaec7d16ff518a11b5562901891958b6015e85c20ff047c47d5b9abe0216"
    },
    withThinking: {
      count: 16,
      first: "evt_ae968c3993c48547efc8c37a74fe4b3d",
      digest: "f87bc27d2dbd0abfae901a7c5027accbedd6028c25d788d1f687f24a66fb3e9b"
    }
  },
  {
    name: "2.1.332, notification absorbed",
    capture: RealTranscripts.v2_1_332Absorbed,
    withToolCalls: {
      count: 15,
      first: "evt_07e089a1513180b3ef79d1d79f9d3952",
      digest: "7ff0c6bbbbd787390bd3ca44cccebe985e61706ca86f13b9227e816445124941"
    },
    withThinking: {
      count: 11,
      first: "evt_07e089a1513180b3ef79d1d79f9d3952",
      digest: "31e58cd6462fa374f3a3104a838c45738073d3f0b99ac91c12858735e1aa39c3"
    }
  }
]

const hooks = [
  {
    file: "claude-2.1.332/hooks.jsonl",
    withToolCalls: {
      count: 11,
      first: "evt_0162fd1e3dbb4feee53028128e84d91a",
      digest: "589a304cdce4a5f873215c46373ba6dc6d484d533eb9e721b276cdea4e7f27c8"
    },
    withoutToolCalls: {
      count: 7,
      first: "evt_0162fd1e3dbb4feee53028128e84d91a",
      digest: "c6d6a86885f859f8a70a575390b39eaa8d7e0622e195440be89f70a9bb47c39a"
    }
  },
  {
    file: "claude-2.1.332-absorbed/hooks.jsonl",
    withToolCalls: {
      count: 8,
      first: "evt_041ec066a919ff89880bf10e09bd24de",
      digest: "74b4bdc48a26a53324eace08ee44a5c6c6b24a56fba731b36243f35cc5f579be"
    },
    withoutToolCalls: {
      count: 4,
      first: "evt_041ec066a919ff89880bf10e09bd24de",
      digest: "44ff1826fe2201f917c3f1a9db8be12cdb85486d6541cedfcfd9f19db31c214e"
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
