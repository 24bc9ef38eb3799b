import { existsSync } from "node:fs"
import { homedir } from "node:os"
import { join, resolve } from "node:path"
import { Args, Command, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import type { SessionStore } from "@opensync/backend/SessionStore"
import { SignIns } from "@opensync/backend/SignIns"
import * as PlainOutput from "@opensync/client/PlainOutput"
import { ApiKey, Ids, Sources } from "@opensync/domain"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Install from "./Install.js"
import { pricesCommand } from "./PricesCli.js"
import * as Server from "./Server.js"
import { sessionsCommand } from "./SessionsCli.js"
import { databaseFile, maxBytesFromEnv, StartupWarnings } from "./sqlite/Database.js"
import { LocalKeys, localUserId } from "./sqlite/Keys.js"
import * as Terminal from "./Terminal.js"
import { version } from "./version.js"

/** `$XDG_DATA_HOME/opensync`, else `~/.local/share/opensync`. */
export const defaultDataDir = () => join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "opensync")

const dataDir = Options.directory("data-dir").pipe(
  Options.withDescription("Where the SQLite database lives (env OPENSYNC_DATA_DIR; default ~/.local/share/opensync)."),
  Options.withFallbackConfig(Config.string("OPENSYNC_DATA_DIR")),
  Options.withDefault(defaultDataDir())
)
const host = Options.text("host").pipe(
  Options.withDescription("Interface to listen on (env OPENSYNC_HOST). Keep 127.0.0.1 unless you front it with TLS."),
  Options.withFallbackConfig(Config.string("OPENSYNC_HOST")),
  Options.withDefault("127.0.0.1")
)
const port = Options.integer("port").pipe(
  Options.withDescription("Port to listen on, 0 for any free port (env OPENSYNC_PORT)."),
  Options.withFallbackConfig(Config.integer("OPENSYNC_PORT")),
  Options.withDefault(4870)
)
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))
const maxDbMb = Options.integer("max-db-mb").pipe(
  Options.withDescription(
    "Cap the database at this many MiB (env OPENSYNC_MAX_DB_MB); past it, writes answer 507 as on a full disk. " +
      "The search file beside it (search.db) has the same cap."
  ),
  Options.optional
)
const walMb = Options.integer("wal-mb").pipe(
  Options.withDescription(
    "How long the write-ahead log (opensync.db-wal) may grow, in MiB, before the server starts it over (env " +
      "OPENSYNC_WAL_MB, default 128). Lower keeps less on disk during a long backfill at some cost in speed."
  ),
  Options.withFallbackConfig(Config.integer("OPENSYNC_WAL_MB")),
  Options.optional
)

/** ` --data-dir <dir>` when the server's data is not where the CLI looks by default. */
const dataDirFlag = (dataDir: string): string =>
  resolve(dataDir) === resolve(process.env.OPENSYNC_DATA_DIR || defaultDataDir())
    ? ""
    : ` --data-dir ${/^[\w./-]+$/.test(dataDir) ? dataDir : JSON.stringify(dataDir)}`

const firstRun = (url: string, dataDir: string) =>
  Effect.gen(function* () {
    const keys = yield* LocalKeys
    if ((yield* keys.userCount) > 0) return
    yield* keys.ensureUser(localUserId, "Local user")
    const created = yield* keys.create(localUserId, "default", "full")
    yield* Terminal.print(
      [
        "",
        "First start: created the local user and an API key with the full scope. It is shown only this once:",
        "",
        `    ${created.key}`,
        "",
        "Open the dashboard (this link signs you in; the key after # never leaves your browser):",
        `    ${url}/#key=${created.key}`,
        "",
        "Point the plugins at this server with a key of their own (ingest scope: it can sync, not read):",
        `    ${Install.command(`keys create --name laptop${dataDirFlag(dataDir)}`)}`,
        ...Sources.sources.map((source) => {
          const login = `${Install.pluginCommand(source)} login`
          return `    ${login.padEnd(27)}${login.length >= 27 ? " " : ""}(URL ${url}, that key)`
        }),
        ""
      ].join("\n")
    )
  })

