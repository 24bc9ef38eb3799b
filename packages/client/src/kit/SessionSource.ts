/**
 * The port every agent implements: how its inbox items become events (and follow-ups: files to re-read), how its
 * history is found and read for `import`, and how the plugin is registered with the agent. The kit does the rest
 * (inbox, follow-up queue, redaction, outbox, lock, transport, CLI).
 */
import type { Event } from "@opensync/domain"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { CliError } from "../AccountCommands.js"

/** What the user chose to send. */
export interface MappingOptions {
  readonly syncToolCalls: boolean
  readonly syncThinking: boolean
}

/** A file to re-read after an inbox item asked for it (a transcript at the end of a turn), and whose session it is. */
export interface FollowUp {
  readonly sessionId: string
  readonly path: string
  /** The subagent whose file it is, when it is one. */
  readonly agentId?: string
}

/** One inbox item, read. */
export interface InboxItem {
  readonly name: string
  readonly text: string
  /** The file's modification time, for items that do not say when they were received. */
  readonly mtimeMs: number
}

/** What an inbox item yields: its events and the files to re-read, or why it cannot be used. */
export type Decoded =
  | {
      readonly _tag: "Decoded"
      readonly events: ReadonlyArray<Event.EventEncoded>
      readonly followUps: ReadonlyArray<FollowUp>
      /**
       * The history item (under the `key` its import gives it) these events bring to `version`, when this inbox item
       * is the `part`-th of a count that together holds all of it (the OpenCode plugin saw the session created). Once
       * the events are queued, the bookkeeping records the item as read at `version` if it recorded part `part - 1`
       * with the same settings (or this is part 1): an `import` after live sync then finds the session unchanged. A
       * part lost on the way (unreadable, never written) breaks the count, and `import` reads the item again.
       */
      readonly read?: Decoded.Read
    }
  /** `keep`: an item of a newer format, left in the inbox for the CLI that reads it (not set aside). */
  | { readonly _tag: "Unreadable"; readonly reason: string; readonly keep?: true }

export declare namespace Decoded {
  /** What a numbered inbox item brings its history item to (`Decoded`'s `read`). */
  export interface Read {
    readonly sessionId: string
    readonly key: string
    readonly version: string
    readonly part: number
  }
}

/** A follow-up could not be read; it is logged and left out. */
export class FollowUpFailed extends Data.TaggedError("FollowUpFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `cannot read ${this.path}: ${this.reason}`
  }
}

/** What one history item gave. */
export type ItemEvents =
  | {
      readonly ok: true
      /** Every event of the item (with `parts`, built when first asked for: `parts` may make do with fewer). */
      readonly events: ReadonlyArray<Event.EventEncoded>
      readonly malformed: number
      /** Last lines not whole yet (the agent is still writing them): left for the next read, not malformed. */
      readonly unfinished?: number | undefined
      /** The item's files one by one, for an item read from files that keep memos (`Kit.Memo`). */
      readonly parts?: ReadonlyArray<MemoPart>
    }
  | ItemFailure

/**
 * One file of an item, read on from its memo (`Kit.Memo`) or from its start: all of its events, and, after a read on
 * from a memo, the events of what changed since that memo (`SessionEvents.SessionRecord.unchanged`). Those are enough
 * when the read that left the memo was committed, i.e. all of its events were queued: `History.readItem` queues
 * `changed.events` only when the item's checkpoint names the memo `changed.since`.
 */
export interface MemoPart {
  readonly all: () => ReadonlyArray<Event.EventEncoded>
  readonly changed?: { readonly since: string; readonly events: ReadonlyArray<Event.EventEncoded> }
  /** The name of the file's memo as the read left it, recorded with the item's checkpoint once its events are queued. */
  readonly saved?: string
}

/** An item's events made of its files' parts: `events` (all of them) is built when first asked for. */
export const partsEvents = (
  parts: ReadonlyArray<MemoPart>,
  malformed: number,
  unfinished = 0
): ItemEvents & { readonly ok: true } => {
  let all: ReadonlyArray<Event.EventEncoded> | undefined
  return {
    ok: true,
    malformed,
    unfinished,
    parts,
    get events() {
      all ??= parts.flatMap((part) => part.all())
      return all
    }
  }
}

/** Where an earlier read of an append-only file stopped, and the state the agent's reader saved there. */
export interface ReadFrom {
  readonly offset: number
  readonly state: unknown
}

