/**
 * Fields are cut to their limits (`Limits.truncate`: a command's summary, a tool's error, a message) where they are read,
 * and redacted later, when their events are queued. A cut through a secret left its start behind, where no rule knows
 * it any more (too short for its format, or ending in the cut's `…`, which redaction takes for a value already
 * masked): 39 of a GitHub token's 40 characters went out. A cut now never ends inside a run of characters a secret is
 * made of: the run it would split is left out whole.
 */
import { describe, expect, it } from "@effect/vitest"
import { Limits } from "@opensync/domain"
import { redactText } from "../src/Redactor.js"
import { buildCorpus } from "./fixtures/secrets-corpus.js"

const redact = (text: string) => redactText(text).text
const count = (text: string, part: string) => text.split(part).length - 1

/** `text` cut so that the cut falls `at` characters into it. */
const cutAt = (text: string, at: number) => {
  const suffix = `… [truncated ${text.length} chars]`
  return Limits.truncate(text, at + suffix.length)
}

describe("a field cut to its limit", () => {
  it("keeps no part of a secret the cut goes through, for every secret of the corpus", () => {
    const { positives } = buildCorpus()
    const filler = "ls -la /srv/app && echo starting; ".repeat(4)
    let cuts = 0
    const leaks: Array<string> = []
    for (const sample of positives) {
      const whole = `${filler}${sample.text}`
      // Only what redaction finds whole counts here: a cut must not make a secret it finds harder to find.
      if (sample.secrets.some((secret) => redact(whole).includes(secret))) continue
      for (const secret of sample.secrets) {
        const start = whole.indexOf(secret)
        if (start < 0 || secret.length < 12) continue
        for (const kept of [8, secret.length >> 1, secret.length - 1]) {
          cuts++
          const out = redact(cutAt(whole, start + kept))
          // What the text holds before the secret may start the same way (its variable's name: CLOJARS_…).
          const head = secret.slice(0, kept)
          if (count(out, head) > count(whole.slice(0, start), head)) leaks.push(`${sample.id}: ${head}… in ${out}`)
        }
      }
    }
    expect(cuts).toBeGreaterThan(2_000)
    expect(leaks).toEqual([])
  })

  it("ends on the run before the one it would split, and marks the cut", () => {
    const token = `ghp_${"a1B2c3D4e5".repeat(3)}123456`
    const command = `git push https://${token}@github.com/acme/app.git main`
    const at = command.indexOf(token) + 30
    expect(cutAt(command, at)).toBe(`git push … [truncated ${command.length} chars]`)
    // A cut on a run's end keeps it; quotes, brackets and separators end a run too.
    const words = `echo one two ${"three ".repeat(20)}`
    expect(cutAt(words, 8)).toBe(`echo one… [truncated ${words.length} chars]`)
    expect(cutAt(words, 10)).toBe(`echo one … [truncated ${words.length} chars]`)
    const json = `{"password":"hunter2hunter2hunter2hunter2hunter2"}`
    expect(cutAt(json, 20)).toBe(`{"password":"… [truncated ${json.length} chars]`)
    // One run longer than the limit: nothing of it is kept.
    expect(cutAt("x".repeat(5_000), 2_000)).toBe("… [truncated 5000 chars]")
    // What fits is never cut.
    expect(Limits.truncate("short", 100)).toBe("short")
  })
})
