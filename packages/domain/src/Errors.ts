import { HttpApiSchema } from "@effect/platform"
import * as Schema from "effect/Schema"

/**
 * Every error body has an `error` string (what the existing OpenSync plugins read) and a `_tag`. The HTTP status of
 * each error is its `HttpApiSchema` annotation: both backends answer with the same handlers, so the status is read
 * from here and nowhere else.
 */

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

/** The caller is known but the request is refused: its key's scope does not allow it, or a rule forbids it. */
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

/** Too many failed sign-in or authentication attempts from one client; retry after `retryAfterSeconds`. */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()(
  "TooManyRequests",
  { error: Schema.String, retryAfterSeconds: Schema.Number },
  HttpApiSchema.annotations({ status: 429 })
) {
  override get message() {
    return this.error
  }
}

/** A server fault. The body never carries internals; the server log has the details under `requestId`. */
export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  { error: Schema.String, requestId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 500 })
) {
  override get message() {
    return this.error
  }
}

/** The server's disk (or its storage quota) is full: nothing was written; reads still work. */
export class InsufficientStorage extends Schema.TaggedError<InsufficientStorage>()(
  "InsufficientStorage",
  { error: Schema.String, requestId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 507 })
) {
  override get message() {
    return this.error
  }
}
