import { readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as OpenCodeConfig from "../src/OpenCodeConfig.js"
import { tempDir } from "./support/outbox.js"

const add = (text: string, spec?: string) => {
  const result = OpenCodeConfig.addPlugin(text, "/x/opencode.json", spec)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const parsed = (text: string) => Either.getOrThrow(OpenCodeConfig.parse(text, "/x/opencode.json"))

describe("OpenCodeConfig", () => {
  it("parses JSONC: comments, trailing commas, strings that look like comments", () => {
    const text = `// global config
{
  /* block */ "$schema": "https://opencode.ai/config.json", // trailing
  "theme": "a // not a comment /* nor this */",
  "plugin": ["other-plugin", "opencode-sync-plugin@0.4.0",],
}`
    expect(parsed(text)).toEqual({
      $schema: "https://opencode.ai/config.json",
      theme: "a // not a comment /* nor this */",
      plugin: ["other-plugin", "opencode-sync-plugin@0.4.0"]
    })
  })

  it("reports what is wrong with a broken file", () => {
    const broken = OpenCodeConfig.parse('{ "plugin": [ /* unterminated', "/x/opencode.json")
    expect(Either.isLeft(broken) && broken.left.message).toBe(
      "/x/opencode.json has an unterminated /* comment. It was not changed; fix it by hand, then run this command again."
    )
    const notObject = OpenCodeConfig.parse("[1]", "/x/opencode.json")
    expect(Either.isLeft(notObject) && notObject.left.reason).toBe("is not a JSON object")
  })

  it("recognizes this plugin in both keys and every spelling", () => {
    const specs = OpenCodeConfig.pluginSpecs({
      plugin: ["opencode-sync-plugin", ["opencode-sync-plugin@1.0.0", {}]],
      plugins: [{ package: "file:///home/me/src/opencode-sync-plugin/dist/plugin.mjs" }, "unrelated-sync-plugin"]
    })
    expect(specs.map(OpenCodeConfig.isOurSpec)).toEqual([true, true, true, false])
    expect(OpenCodeConfig.isOurSpec("opencode-sync-plugin-extra")).toBe(false)
  })

  it("adds the plugin to an existing list, keeping comments and everything else byte for byte", () => {
    const text = `{
  // my providers
  "model": "anthropic/claude-sonnet-4-5",
  "plugin": [
    "other-plugin" // keep me
  ],
  "theme": "dark"
}
`
    const result = add(text)
    expect(result.changed).toBe(true)
    expect(result.text).toBe(text.replace('"other-plugin"', '"other-plugin", "opencode-sync-plugin"'))
    expect(parsed(result.text).plugin).toEqual(["other-plugin", "opencode-sync-plugin"])
  })

  it("adds to an empty list, adds the key when missing, and creates a file from nothing", () => {
    expect(add('{ "plugin": [] }').text).toBe('{ "plugin": ["opencode-sync-plugin"] }')
    const withKeys = add('{\n  "theme": "dark"\n}\n').text
    expect(withKeys).toBe('{\n  "plugin": ["opencode-sync-plugin"],\n  "theme": "dark"\n}\n')
    expect(add("{}").text).toBe('{\n  "plugin": ["opencode-sync-plugin"]\n}')
    expect(parsed(add("").text)).toEqual({
      $schema: "https://opencode.ai/config.json",
      plugin: ["opencode-sync-plugin"]
    })
    const nested = add('{ "plugin": [["a", { "x": [1] }]] }').text
    expect(parsed(nested).plugin).toEqual([["a", { x: [1] }], "opencode-sync-plugin"])
  })

  it("changes nothing when the plugin is already there, and refuses a plugin value that is not a list", () => {
    const text = '{ "plugin": ["opencode-sync-plugin@0.3.1"] }'
    expect(add(text)).toEqual({ text, changed: false })
    const bad = OpenCodeConfig.addPlugin('{ "plugin": "opencode-sync-plugin-x" }', "/x/opencode.json")
    expect(Either.isLeft(bad) && bad.left.reason).toBe('has a "plugin" value that is not a list')
  })

  it("removing the plugin undoes adding it, byte for byte, whatever the file looked like", () => {
    const remove = (text: string) => Either.getOrThrow(OpenCodeConfig.removePlugin(text, "/x/opencode.json"))
    const originals = [
      '{\n  // my providers\n  "plugin": [\n    "other-plugin" // keep me\n  ],\n  "theme": "dark"\n}\n',
      '{ "plugin": [] }',
      '{\n  "theme": "dark"\n}\n',
      '{ "theme": "dark", /* c */ "x": [1] }',
      "{}",
      '\uFEFF{\n\t"theme": "dark",\n}\n'
    ]
    for (const original of originals) {
      const added = add(original)
      expect(added.changed).toBe(true)
      expect(remove(added.text)).toEqual({ text: original, removed: ["opencode-sync-plugin"], removeFile: false })
    }
    expect(remove(add("").text).removeFile).toBe(true)
    // Entries of ours in any spelling go; other plugins, comments and the rest stay.
    const mixed =
      '{\n  "plugin": ["a", "opencode-sync-plugin@0.4.0", "b"], // c\n  "plugins": [{ "package": "file:///x/opencode-sync-plugin/dist/plugin.mjs" }]\n}'
    expect(remove(mixed)).toEqual({
      text: '{\n  "plugin": ["a", "b"], // c\n  "plugins": []\n}',
      removed: ["opencode-sync-plugin@0.4.0", "file:///x/opencode-sync-plugin/dist/plugin.mjs"],
      removeFile: false
    })
    expect(remove('{ "plugin": ["other"] }')).toEqual({
      text: '{ "plugin": ["other"] }',
      removed: [],
      removeFile: false
    })
  })

  describe("files", () => {
    let dir: ReturnType<typeof tempDir>
    beforeEach(() => {
      dir = tempDir("ocs-config-")
    })
    afterEach(() => dir.remove())

    it.effect("install writes atomically with a backup and keeps the file's mode; inspect finds it", () =>
      Effect.gen(function* () {
        const path = join(dir.path, "opencode.jsonc")
        writeFileSync(path, '{\n  // mine\n  "theme": "dark",\n}\n', { mode: 0o640 })
        const result = yield* OpenCodeConfig.install(path)
        expect(result).toEqual({ path, changed: true, created: false, replaced: [] })
        expect(readFileSync(path, "utf8")).toBe(
          '{\n  "plugin": ["opencode-sync-plugin"],\n  // mine\n  "theme": "dark",\n}\n'
        )
        expect(readFileSync(`${path}.bak`, "utf8")).toBe('{\n  // mine\n  "theme": "dark",\n}\n')
        expect(statSync(path).mode & 0o777).toBe(0o640)
        expect((yield* OpenCodeConfig.install(path)).changed).toBe(false)
        const missing = join(dir.path, "nope.json")
        expect(OpenCodeConfig.inspect([path, missing])).toEqual([
          { path, exists: true, specs: ["opencode-sync-plugin"], error: null },
          { path: missing, exists: false, specs: [], error: null }
        ])
      })
    )

    it("configFiles lists the global, project and OPENCODE_CONFIG files", () => {
      const files = OpenCodeConfig.configFiles({ XDG_CONFIG_HOME: "/c", OPENCODE_CONFIG: "/o.json" }, "/p")
      expect(files).toEqual([
        "/c/opencode/opencode.jsonc",
        "/c/opencode/opencode.json",
        "/c/opencode/config.json",
        "/p/opencode.jsonc",
        "/p/opencode.json",
        "/p/.opencode/opencode.jsonc",
        "/p/.opencode/opencode.json",
        "/o.json"
      ])
    })
  })
})
