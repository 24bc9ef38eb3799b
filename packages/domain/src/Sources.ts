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

export const sources: ReadonlyArray<SourceInfo> = [
  {
    id: "claude-code",
    label: "Claude Code",
    cli: "claude-code-sync",
    npmPackage: "claude-code-sync",
    envPrefix: "CLAUDE_SYNC",
    colors: {
      light: { background: "#fff3e8", text: "#b45309", border: "#f9d9b8" },
      dark: { background: "#2d1f10", text: "#fbbf77", border: "#4a3218" }
    },
    install:
      "Install claude-code-sync (from its tarball until it is published: see the README's Install section) and register its hooks",
    setup: ["claude-code-sync setup", "claude-code-sync login --url {url} --key osk_…", "claude-code-sync import"],
    imports: true
  },
  {
    id: "opencode",
    label: "OpenCode",
    cli: "opencode-sync",
    npmPackage: "opencode-sync-plugin",
    envPrefix: "OPENCODE_SYNC",
    colors: {
      light: { background: "#e8f4ff", text: "#1d64b5", border: "#bcdcff" },
      dark: { background: "#10233a", text: "#7cc0ff", border: "#1d3b5e" }
    },
    install:
      "Install opencode-sync-plugin (from its tarball until it is published: see the README's Install section) and add it to your OpenCode config with setup",
    setup: ["opencode-sync setup", "opencode-sync login --url {url} --key osk_…", "opencode-sync import"],
    imports: true
  },
  {
    id: "codex-cli",
    label: "Codex",
    cli: "codex-sync",
    npmPackage: "codex-sync",
    envPrefix: "CODEX_SYNC",
    colors: {
      light: { background: "#e9f7ef", text: "#15803d", border: "#bfe6cd" },
      dark: { background: "#0f2a1b", text: "#6ee7a0", border: "#1c4a30" }
    },
    install:
      "Install codex-sync (from its tarball until it is published: see the README's Install section), register its hooks with setup and trust them in Codex",
    setup: ["codex-sync setup", "codex-sync login --url {url} --key osk_…", "codex-sync import"],
    imports: true
  },
  {
    id: "gemini-cli",
    label: "Gemini CLI",
    cli: "gemini-sync",
    npmPackage: "gemini-sync",
    envPrefix: "GEMINI_SYNC",
    colors: {
      light: { background: "#f1ecff", text: "#6d28d9", border: "#d9ccff" },
      dark: { background: "#221838", text: "#c4b5fd", border: "#3b2a63" }
    },
    install:
      "Install gemini-sync (from its tarball until it is published: see the README's Install section) and register its hooks in ~/.gemini/settings.json",
    setup: ["gemini-sync setup", "gemini-sync login --url {url} --key osk_…", "gemini-sync import"],
    imports: true
  }
]

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
