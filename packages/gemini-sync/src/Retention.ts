import type { Kit } from "@opensync/client"
import { Lenient } from "@opensync/client"
import * as HookSettings from "@opensync/client/kit/HookSettings"
import * as JsoncFile from "@opensync/client/kit/JsoncFile"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

/*
 * Gemini CLI deletes chats older than `general.sessionRetention.maxAge` (default "30d", cleanup on by default) when it
 * starts; the kit sends the sessions that are about to go and are not on the server.
 */

/** The default of `general.sessionRetention.maxAge`. */
export const DEFAULT_MAX_AGE = "30d"

/** `"30d"`, `"4w"`, `"48h"`, `"1m"` in days; undefined for anything else. */
export const days = (maxAge: string): number | undefined => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([hdwm])\s*$/i.exec(maxAge)
  if (match === null) return undefined
  const value = Number(match[1])
  const unit = match[2]!.toLowerCase()
  return unit === "h" ? value / 24 : unit === "d" ? value : unit === "w" ? value * 7 : value * 30
}

/** What the settings file at `path` says (a setting it cannot read: the default). Undefined when cleanup is off. */
export const retention = (path: string): Effect.Effect<Kit.SessionSource.Retention | undefined> =>
  Effect.map(
    Effect.either(Effect.flatMap(HookSettings.readText(path), (text) => JsoncFile.parse(text ?? "", path))),
    (read) => {
      const settings = Either.isRight(read) ? read.right : {}
      const config = Lenient.record(Lenient.record(settings.general).sessionRetention)
      if (config.enabled === false) return undefined
      const maxAge = Lenient.field(config, "maxAge") ?? DEFAULT_MAX_AGE
      return {
        days: days(maxAge) ?? (days(DEFAULT_MAX_AGE) as number),
        setting: `general.sessionRetention.maxAge in ${path}`
      }
    }
  )
