// @vitest-environment edge-runtime
/// <reference types="vite/client" />
// The redactor must run where Convex runs (a V8 isolate without Node APIs): this file runs in the edge runtime.
import { describe, expect, it } from "@effect/vitest"
import { findSecrets, redactText, redactValue } from "../src/Redaction.js"

const sources = import.meta.glob(["../src/Redaction.ts", "../src/internal/redaction/*.ts"], {
  query: "?raw",
  import: "default",
  eager: true
}) as Record<string, string>

describe("Redaction outside Node", () => {
  it("its module graph imports nothing from Node and uses no Node globals", () => {
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(8)
    for (const [file, text] of Object.entries(sources)) {
      const source = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
      const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1])
      const external = imports.filter((i) => !i.startsWith("./") && !i.startsWith("../"))
      expect({ file, external }).toEqual({ file, external: external.filter((i) => i.startsWith("effect/")) })
      expect({ file, nodeGlobals: /\b(?:Buffer|process|require|__dirname)\b[.(]/.test(source) }).toEqual({
        file,
        nodeGlobals: false
      })
    }
  })

  it("redacts text and values in the edge runtime", () => {
    const token = `ghp_${"aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3f"}G5`
    expect(redactText(`GITHUB_TOKEN=${token}`).text).toBe("GITHUB_TOKEN=[REDACTED:github-token]")
    expect(redactValue({ password: "hunter2", note: "fine" })).toEqual({
      password: "[REDACTED:secret-field]",
      note: "fine"
    })
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJuIjoxfQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMTIzNDU2"
    expect(findSecrets(`Authorization: Bearer ${jwt}`).map((f) => f.rule)).toEqual(["jwt"])
  })
})
