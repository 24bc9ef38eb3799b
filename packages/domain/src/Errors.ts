import { HttpApiSchema } from "@effect/platform"
import * as Schema from "effect/Schema"

/**
 * Every error body has an `error` string (what the existing OpenSync plugins read) and a `_tag`. The HTTP status of
 * each error is its `HttpApiSchema` annotation: both backends answer with the same handlers, so the status is read
 * from here and nowhere else.
 */

/**
 * The base class of an error the API answers with `status`: its body is `error` and `fields`, its message the `error`
 * (set on the prototype the way `Schema.TaggedError` sets its default message).
 */
const HttpError =
  <Self>() =>
  <Tag extends string, Fields extends Schema.Struct.Fields>(tag: Tag, status: number, fields: Fields) => {
    const Base = Schema.TaggedError<Self>()(
      tag,
      { error: Schema.String, ...fields },
      HttpApiSchema.annotations({ status })
    )
    Object.defineProperty((Base as unknown as { readonly prototype: object }).prototype, "message", {
      get(this: { readonly error: string }) {
        return this.error
      },
      enumerable: false,
      configurable: true
    })
    return Base
  }

export class Unauthorized extends HttpError<Unauthorized>()("Unauthorized", 401, {}) {}

export class BadRequest extends HttpError<BadRequest>()("BadRequest", 400, {}) {}

/** The caller is known but the request is refused: its key's scope does not allow it, or a rule forbids it. */
export class Forbidden extends HttpError<Forbidden>()("Forbidden", 403, {}) {}

export class NotFound extends HttpError<NotFound>()("NotFound", 404, {}) {}

export class PayloadTooLarge extends HttpError<PayloadTooLarge>()("PayloadTooLarge", 413, {}) {}

/** Too many failed sign-in or authentication attempts from one client; retry after `retryAfterSeconds`. */
export class TooManyRequests extends HttpError<TooManyRequests>()("TooManyRequests", 429, {
  retryAfterSeconds: Schema.Number
}) {}

/** A server fault. The body never carries internals; the server log has the details under `requestId`. */
export class InternalError extends HttpError<InternalError>()("InternalError", 500, {
  requestId: Schema.optional(Schema.String)
}) {}

/** The server's disk (or its storage quota) is full: nothing was written; reads still work. */
export class InsufficientStorage extends HttpError<InsufficientStorage>()("InsufficientStorage", 507, {
  requestId: Schema.optional(Schema.String)
}) {}
