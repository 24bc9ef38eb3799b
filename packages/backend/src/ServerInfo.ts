import * as Context from "effect/Context"

/** What the handlers say about the backend they run in: its version and the commands its users have. */
export class ServerInfo extends Context.Tag("@opensync/backend/ServerInfo")<
  ServerInfo,
  {
    readonly version: string
    /** How a user of this backend creates a key, as they would type it: "`opensync keys create --name NAME`". */
    readonly createKey: string
    /** The same for a key with the full scope. */
    readonly createFullKey: string
    /** The words that run this server's CLI where it is installed (`opensync`, `npm run opensync --`), if it has one. */
    readonly cli?: string | undefined
  }
>() {}
