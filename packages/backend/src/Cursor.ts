import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"

/**
 * The opaque cursor of session lists and exports on both backends: the last row's sort value and id, as base64url
 * JSON. A client passes back `nextCursor` unchanged; anything else is refused as an invalid cursor.
 */
export type Position = readonly [number, string]

export const encode = (position: Position): string => Encoding.encodeBase64Url(JSON.stringify(position))

/** The position of a cursor, or undefined when it is not one a backend issued. */
export const decode = (cursor: string): Position | undefined => {
  const text = Encoding.decodeBase64UrlString(cursor)
  if (Either.isLeft(text)) return undefined
  try {
    const value: unknown = JSON.parse(text.right)
    return Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "number" &&
      Number.isFinite(value[0]) &&
      typeof value[1] === "string"
      ? [value[0], value[1]]
      : undefined
  } catch {
    return undefined
  }
}
