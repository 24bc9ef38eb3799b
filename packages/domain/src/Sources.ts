/**
 * The agents OpenSync syncs, one entry each: how the dashboard names and colours them, which CLI connects them and
 * what to type to set one up. The dashboard, the server's first-start banner and the plugin CLIs read this table, so
 * adding an agent is its own package folder plus one entry here. Plain data: the hot paths of the plugins import it.
 */

/** The colours of an agent's chip, for one theme. */
export interface ChipColors {
  readonly background: string
  readonly text: string
  readonly border: string
}

/** One agent OpenSync syncs. */
export interface SourceInfo {
  /** The `source` of its sessions and events (lower-case kebab-case). */
  readonly id: string
  /** How people call the agent. */
  readonly label: string
  /** The command of its sync CLI. */
  readonly cli: string
  /** The npm package that ships the CLI and the plugin. */
  readonly npmPackage: string
  /** The prefix of the CLI's environment variables (`<prefix>_CONVEX_URL`, `<prefix>_API_KEY`, …). */
  readonly envPrefix: string
  readonly colors: { readonly light: ChipColors; readonly dark: ChipColors }
  /** One sentence on installing it, for the dashboard's Settings page. */
  readonly install: string
  /** The commands that connect it to a server, in order; `{url}` stands for the server URL. */
  readonly setup: ReadonlyArray<string>
  /** Whether `import` brings in the sessions the agent already keeps. */
  readonly imports: boolean
}

/** An agent's chip colours, for one theme. */
const chip = (background: string, text: string, border: string): ChipColors => ({ background, text, border })

/**
 * An agent whose sync CLI works like every other: `setup`, `login`, then `import`, from a package that ships as a
 * tarball until it is published. `installThen` ends the install sentence after the package is installed.
 */
const agent = (entry: {
  readonly id: string
  readonly label: string
  readonly cli: string
  readonly npmPackage?: string
  readonly envPrefix: string
  readonly light: ChipColors
  readonly dark: ChipColors
  readonly installThen: string
}): SourceInfo => {
  const npmPackage = entry.npmPackage ?? entry.cli
  return {
    id: entry.id,
    label: entry.label,
    cli: entry.cli,
    npmPackage,
    envPrefix: entry.envPrefix,
    colors: { light: entry.light, dark: entry.dark },
    install: `Install ${npmPackage} (from its tarball until it is published: see the README's Install section)${entry.installThen}`,
    setup: [`${entry.cli} setup`, `${entry.cli} login --url {url} --key osk_…`, `${entry.cli} import`],
    imports: true
  }
}

export const sources: ReadonlyArray<SourceInfo> = [
  agent({
    id: "claude-code",
    label: "Claude Code",
    cli: "claude-code-sync",
    envPrefix: "CLAUDE_SYNC",
    light: chip("#fff3e8", "#b45309", "#f9d9b8"),
    dark: chip("#2d1f10", "#fbbf77", "#4a3218"),
    installThen: " and register its hooks"
  }),
  agent({
    id: "opencode",
    label: "OpenCode",
    cli: "opencode-sync",
    npmPackage: "opencode-sync-plugin",
    envPrefix: "OPENCODE_SYNC",
    light: chip("#e8f4ff", "#1d64b5", "#bcdcff"),
    dark: chip("#10233a", "#7cc0ff", "#1d3b5e"),
    installThen: " and add it to your OpenCode config with setup"
  }),
  agent({
    id: "codex-cli",
    label: "Codex",
    cli: "codex-sync",
    envPrefix: "CODEX_SYNC",
    light: chip("#e9f7ef", "#15803d", "#bfe6cd"),
    dark: chip("#0f2a1b", "#6ee7a0", "#1c4a30"),
    installThen: ", register its hooks with setup and trust them in Codex"
  }),
  agent({
    id: "gemini-cli",
    label: "Gemini CLI",
    cli: "gemini-sync",
    envPrefix: "GEMINI_SYNC",
    light: chip("#f1ecff", "#6d28d9", "#d9ccff"),
    dark: chip("#221838", "#c4b5fd", "#3b2a63"),
    installThen: " and register its hooks in ~/.gemini/settings.json"
  })
]

/**
 * The source id a name given by a person stands for: an id, an agent's name or CLI, or the id's first word
 * (`codex` → `codex-cli`, `Gemini CLI` → `gemini-cli`, `claude` → `claude-code`); undefined when none matches.
 */
export const resolve = (name: string): string | undefined => {
  const wanted = name.trim().toLowerCase()
  return sources.find(
    (source) =>
      source.id === wanted ||
      source.label.toLowerCase() === wanted ||
      source.cli === wanted ||
      source.id.split("-")[0] === wanted
  )?.id
}

/** The entry of a source id, if OpenSync knows it. */
export const find = (id: string): SourceInfo | undefined => sources.find((source) => source.id === id)

/** The label of a source id: the agent's name when known, else the id itself. */
export const label = (id: string): string => find(id)?.label ?? id

/** The entry of a known source id; throws for an id the table lacks (a programming error). */
export const get = (id: string): SourceInfo => {
  const found = find(id)
  if (found === undefined) throw new Error(`unknown source "${id}": add it to packages/domain/src/Sources.ts`)
  return found
}

/** A setup command with the server URL filled in. */
export const command = (template: string, url: string): string => template.replaceAll("{url}", url)
