import { describe, expect, it } from "@effect/vitest"
import { ApiKey, Config } from "@opensync/domain"
import * as Effect from "effect/Effect"

describe("ApiKey", () => {
  it("generates keys with the osk_ prefix and a checksum that catches a changed character", () => {
    const key = ApiKey.generate()
    expect(key).toMatch(ApiKey.pattern)
    expect(ApiKey.isWellFormed(key)).toBe(true)
    const last = key[key.length - 1]
    const tampered = key.slice(0, -1) + (last === "A" ? "B" : "A")
    expect(ApiKey.isWellFormed(tampered)).toBe(false)
    expect(ApiKey.problem(tampered)).toMatch(/malformed/)
    expect(ApiKey.problem("sk-ant-123")).toMatch(/start with "osk_"/)
    expect(ApiKey.problem(key)).toBeUndefined()
    expect(new Set(Array.from({ length: 50 }, ApiKey.generate)).size).toBe(50)
  })

  it.effect("stores a SHA-256 hex digest, never the key", () =>
    Effect.gen(function* () {
      const hash = yield* ApiKey.hash("osk_test")
      expect(hash).toBe("a872db49c5aaf97976b1cb3923fd0749b2cf22f504da83f83982308c5d177c3b")
      expect(yield* ApiKey.hash("osk_test")).toBe(hash)
      expect(yield* ApiKey.hash("osk_tesu")).not.toBe(hash)
    })
  )
})

describe("Config.normalizeServerUrl", () => {
  it("turns Convex cloud URLs into their HTTP-actions origin and trims slashes", () => {
    expect(Config.normalizeServerUrl("https://happy-cat-123.convex.cloud/")).toBe("https://happy-cat-123.convex.site")
    expect(Config.normalizeServerUrl(" https://happy-cat-123.convex.site ")).toBe("https://happy-cat-123.convex.site")
    expect(Config.normalizeServerUrl("http://127.0.0.1:4870/")).toBe("http://127.0.0.1:4870")
    expect(Config.normalizeServerUrl("ftp://x")).toBeUndefined()
    expect(Config.normalizeServerUrl("not a url")).toBeUndefined()
  })

  it("refuses a URL with a user name or password, and masks them where a URL is shown", () => {
    expect(Config.normalizeServerUrl("http://user:secret@127.0.0.1:4870")).toBeUndefined()
    expect(Config.normalizeServerUrl("https://token@example.com")).toBeUndefined()
    expect(Config.describeServerUrl("http://user:secret@127.0.0.1:4870/x")).toBe('"http://***@127.0.0.1:4870/x"')
    expect(Config.describeServerUrl(" 127.0.0.1:4870 ")).toBe('"127.0.0.1:4870"')
  })
})