/** What reading an append-only file (from the start, or on from an earlier read) gave. */
export type FileEvents =
  | {
      readonly ok: true
      readonly events: ReadonlyArray<Event.EventEncoded>
      readonly malformed: number
      /** 1 when the last line is not whole yet (the agent is still writing it): `nextOffset` points at it. */
      readonly unfinished?: number
      /** Where the next read goes on (past the last line read). */
      readonly nextOffset: number
      /** What the reader needs to go on from `nextOffset` (plain JSON), or undefined when it needs nothing. */
      readonly state: unknown
      /** Whether it read from the start after all (the state could not be used, or the new lines needed the old). */
      readonly fromStart: boolean
    }
  | ItemFailure

/**
 * Why an item was left out. `notASession`: its bytes were read and are not a session of the agent's (an empty or binary
 * file, another program's JSON), not an error reading them: the same bytes give the same answer, so the bookkeeping
 * remembers it and the item is not read again until it changes. Without it (a file that could not be read) the next
 * import tries again.
 */
export interface ItemFailure {
  readonly ok: false
  readonly reason: string
  readonly notASession?: true
}

/** An append-only file (a JSONL transcript): the kit remembers where each read stopped and reads on from there. */
export interface AppendOnlyFile<E = unknown> {
  readonly path: string
  readonly mtimeMs: number
  /** Reads from the start (`from` undefined) or on from an earlier read. */
  readonly readFrom: (from: ReadFrom | undefined) => Effect.Effect<FileEvents, E>
}

/** One item of the agent's history (a transcript file, a stored session), with how to read it. */
export interface HistoryItem<E = unknown> {
  readonly sessionId: string
  /** A path or name shown when the item is skipped. */
  readonly label: string
  /** Its size in bytes, or 0 when unknown (progress then counts items). */
  readonly size: number
  /** When it last changed (epoch ms), for agents that delete their history after a while. */
  readonly changedAt?: number
  /** Reads the whole item. */
  readonly read: Effect.Effect<ItemEvents, E>
  /**
   * The item's name in the import bookkeeping (see `Checkpoints`), unique among the agent's items; an item without
   * one is read whole on every import.
   */
  readonly key?: string
  /**
   * Changes whenever the item does (an update time): an item whose version was imported already is not read. A
   * changed item is read whole, and only the events its last read did not queue are queued (`History.readItem`).
   */
  readonly version?: string
  /**
   * Read even when its version is the one recorded: its version does not cover all it reads (a session file read with
   * its subagents' files, which change on their own).
   */
  readonly always?: boolean
  /** For an append-only file: read on from where the last import (or sync) stopped, instead of `read`. */
  readonly file?: AppendOnlyFile<E>
}

/** What an import did with a session's items. */
export type SessionStatus = "new" | "updated" | "unchanged"

/** What `import` adds up. `sessions`, `items`, `bytes` and `malformed` count what was read (unchanged items are not). */
export interface ImportTotals {
  readonly sessions: number
  readonly items: number
  readonly bytes: number
  readonly events: number
  readonly malformed: number
  /** The items that had malformed lines, and how many each. */
  readonly malformedIn?: ReadonlyArray<{ readonly label: string; readonly lines: number }>
  /** Last lines not whole yet (the agent is still writing them, or a write was cut off): read once they are. */
  readonly unfinished?: number
  readonly skipped: ReadonlyArray<{ readonly label: string; readonly reason: string }>
  /** Every session of the items, by what the import did: none of its items imported before, some changed, none. */
  readonly found: { readonly sessions: number; readonly waiting?: number } & Readonly<Record<SessionStatus, number>>
}

/** The agent's history, opened (a database stays open while the scope lasts). */
export interface OpenedHistory<E = unknown> {
  /** Oldest first. */
  readonly items: ReadonlyArray<HistoryItem<E>>
  /** Where it looked, for messages. */
  readonly where: string
  /** One line saying what an import of these items did. */
  readonly summary: (totals: ImportTotals) => string
}

/** How the plugin is registered with the agent, as `status` and `verify` show it. */
export interface RegistrationStatus {
  /** The status line's label and the JSON key (`hooks`, `plugin`). */
  readonly key: string
  /** Whether the agent will run the plugin. */
  readonly active: boolean
  /** Whether it is registered (it may be, and not run yet: Codex runs hooks only once the user trusts them). */
  readonly registered?: boolean
  /** One line for `status`. */
  readonly text: string
  /** Further lines (files that cannot be read, …). */
  readonly details: ReadonlyArray<string>
  readonly json: unknown
  /** What to do when it is not active. */
  readonly fix: string
}

