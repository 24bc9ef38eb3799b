import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Api } from "@opensync/domain"
import * as Effect from "effect/Effect"
import { pipe } from "effect/Function"
import * as Redacted from "effect/Redacted"

/** Where to reach an OpenSync backend and with which key. */
export interface Connection {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
}

/**
 * A typed client of the whole contract, derived from `Api.OpenSyncApi`: every route, payload and error is typed.
 * `transformClient` adds to the pipeline after the bearer token (e.g. how error answers are read).
 */
export const make = (
  connection: Connection,
  options: { readonly transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient } = {}
) =>
  HttpApiClient.make(Api.OpenSyncApi, {
    baseUrl: connection.baseUrl,
    transformClient: (client) =>
      pipe(
        client,
        HttpClient.mapRequest(HttpClientRequest.bearerToken(Redacted.value(connection.apiKey))),
        options.transformClient ?? ((self) => self)
      )
  })

/** The same client over the platform's `fetch`. */
export const makeFetch = (connection: Connection) => Effect.provide(make(connection), FetchHttpClient.layer)
