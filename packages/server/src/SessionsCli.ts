import { Args, Command, Options } from "@effect/cli"
import { exportBody } from "@opensync/backend/handlers/sessions"
import { SessionStore } from "@opensync/backend/SessionStore"
import { type Api, Export, Ids, Sources } from "@opensync/domain"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Install from "./Install.js"
import * as Terminal from "./Terminal.js"

/**
 * `opensync sessions list|show|delete|export`: the stored sessions of a data dir, read and deleted the way the HTTP
 * API does (the same `SessionStore` and export rendering), for a user of the machine without the dashboard.
 */

const user = Options.text("user").pipe(Options.withDescription("Whose sessions (default: the local user)."))
/** The agents' source ids, as `--source` takes them. */
const agentIds = Sources.sources.map((source) => source.id).join(", ")
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))
const filters = {
  source: Options.text("source").pipe(
    Options.withDescription(`Only this agent: ${agentIds} (or its name: codex, gemini, …).`),
    Options.optional
  ),
  project: Options.text("project").pipe(Options.withDescription("Only this project."), Options.optional),
  q: Options.text("search").pipe(
    Options.withAlias("q"),
    Options.withDescription("Full-text search over titles and messages."),
    Options.optional
  )
}
const sessionId = Args.text({ name: "ID" }).pipe(
  Args.withDescription("A session id, as `opensync sessions list` shows.")
)

const filtersOf = (options: {
  readonly source: Option.Option<string>
  readonly project: Option.Option<string>
  readonly q: Option.Option<string>
}): Api.SessionFilters => ({
  ...Option.match(options.source, {
    onNone: () => ({}),
    onSome: (source) => ({ source: Sources.resolve(source) ?? source })
  }),
  ...Option.match(options.project, { onNone: () => ({}), onSome: (project) => ({ project }) }),
  ...Option.match(options.q, { onNone: () => ({}), onSome: (q) => ({ q }) })
})

const date = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ")
const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`

/** The commands, given the data-dir option and how to provide storage for it. */
export const sessionsCommand = <R>(
  dataDir: Options.Options<string>,
  withStore: <A, E>(dir: string, effect: Effect.Effect<A, E, SessionStore>) => Effect.Effect<A, E | Error, R>,
  localUserId: string
) => {
  const userOf = (option: Option.Option<string>) => Ids.UserId.make(Option.getOrElse(option, () => localUserId))
  /** Whose sessions, in which data dir: the options every subcommand takes. */
  const scope = { user: user.pipe(Options.optional), dataDir }
  /** Runs `body` over the store of the options' data dir, for the user they name (the local user by default). */
  const withSessions = <A, E>(
    options: { readonly dataDir: string; readonly user: Option.Option<string> },
    body: (store: Context.Tag.Service<SessionStore>, userId: Ids.UserId) => Effect.Effect<A, E>
  ) =>
    withStore(
      options.dataDir,
      Effect.flatMap(SessionStore, (store) => body(store, userOf(options.user)))
    )
  const noSession = (id: string) =>
    Effect.fail(new Error(`No session ${id}. See \`${Install.command("sessions list")}\`.`))

  const list = Command.make(
    "list",
    {
      ...filters,
      limit: Options.integer("limit").pipe(Options.withDescription("How many (1–200)."), Options.withDefault(20)),
      ...scope,
      json
    },
    (options) =>
      withSessions(options, (store, userId) =>
        Effect.gen(function* () {
          if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 200) {
            return yield* Effect.fail(new Error(`--limit takes 1 to 200 sessions (got ${options.limit}).`))
          }
          const page = yield* store.list(userId, {
            ...filtersOf(options),
            sort: "updatedAt",
            order: "desc",
            limit: options.limit
          })
          if (options.json) return yield* Terminal.print(JSON.stringify(page.sessions, null, 2))
          if (page.sessions.length === 0) {
            const unknown = Option.filter(options.source, (source) => Sources.resolve(source) === undefined)
            return yield* Terminal.print(
              Option.match(unknown, {
                onNone: () => "No sessions match.",
                onSome: (source) => `No sessions match: no agent is named "${source}" (the agents: ${agentIds}).`
              })
            )
          }
          for (const s of page.sessions) {
            yield* Terminal.print(
              `${s.id}  ${s.source.padEnd(12)}  ${date(s.updatedAt)}  ${String(s.messageCount).padStart(4)} msgs  ${usd(s.costUsd).padStart(9)}  ${s.title ?? "(untitled)"}`
            )
          }
          if (page.nextCursor !== null)
            yield* Terminal.print(`… more: raise --limit or narrow with --source, --project or --search`)
        })
      )
  ).pipe(Command.withDescription("List sessions, most recently active first."))

  const show = Command.make("show", { id: sessionId, ...scope, json }, (options) =>
    withSessions(options, (store, userId) =>
      Effect.gen(function* () {
        const detail = yield* store.get(userId, options.id)
        if (Option.isNone(detail)) return yield* noSession(options.id)
        yield* Terminal.print(Export.render(detail.value, options.json ? "json" : "markdown"))
      })
    )
  ).pipe(Command.withDescription("Print one session: its messages and tool calls (markdown, or --json)."))

  const remove = Command.make("delete", { id: sessionId, ...scope }, (options) =>
    withSessions(options, (store, userId) =>
      Effect.gen(function* () {
        const deleted = yield* store.remove(userId, options.id)
        if (Option.isNone(deleted)) return yield* noSession(options.id)
        yield* Terminal.print(
          `Deleted session ${options.id} (${deleted.value.messages} messages, ${deleted.value.toolCalls} tool calls). Its events will not be stored again.`
        )
      })
    )
  ).pipe(Command.withDescription("Delete one session; a plugin that sends it again is told it was deleted."))

  const exportAll = Command.make(
    "export",
    {
      ...filters,
      format: Options.choice("format", ["json", "jsonl", "csv", "markdown"]).pipe(Options.withDefault("jsonl")),
      ...scope
    },
    (options) =>
      withSessions(options, (store, userId) =>
        exportBody(store, userId, filtersOf(options), options.format).pipe(
          // (to a terminal, with its control characters written out; to a file or a pipe, as stored)
          Stream.runForEach((chunk) =>
            Effect.sync(() => process.stdout.write(process.stdout.isTTY ? Terminal.terminalSafe(chunk) : chunk))
          )
        )
      )
  ).pipe(Command.withDescription("Write every matching session to stdout (json, jsonl, csv or markdown)."))

  return Command.make("sessions").pipe(
    Command.withDescription("Read, export and delete the stored sessions."),
    Command.withSubcommands([list, show, remove, exportAll])
  )
}