export interface Registration {
  readonly inspect: Effect.Effect<RegistrationStatus>
  /** Registers the plugin; the lines to print. */
  readonly install: Effect.Effect<ReadonlyArray<string>, CliError>
  /** Undoes `install`; the lines to print. */
  readonly uninstall: Effect.Effect<ReadonlyArray<string>, CliError>
}

/** The agent's own telemetry export (Claude Code's OpenTelemetry), as `status` shows it. */
export interface TelemetryStatus {
  /** `on`: exported to the configured server; `elsewhere`: the user's own export, left alone; `off`: not exported. */
  readonly state: "on" | "elsewhere" | "off"
  /** One line for `status`. */
  readonly text: string
  readonly json: unknown
}

/** Where the server to export to is, and the key the export authenticates with. */
export interface TelemetryTarget {
  readonly serverUrl: string
  readonly apiKey: string
}

/**
 * The agent's own telemetry export pointed at the server (`login` and `setup` turn it on, `uninstall`, `logout` and
 * the `telemetry` setting turn it off). Every change is merged into the agent's settings; what the user set is never
 * overwritten, and `disable` removes exactly what `enable` added.
 */
export interface Telemetry {
  /** Points the export at `target`, or updates what `enable` added before (a new key); the lines to print. */
  readonly enable: (target: TelemetryTarget) => Effect.Effect<ReadonlyArray<string>, CliError>
  /** Removes what `enable` added; the lines to print (none when there was nothing to remove). */
  readonly disable: Effect.Effect<ReadonlyArray<string>, CliError>
  /** Whether the agent exports to `target` (the configured server, when there is one). */
  readonly inspect: (target: TelemetryTarget | undefined) => Effect.Effect<TelemetryStatus>
}

/**
 * What `login` and `setup` set in the agent's own settings besides telemetry (Claude Code: the time its SessionEnd
 * hooks get), and `uninstall` and `logout` remove; the lines to print.
 */
export interface HostSettings {
  readonly apply: Effect.Effect<ReadonlyArray<string>, CliError>
  readonly remove: Effect.Effect<ReadonlyArray<string>, CliError>
}

/** How long the agent keeps its history before deleting it, and where that is set. */
export interface Retention {
  readonly days: number
  /** The setting, for messages: `cleanupPeriodDays in ~/.claude/settings.json`. */
  readonly setting: string
}

/** An agent's session source. */
export class SessionSource extends Context.Tag("@opensync/client/kit/SessionSource")<
  SessionSource,
  {
    /** Turns one inbox item into events and follow-ups (pure). */
    readonly decode: (item: InboxItem, options: MappingOptions) => Decoded
    /** Reads one follow-up into events. */
    readonly followUp: (
      followUp: FollowUp,
      options: MappingOptions
    ) => Effect.Effect<ReadonlyArray<Event.EventEncoded>, FollowUpFailed>
    /**
     * The follow-up as a history item (an append-only file with a `key`), so the sync reads only what was appended
     * since the last read of that file; without it, `followUp` reads the file whole every time.
     */
    readonly followUpItem?: (
      followUp: FollowUp,
      options: MappingOptions
    ) => Effect.Effect<HistoryItem<never>, FollowUpFailed>
    /**
     * Finds the history `import` reads; `since` (epoch ms) leaves out what was last changed before it; `again`
     * (`import --again`) reads every item from its start, without any shortcut an earlier read left (`Kit.Memo`).
     */
    readonly history: (
      options: MappingOptions & { readonly since?: number; readonly again?: boolean }
    ) => Effect.Effect<OpenedHistory<CliError>, CliError, Scope.Scope>
    readonly registration: Registration
    /**
     * How long the agent keeps its history, for agents that delete it (undefined while its settings keep everything);
     * the kit sends what is about to go.
     */
    readonly retention?: Effect.Effect<Retention | undefined>
    /** The agent's own telemetry export, for agents that have one (see `Agent.telemetry`). */
    readonly telemetry?: Telemetry
    /** Settings of the agent's own that `login` and `setup` apply, for agents that need some. */
    readonly hostSettings?: HostSettings
  }
>() {}

/** The item with its read errors mapped (to the CLI's error, say). */
export const mapItemError = <E, E2>(item: HistoryItem<E>, f: (error: E) => E2): HistoryItem<E2> => {
  const { file, ...rest } = item
  return {
    ...rest,
    read: Effect.mapError(item.read, f),
    ...(file === undefined
      ? {}
      : { file: { ...file, readFrom: (from: ReadFrom | undefined) => Effect.mapError(file.readFrom(from), f) } })
  }
}
