import * as Schema from "effect/Schema"

/** The plugins' settings file (`~/.config/<tool>/config.json`). `convexUrl` may be any OpenSync server URL. */
export const ClientConfig = Schema.Struct({
  convexUrl: Schema.optional(Schema.String),
  apiKey: Schema.optional(Schema.String),
  autoSync: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  syncToolCalls: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  syncThinking: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** Point the agent's own telemetry export (Claude Code's OpenTelemetry) at the server, for agents that have one. */
  telemetry: Schema.optionalWith(Schema.Boolean, { default: () => true })
}).annotations({ identifier: "ClientConfig" })
export type ClientConfig = typeof ClientConfig.Type

/** A server URL as messages show it: quoted, with any user name and password in it masked. */
export const describeServerUrl = (raw: string): string => JSON.stringify(raw.trim().replace(/\/\/[^/?#@]*@/, "//***@"))

/** What is wrong with a URL `normalizeServerUrl` refuses, as every message about it says it (no password shown). */
export const notAServerUrl = (raw: string): string =>
  `${describeServerUrl(raw)} is not an http(s) URL without a user name or password`

/**
 * The base URL requests go to: trimmed, without trailing slashes, and with a Convex `.convex.cloud` deployment URL
 * turned into its HTTP-actions origin `.convex.site`. Returns undefined for anything that is not an http(s) URL, and for
 * one that carries a user name or password.
 */
export const normalizeServerUrl = (raw: string): string | undefined => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return undefined
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined
  // (a user name and password in it would be sent to every address the URL names, and end up in messages and logs)
  if (url.username !== "" || url.password !== "") return undefined
  if (url.hostname.endsWith(".convex.cloud"))
    url.hostname = `${url.hostname.slice(0, -".convex.cloud".length)}.convex.site`
  url.search = ""
  url.hash = ""
  return url.toString().replace(/\/+$/, "")
}