/** Starts the server and keeps it running until interrupted. */
const launch = (options: {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly maxDbMb: Option.Option<number>
  readonly walMb: Option.Option<number>
}) =>
  Layer.launch(
    Layer.effectDiscard(
      Effect.gen(function* () {
        const url = yield* Server.serverUrl
        for (const warning of yield* StartupWarnings) yield* Console.error(`warning: ${warning}`)
        yield* firstRun(url, options.dataDir)
        yield* Terminal.print(`OpenSync ${version} listening on ${url} (data: ${options.dataDir})`)
      })
    ).pipe(
      Layer.provideMerge(
        Server.layer({
          host: options.host,
          port: options.port,
          dataDir: options.dataDir,
          maxDbBytes: Option.match(options.maxDbMb, {
            onNone: () => maxBytesFromEnv(process.env.OPENSYNC_MAX_DB_MB),
            onSome: (mb) => mb * 1024 * 1024
          }),
          walPages: Option.getOrUndefined(Option.map(options.walMb, (mb) => Math.max(1, mb) * 256))
        })
      )
    )
  ).pipe(
    Effect.catchTag("ServeError", (e) =>
      Effect.fail(
        new Error(
          `Cannot listen on ${options.host}:${options.port}: ${String(e.cause)}. Is another server running? Pick another --port.`
        )
      )
    )
  )

/** A port out of range, refused in this CLI's words (Node's own message names an option the user never gave). */
const checkPort = (port: number) =>
  port < 0 || port > 65535
    ? Effect.fail(new Error(`--port takes 0 (any free port) to 65535 (got ${port}).`))
    : Effect.void

const serve = Command.make("serve", { host, port, dataDir, maxDbMb, walMb }, (options) =>
  Effect.zipRight(checkPort(options.port), launch(options))
).pipe(Command.withDescription("Start the local OpenSync server (HTTP API on a SQLite file)."))

const withKeys = <A, E>(dir: string, effect: Effect.Effect<A, E, LocalKeys | SignIns | SessionStore>) =>
  Effect.provide(effect, Server.storageLayer(dir).pipe(Layer.provide(NodeContext.layer)))

/**
 * For the commands that read or change what a store holds: a data dir without a store is a mistake (a typo, another
 * machine's path), said as such, where opening it made an empty store there and answered "No sessions match.".
 */
const withStore = <A, E>(dir: string, effect: Effect.Effect<A, E, LocalKeys | SignIns | SessionStore>) =>
  existsSync(databaseFile(dir))
    ? withKeys(dir, effect)
    : Effect.fail(
        new Error(
          `No OpenSync store in ${dir} (it has no opensync.db). Check --data-dir (the server prints its own at start), ` +
            `or start a server there first: \`${Install.command(`serve --data-dir ${dir}`)}\`.`
        )
      )

const keysCreate = Command.make(
  "create",
  {
    name: Options.text("name").pipe(Options.withDescription("A label to tell keys apart, e.g. the machine.")),
    scope: Options.choice("scope", ["ingest", "full"]).pipe(
      Options.withDescription(
        "ingest (default): what the plugins need, sync only. full: also read, export, delete, manage keys, sign in."
      ),
      Options.withDefault(ApiKey.defaultScope)
    ),
    user: Options.text("user").pipe(
      Options.withDescription("The user the key belongs to."),
      Options.withDefault(localUserId)
    ),
    dataDir,
    json
  },
  ({ dataDir, json, name, scope, user }) =>
    withKeys(
      dataDir,
      Effect.gen(function* () {
        const keys = yield* LocalKeys
        const created = yield* keys.create(user, name, scope)
        if (json) return yield* Terminal.print(JSON.stringify(created, null, 2))
        yield* Terminal.print(
          `Created key ${created.id} "${name}" (${scope} scope) for user ${user} in ${dataDir} (a server on another ` +
            `--data-dir does not know it). It is shown only this once:\n\n    ${created.key}\n`
        )
      })
    )
).pipe(Command.withDescription("Create an API key and print it once."))

const keysList = Command.make(
  "list",
  { user: Options.text("user").pipe(Options.optional), dataDir, json },
  ({ dataDir, json, user }) =>
    withStore(
      dataDir,
      Effect.gen(function* () {
        const keys = yield* LocalKeys
        const list = yield* keys.list(Option.getOrUndefined(user))
        if (json) return yield* Terminal.print(JSON.stringify(list, null, 2))
        if (list.length === 0)
          return yield* Terminal.print(
            `No API keys. Create one with \`${Install.command("keys create --name NAME")}\`.`
          )
        for (const key of list) {
          yield* Terminal.print(
            `${key.id}  ${key.prefix}…  ${key.name.padEnd(16)}  ${key.scope.padEnd(6)}  user ${key.userId}  created ${date(key.createdAt)}  last used ${date(key.lastUsedAt)}${key.revokedAt === null ? "" : `  REVOKED ${date(key.revokedAt)}`}`
          )
        }
      })
    )
).pipe(Command.withDescription("List API keys (never their secrets)."))

