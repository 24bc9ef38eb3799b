import { HttpApiSchema } from "@effect/platform"
import * as Schema from "effect/Schema"

/** Every error body has an `error` string (what the existing OpenSync plugins read) and a `_tag`. */

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {
  override get message() {
    return this.error
  }
}

export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {
  override get message() {
    return this.error
  }
}

/** The caller is known but the request is refused (e.g. a cookie-authenticated write without the CSRF header). */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 403 })
) {
  override get message() {
    return this.error
  }
}

export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  override get message() {
    return this.error
  }
}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 413 })
) {
  override get message() {
    return this.error
  }
}

/** A server fault. The body never carries internals; details go to the server log. */
export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  { error: Schema.String },
  HttpApiSchema.annotations({ status: 500 })
) {
  override get message() {
    return this.error
  }
}
