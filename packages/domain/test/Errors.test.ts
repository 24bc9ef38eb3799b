import { HttpApiSchema } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as Errors from "../src/Errors.js"

const statuses = [
  [Errors.Unauthorized, 401],
  [Errors.BadRequest, 400],
  [Errors.Forbidden, 403],
  [Errors.NotFound, 404],
  [Errors.PayloadTooLarge, 413],
  [Errors.TooManyRequests, 429],
  [Errors.InternalError, 500],
  [Errors.InsufficientStorage, 507]
] as const

describe("Errors", () => {
  it.each(statuses.map(([ErrorClass, status]) => [ErrorClass._tag, ErrorClass, status] as const))(
    "%s answers with %i; its message is its `error`",
    (tag, ErrorClass, status) => {
      expect(HttpApiSchema.getStatusError(ErrorClass)).toBe(status)
      const decode = Schema.decodeUnknownSync(ErrorClass as unknown as Schema.Schema<Error>)
      const error = decode({ _tag: tag, error: "what happened", retryAfterSeconds: 5 })
      expect(error).toBeInstanceOf(ErrorClass)
      expect(error.message).toBe("what happened")
    }
  )

  it("encodes the body with `error`, the error's own fields and `_tag`", () => {
    const error = new Errors.TooManyRequests({ error: "Too many attempts. Retry in 5 s.", retryAfterSeconds: 5 })
    expect(Schema.encodeSync(Errors.TooManyRequests)(error)).toEqual({
      error: "Too many attempts. Retry in 5 s.",
      retryAfterSeconds: 5,
      _tag: "TooManyRequests"
    })
    expect(Schema.decodeUnknownSync(Errors.InternalError)({ error: "boom", _tag: "InternalError" })).toBeInstanceOf(
      Errors.InternalError
    )
  })
})
