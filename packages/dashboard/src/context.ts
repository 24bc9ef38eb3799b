import { createContext, useContext } from "react"
import type { ApiClient, Connection } from "./api.js"
import type { Auth } from "./auth.js"

export interface AppContext {
  readonly auth: Auth
  readonly client: ApiClient
  /** A prefix that keeps cached answers of different servers apart. */
  readonly scope: string
  readonly connection: Connection
  readonly signOut: () => void
}

export const Context = createContext<AppContext | null>(null)

/** The signed-in user's connection and typed client. */
export const useApp = (): AppContext => {
  const value = useContext(Context)
  if (value === null) throw new Error("useApp outside the signed-in app")
  return value
}