const keysRevoke = Command.make(
  "revoke",
  { id: Args.text({ name: "ID" }).pipe(Args.withDescription("The key id shown by `opensync keys list`.")), dataDir },
  ({ dataDir, id }) =>
    withStore(
      dataDir,
      Effect.gen(function* () {
        const keys = yield* LocalKeys
        const asked = Date.now()
        const revoked = yield* keys.revoke(id)
        if (Option.isNone(revoked)) {
          return yield* Effect.fail(new Error(`No API key with id ${id}. See \`${Install.command("keys list")}\`.`))
        }
        const at = revoked.value.revokedAt
        if (at !== null && at < asked) {
          return yield* Terminal.print(
            `${id} ("${revoked.value.name}") was already revoked (${new Date(at).toISOString()}); nothing changed.`
          )
        }
        yield* Terminal.print(
          `Revoked ${id} ("${revoked.value.name}"). Clients using it, and dashboard sign-ins made with it, now get 401.`
        )
      })
    )
).pipe(Command.withDescription("Revoke an API key; it stops working at once."))

const keys = Command.make("keys").pipe(
  Command.withDescription("Manage API keys."),
  Command.withSubcommands([keysCreate, keysList, keysRevoke])
)

const date = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString().slice(0, 16).replace("T", " "))

const userOption = Options.text("user").pipe(
  Options.withDescription("The user whose sign-ins to show."),
  Options.withDefault(localUserId)
)

const signInsList = Command.make("list", { user: userOption, dataDir, json }, ({ dataDir, json, user }) =>
  withStore(
    dataDir,
    Effect.gen(function* () {
      const signIns = yield* SignIns
      const list = yield* signIns.list(Ids.UserId.make(user), Date.now())
      if (json) return yield* Terminal.print(JSON.stringify(list, null, 2))
      if (list.length === 0) return yield* Terminal.print(`No active dashboard sign-ins for user ${user}.`)
      for (const s of list) {
        yield* Terminal.print(
          `${s.id}  ${s.browser.padEnd(24)}  key ${s.keyName ?? s.keyId}  created ${date(s.createdAt)}  last seen ${date(s.lastSeenAt)}  expires ${date(s.expiresAt)}`
        )
      }
    })
  )
).pipe(Command.withDescription("List the active dashboard sign-ins (browser, key, created, last seen)."))

const signInsRevoke = Command.make(
  "revoke",
  {
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("The sign-in id shown by `opensync sign-ins list`.")),
    user: userOption,
    dataDir
  },
  ({ dataDir, id, user }) =>
    withStore(
      dataDir,
      Effect.gen(function* () {
        const signIns = yield* SignIns
        const now = Date.now()
        const revoked = yield* signIns.revoke(Ids.UserId.make(user), id, now)
        if (Option.isNone(revoked)) {
          return yield* Effect.fail(new Error(`No sign-in with id ${id}. See \`${Install.command("sign-ins list")}\`.`))
        }
        const { browser, revokedAt, expiresAt } = revoked.value
        const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`
        // One that had ended already (revoked before, or expired) is said as such: nothing changed
        const ended =
          revokedAt !== null && revokedAt !== now
            ? `was ended at ${utc(revokedAt)}`
            : expiresAt <= now
              ? `had expired at ${utc(expiresAt)}`
              : undefined
        yield* Terminal.print(
          ended === undefined
            ? `Ended sign-in ${id} (${browser}). That browser is signed out at once.`
            : `Sign-in ${id} (${browser}) ${ended}; nothing changed.`
        )
      })
    )
).pipe(Command.withDescription("End a dashboard sign-in at once."))

const signIns = Command.make("sign-ins").pipe(
  Command.withDescription("Manage dashboard sign-ins."),
  Command.withSubcommands([signInsList, signInsRevoke])
)

const root = Command.make("opensync").pipe(
  Command.withDescription("OpenSync: a local server for your AI coding-agent sessions."),
  Command.withSubcommands([
    serve,
    keys,
    sessionsCommand(dataDir, withStore, localUserId),
    signIns,
    pricesCommand(dataDir)
  ])
)

const runCommand = Command.run(root, { name: "opensync", version })

/** Runs the CLI on `argv` (help and errors without colours when piped: `PlainOutput`). */
export const run = (argv: ReadonlyArray<string>) => PlainOutput.plainWhenPiped(runCommand(argv))
