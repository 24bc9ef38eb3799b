import { describe, expect, it } from "@effect/vitest"
import { type Harness, makeSpec } from "./Harness.js"

/**
 * Full-text search finds the same sessions on every backend: accents and case are ignored, a word longer than 32 bytes
 * is found whole or by its prefix, and a query of more than 16 words needs every word (the last one as a prefix).
 */
export const section = (h: Harness): void => {
  const { run, sid, store, listIds, specEvents } = h
  const source = `parity-${run}`
  const spec = (label: string, text: string) =>
    makeSpec({
      id: sid(label),
      source,
      project: sid("parity"),
      title: `Parity ${label}`,
      userTexts: [text],
      usage: { input: 1, output: 1 }
    })
  const long = "Pneumonoultramicroscopicsilicovolcanoconiosis"
  const many =
    "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec romeo"
  const sessions = [
    spec("accents", "Le café crème était délicieux à Zürich"),
    spec("plain", "Le cafe creme etait bon"),
    spec("long", `the word ${long} is long`),
    spec("longer", `${long}Extended is even longer`),
    spec("many", many),
    spec(
      "some",
      "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec"
    )
  ]
  const search = (q: string) => listIds({ q, source, sort: "startedAt", order: "asc" }).then((ids) => ids.sort())
  const ids = (...labels: Array<string>) => labels.map(sid).sort()

  describe("full-text search parity", () => {
    it("ignores accents and case, in the text and in the query", async () => {
      await store(sessions.flatMap(specEvents))
      expect(await search("cafe")).toEqual(ids("accents", "plain"))
      expect(await search("CAFÉ crème")).toEqual(ids("accents", "plain"))
      expect(await search("délicieux")).toEqual(ids("accents"))
      expect(await search("zurich")).toEqual(ids("accents"))
      expect(await search("zür")).toEqual(ids("accents"))
    })

    it("finds a word longer than 32 bytes whole, and by a prefix longer than 32 bytes", async () => {
      expect(await search(`${long} is`)).toEqual(ids("long"))
      expect(await search(`is ${long.toLowerCase()}`)).toEqual(ids("long", "longer"))
      expect(await search(long.slice(0, 40))).toEqual(ids("long", "longer"))
      expect(await search(`${long}Ext`)).toEqual(ids("longer"))
      expect(await search(`${long}Extended word`)).toEqual([])
    })

    it("needs every word of a query of more than 16 words, the last one as a prefix", async () => {
      expect(await search(many)).toEqual(ids("many"))
      expect(await search(many.replace("romeo", "rom"))).toEqual(ids("many"))
      expect(await search(`${many} sierra`)).toEqual([])
      expect(await search(many.replace(" romeo", ""))).toEqual(ids("many", "some"))
    })
  })
}
