/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as apiKeys from "../apiKeys.js";
import type * as crons from "../crons.js";
import type * as data from "../data.js";
import type * as exports from "../exports.js";
import type * as http from "../http.js";
import type * as lib_backend from "../lib/backend.js";
import type * as lib_deletion from "../lib/deletion.js";
import type * as lib_docs from "../lib/docs.js";
import type * as lib_events from "../lib/events.js";
import type * as lib_ingest from "../lib/ingest.js";
import type * as lib_list from "../lib/list.js";
import type * as lib_migration from "../lib/migration.js";
import type * as lib_rollups from "../lib/rollups.js";
import type * as lib_search from "../lib/search.js";
import type * as lib_size from "../lib/size.js";
import type * as lib_tuning from "../lib/tuning.js";
import type * as lib_usage from "../lib/usage.js";
import type * as lib_validators from "../lib/validators.js";
import type * as lib_version from "../lib/version.js";
import type * as maintenance from "../maintenance.js";
import type * as migrations from "../migrations.js";
import type * as rollups from "../rollups.js";
import type * as sessions from "../sessions.js";
import type * as signIns from "../signIns.js";
import type * as stats from "../stats.js";
import type * as sync from "../sync.js";
import type * as usage from "../usage.js";
import type * as users from "../users.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  apiKeys: typeof apiKeys;
  crons: typeof crons;
  data: typeof data;
  exports: typeof exports;
  http: typeof http;
  "lib/backend": typeof lib_backend;
  "lib/deletion": typeof lib_deletion;
  "lib/docs": typeof lib_docs;
  "lib/events": typeof lib_events;
  "lib/ingest": typeof lib_ingest;
  "lib/list": typeof lib_list;
  "lib/migration": typeof lib_migration;
  "lib/rollups": typeof lib_rollups;
  "lib/search": typeof lib_search;
  "lib/size": typeof lib_size;
  "lib/tuning": typeof lib_tuning;
  "lib/usage": typeof lib_usage;
  "lib/validators": typeof lib_validators;
  "lib/version": typeof lib_version;
  maintenance: typeof maintenance;
  migrations: typeof migrations;
  rollups: typeof rollups;
  sessions: typeof sessions;
  signIns: typeof signIns;
  stats: typeof stats;
  sync: typeof sync;
  usage: typeof usage;
  users: typeof users;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
