import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigStore, Tool } from "@opensync/client/ConfigStore"
import { Sources } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const withStore = (env: Record<string, string>) => {
  const home = mkdtempSync(join(tmpdir(), "opensync-config-"))
  const layer = ConfigStore.Default.pipe(Layer.provide(Tool.layer(Sources.get("claude-code"), { HOME: home, ...env })))
  return { home, layer, file: join(home, ".config", "claude-code-sync", "config.json") }
}

describe("ConfigStore", () => {
  it.effect("defaults when nothing is configured: auto sync and tool calls on, thinking off", () => {
    const { layer, file } = withStore({})
    return Effect.gen(function* () {
      const config = yield* (yield* ConfigStore).load
      expect(config.path).toBe(file)
      expect(config.serverUrl).toBeUndefined()
      expect(config.apiKey).toBeUndefined()
      expect([config.autoSync, config.syncToolCalls, config.syncThinking]).toEqual([true, true, false])
      expect(config.origins.autoSync).toBe("default")
    }).pipe(Effect.provide(layer))
  })

  it.effect("writes the file with mode 0600, normalizes Convex URLs and keeps unknown keys", () => {
    const { layer, file } = withStore({})
    return Effect.gen(function* () {
      const store = yield* ConfigStore
      yield* store.set("convexUrl", "https://happy-cat-123.convex.cloud/")
      yield* store.set("apiKey", "osk_abc")
      yield* store.set("syncThinking", "yes")
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const written = JSON.parse(readFileSync(file, "utf8"))
      expect(written).toEqual({ convexUrl: "https://happy-cat-123.convex.site", apiKey: "osk_abc", syncThinking: true })
      writeFileSync(file, JSON.stringify({ ...written, futureSetting: 1 }))
      yield* store.clearCredentials
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ syncThinking: true, futureSetting: 1 })
    }).pipe(Effect.provide(layer))
  })

  it.effect("environment variables win over the file, one by one", () => {
    const { layer, file } = withStore({ CLAUDE_SYNC_API_KEY: "osk_fromenv", CLAUDE_SYNC_TOOL_CALLS: "false" })
    mkdirSync(join(file, ".."), { recursive: true })
    writeFileSync(
      file,
      JSON.stringify({ convexUrl: "http://127.0.0.1:4870/", apiKey: "osk_fromfile", syncToolCalls: true })
    )
    return Effect.gen(function* () {
      const config = yield* (yield* ConfigStore).load
      expect(config.serverUrl).toBe("http://127.0.0.1:4870")
      expect(config.apiKey && Redacted.value(config.apiKey)).toBe("osk_fromenv")
      expect(config.syncToolCalls).toBe(false)
      expect(config.origins).toEqual({
        serverUrl: "file",
        apiKey: "env",
        autoSync: "default",
        syncToolCalls: "env",
        syncThinking: "default",
        telemetry: "default"
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("tightens a config folder and file made readable to others before it writes the key", () => {
    const { home, layer, file } = withStore({})
    const dir = join(file, "..")
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    chmodSync(dir, 0o755)
    writeFileSync(file, JSON.stringify({ autoSync: true }), { mode: 0o644 })
    chmodSync(file, 0o644)
    chmodSync(home, 0o755)
    return Effect.gen(function* () {
      yield* (yield* ConfigStore).set("apiKey", "osk_abc")
      expect(statSync(dir).mode & 0o777).toBe(0o700)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      // The folders above are the user's: left as they were
      expect(statSync(home).mode & 0o777).toBe(0o755)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a variable set to blanks is unset: the file's URL and key stay in effect", () => {
    const { layer, file } = withStore({
      CLAUDE_SYNC_API_KEY: " ",
      CLAUDE_SYNC_CONVEX_URL: "\t ",
      CLAUDE_SYNC_AUTO_SYNC: "  "
    })
    mkdirSync(join(file, ".."), { recursive: true })
    writeFileSync(file, JSON.stringify({ convexUrl: "http://127.0.0.1:4870", apiKey: "osk_fromfile", autoSync: false }))
    return Effect.gen(function* () {
      const config = yield* (yield* ConfigStore).load
      expect(config.serverUrl).toBe("http://127.0.0.1:4870")
      expect(config.apiKey && Redacted.value(config.apiKey)).toBe("osk_fromfile")
      expect(config.autoSync).toBe(false)
      expect(config.origins).toMatchObject({ serverUrl: "file", apiKey: "file", autoSync: "file" })
    }).pipe(Effect.provide(layer))
  })

  it.effect("never returns the password of a server URL it refuses, from the file or the environment", () => {
    const { layer, file } = withStore({})
    mkdirSync(join(file, ".."), { recursive: true })
    writeFileSync(file, JSON.stringify({ convexUrl: "https://bob:hunter2secret@example.com" }))
    const fromEnv = withStore({ CLAUDE_SYNC_CONVEX_URL: " http://bob:hunter2secret@127.0.0.1:9/ " })
    return Effect.gen(function* () {
      expect((yield* (yield* ConfigStore).load).serverUrl).toBe("https://***@example.com")
      const env = yield* Effect.provide(
        Effect.flatMap(ConfigStore, (store) => store.load),
        fromEnv.layer
      )
      expect([env.serverUrl, env.origins.serverUrl]).toEqual(["http://***@127.0.0.1:9/", "env"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("explains a broken file and invalid values instead of crashing", () => {
    const { layer, file } = withStore({ CLAUDE_SYNC_AUTO_SYNC: "maybe" })
    mkdirSync(join(file, ".."), { recursive: true })
    writeFileSync(file, "{ not json")
    return Effect.gen(function* () {
      const store = yield* ConfigStore
      const broken = yield* Effect.flip(store.load)
      expect(broken._tag).toBe("ConfigFileInvalid")
      expect(broken.message).toContain(file)
      // In a line a user reads, not a schema's parse tree
      expect(broken.message).toContain("(not JSON: ")
      writeFileSync(file, '["a"]')
      expect((yield* Effect.flip(store.load)).message).toContain("(it holds a list, not an object of settings)")
      writeFileSync(file, '{"autoSync": "yes"}')
      const badValue = (yield* Effect.flip(store.load)).message
      expect(badValue).toContain('(autoSync: Expected boolean, actual "yes")')
      expect(badValue).not.toMatch(/Encoded side|└─|\n/)
      writeFileSync(file, "{}")
      const badEnv = yield* Effect.flip(store.load)
      expect(badEnv.message).toBe(
        'Invalid value for CLAUDE_SYNC_AUTO_SYNC: "maybe" is not a boolean (use true or false)'
      )
      expect((yield* Effect.flip(store.set("apiKey", "sk-123"))).message).toBe(
        "Invalid value for apiKey: API keys start with osk_"
      )
      expect((yield* Effect.flip(store.set("colour", "red"))).message).toContain("unknown setting")
      expect((yield* Effect.flip(store.set("convexUrl", "nope"))).message).toContain("is not an http(s) URL")
    }).pipe(Effect.provide(layer))
  })
})
