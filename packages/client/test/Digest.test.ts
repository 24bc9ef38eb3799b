import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as Digest from "@opensync/client/kit/Digest"

describe("Digest", () => {
  it("sha256 is node:crypto's, loaded on first use", () => {
    for (const text of ["", "a", "settings ✓ \u0000 end"]) {
      expect(Digest.sha256().update(text).digest("hex")).toEqual(createHash("sha256").update(text).digest("hex"))
    }
  })

  it("fingerprint is 16 hex digits, the same for the same text, and tells one-character edits apart", () => {
    const base = JSON.stringify([
      "0.2.0",
      "claude-code",
      '{"convexUrl":"http://127.0.0.1:4870","apiKey":"osk_0123456789abcdef"}',
      [["HOME", "/home/dev"]],
      null
    ])
    expect(Digest.fingerprint(base)).toMatch(/^[0-9a-f]{16}$/)
    expect(Digest.fingerprint(base)).toEqual(Digest.fingerprint(`${base}`))
    expect(Digest.fingerprint("")).not.toEqual(Digest.fingerprint("\u0000"))
    // every single-character substitution and deletion of the text, and each appended character, differ from it and
    // from each other
    const seen = new Map<string, string>([[Digest.fingerprint(base), base]])
    const variants: Array<string> = []
    for (let i = 0; i < base.length; i++) {
      variants.push(base.slice(0, i) + base.slice(i + 1))
      for (const c of '0aZ_"é') if (base[i] !== c) variants.push(base.slice(0, i) + c + base.slice(i + 1))
    }
    for (let c = 0; c < 512; c++) variants.push(base + String.fromCharCode(c))
    let collisions = 0
    for (const variant of new Set(variants)) {
      const print = Digest.fingerprint(variant)
      if (seen.has(print) && seen.get(print) !== variant) collisions++
      seen.set(print, variant)
    }
    expect(variants.length).toBeGreaterThan(500)
    expect(collisions).toEqual(0)
  })
})
