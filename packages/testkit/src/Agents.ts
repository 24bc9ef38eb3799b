/**
 * The agent releases the end-to-end suites run against: the pinned one (the floor, always) and the registry's newest
 * (`npm view`, resolved when the tests start; the pinned one when the registry cannot be reached). Each is installed
 * by its install script into its own folder of `.tools/`; each suite records its results under
 * `test-output/compatibility/`, which `scripts/compatibility.mjs` renders into docs/compatibility.md.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { currentVersion } from "../../../scripts/current-version.mjs"

export { compareVersions } from "../../../scripts/current-version.mjs"

export const repoRoot = resolve(import.meta.dirname, "../../..")

export type Agent = "claude-code" | "opencode" | "codex" | "gemini"

interface AgentSpec {
  readonly name: string
  readonly npmPackage: string
  readonly installScript: string
  readonly binName: string
  /** The `.tools/` folder of the pinned version and of any other version. */
  readonly dir: (version: string, pinned: boolean) => string
}

const specs: Record<Agent, AgentSpec> = {
  "claude-code": {
    name: "Claude Code",
    npmPackage: "@anthropic-ai/claude-code",
    installScript: "scripts/install-clients.sh",
    binName: "claude",
    dir: (version, pinned) => join(repoRoot, pinned ? ".tools" : `.tools/claude-${version}`)
  },
  opencode: {
    name: "OpenCode",
    npmPackage: "opencode-ai",
    installScript: "scripts/install-opencode.sh",
    binName: "opencode",
    dir: (version, pinned) => join(repoRoot, pinned ? ".tools/opencode" : `.tools/opencode-${version}`)
  },
  codex: {
    name: "Codex",
    npmPackage: "@openai/codex",
    installScript: "scripts/install-codex.sh",
    binName: "codex",
    dir: (version, pinned) => join(repoRoot, pinned ? ".tools/codex" : `.tools/codex-${version}`)
  },
  gemini: {
    name: "Gemini CLI",
    npmPackage: "@google/gemini-cli",
    installScript: "scripts/install-gemini.sh",
    binName: "gemini",
    dir: (version, pinned) => join(repoRoot, pinned ? ".tools/gemini" : `.tools/gemini-${version}`)
  }
}

/** One release of an agent the suites run against. */
export interface AgentVersion {
  readonly agent: Agent
  readonly name: string
  readonly version: string
  /** `pinned`, `current` (the registry's newest) or both. */
  readonly roles: ReadonlyArray<"pinned" | "current">
  readonly bin: string
  /** Why the suite for this version cannot run (the binary is missing and could not be installed), if it cannot. */
  readonly missing: string | undefined
  /** `<name> <version> (<roles>)`, for suite names. */
  readonly label: string
}

/** The pinned version, as its install script states it (the one place it is written). */
export const pinnedVersion = (agent: Agent): string => {
  const script = readFileSync(join(repoRoot, specs[agent].installScript), "utf8")
  const found = /^PINNED="([^"]+)"$/m.exec(script)?.[1]
  if (found === undefined) throw new Error(`no PINNED="…" line in ${specs[agent].installScript}`)
  return found
}

const binOf = (agent: Agent, version: string, pinned: boolean) =>
  join(specs[agent].dir(version, pinned), "node_modules/.bin", specs[agent].binName)

/**
 * The versions to run: the pinned one and the registry's newest when it is newer. `OPENSYNC_E2E_VERSIONS=pinned`
 * (or `current`) narrows the list. A newer version that is not installed yet is installed now with the install script
 * (cached in `.tools/` for later runs), provided the pinned one is installed, i.e. this machine runs the e2e tests.
 */
export const agentVersions = (agent: Agent): ReadonlyArray<AgentVersion> => {
  const spec = specs[agent]
  const pinned = pinnedVersion(agent)
  const current = currentVersion(spec.npmPackage, pinned)
  const only = process.env.OPENSYNC_E2E_VERSIONS
  const versions: Array<Omit<AgentVersion, "missing" | "label">> =
    current === pinned
      ? [{ agent, name: spec.name, version: pinned, roles: ["pinned", "current"], bin: binOf(agent, pinned, true) }]
      : [
          { agent, name: spec.name, version: pinned, roles: ["pinned"], bin: binOf(agent, pinned, true) },
          { agent, name: spec.name, version: current, roles: ["current"], bin: binOf(agent, current, false) }
        ]
  return versions
    .filter((v) => only === undefined || only === "" || only === "all" || v.roles.includes(only as "pinned"))
    .map((v) => {
      const pinnedBin = binOf(agent, pinned, true)
      let missing: string | undefined
      if (!existsSync(v.bin) && v.version !== pinned && existsSync(pinnedBin)) {
        try {
          execFileSync("bash", [join(repoRoot, spec.installScript), v.version], {
            cwd: repoRoot,
            stdio: ["ignore", "ignore", "inherit"],
            timeout: 15 * 60_000
          })
        } catch (cause) {
          missing = `installing ${spec.npmPackage}@${v.version} failed: ${cause instanceof Error ? cause.message : cause}`
        }
      }
      if (missing === undefined && !existsSync(v.bin)) {
        missing = `${v.bin} is missing: run \`bash ${spec.installScript}${v.version === pinned ? "" : ` ${v.version}`}\``
      }
      return { ...v, missing, label: `${spec.name} ${v.version} (${v.roles.join(", ")})` }
    })
}

/** What a suite records for the compatibility matrix. */
export interface SuiteResult {
  readonly agent: Agent
  readonly name: string
  readonly npmPackage: string
  readonly version: string
  readonly roles: ReadonlyArray<"pinned" | "current">
  readonly suite: string
  readonly tests: ReadonlyArray<{ readonly name: string; readonly state: string }>
  readonly finishedAt: string
  readonly node: string
  readonly platform: string
}

export const resultsDir = join(repoRoot, "test-output/compatibility")

interface TaskLike {
  readonly name: string
  readonly type: string
  readonly mode: string
  readonly result?: { readonly state: string } | undefined
  readonly tasks?: ReadonlyArray<TaskLike>
}

const testsOf = (tasks: ReadonlyArray<TaskLike>, prefix = ""): Array<{ name: string; state: string }> =>
  tasks.flatMap((task) =>
    task.type === "suite"
      ? testsOf(task.tasks ?? [], `${prefix}${task.name} > `)
      : [{ name: `${prefix}${task.name}`, state: task.result?.state ?? (task.mode === "skip" ? "skip" : "not run") }]
  )

/** Writes one suite's results for `version` (call from the suite's `afterAll`, which receives the suite). */
export const recordResults = (
  version: AgentVersion,
  suite: { readonly name: string; readonly tasks: ReadonlyArray<TaskLike> }
) => {
  const result: SuiteResult = {
    agent: version.agent,
    name: version.name,
    npmPackage: specs[version.agent].npmPackage,
    version: version.version,
    roles: version.roles,
    suite: suite.name.startsWith(`${version.label}: `) ? suite.name.slice(version.label.length + 2) : suite.name,
    tests: testsOf(suite.tasks),
    finishedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`
  }
  mkdirSync(resultsDir, { recursive: true })
  const file = `${version.agent}-${version.version}-${suite.name.replace(/[^A-Za-z0-9.]+/g, "-").slice(0, 80)}.json`
  writeFileSync(join(resultsDir, file), `${JSON.stringify(result, null, 2)}\n`)
}
