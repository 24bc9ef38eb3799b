import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { privateDirectory } from "../kit/PrivateDir.js"

/** A failed filesystem call; the Outbox turns it into one of its public errors. */
export class FsError extends Data.TaggedError("FsError")<{
  readonly op: string
  readonly path: string
  readonly code: string
  readonly reason: string
}> {}

const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : ""

export const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const toFsError = (op: string, target: string) => (error: unknown) =>
  new FsError({ op, path: target, code: codeOf(error), reason: describe(error) })

const attempt = <A>(op: string, target: string, run: () => Promise<A>): Effect.Effect<A, FsError> =>
  Effect.tryPromise({ try: run, catch: toFsError(op, target) })

/** Treats "the file is gone" (taken by another process) as `fallback`. */
const unlessGone = <A, B>(self: Effect.Effect<A, FsError>, fallback: B): Effect.Effect<A | B, FsError> =>
  Effect.catchIf(
    self,
    (error) => error.code === "ENOENT" || error.code === "ENOTDIR",
    () => Effect.succeed(fallback)
  )

/** Makes the outbox's folders private (`privateDirectory`), and the outbox's own folder they are in. */
export const makeDirectories = (dirs: ReadonlyArray<string>) =>
  Effect.try({
    try: () => {
      for (const dir of dirs) privateDirectory(dir)
      for (const parent of new Set(dirs.map((dir) => path.dirname(dir)))) privateDirectory(parent)
    },
    catch: toFsError("mkdir", dirs[0] ?? "")
  })

export const mkdir = (dir: string) => attempt("mkdir", dir, () => fsp.mkdir(dir, { recursive: true, mode: 0o700 }))

/** Entry names of a directory, sorted; empty when it does not exist. */
export const list = (dir: string): Effect.Effect<ReadonlyArray<string>, FsError> =>
  unlessGone(attempt("readdir", dir, () => fsp.readdir(dir)).pipe(Effect.map((names) => names.sort())), [])

/** Renames; `false` when the source is gone. */
export const move = (from: string, to: string): Effect.Effect<boolean, FsError> =>
  unlessGone(attempt("rename", from, () => fsp.rename(from, to)).pipe(Effect.as(true)), false)

export const readText = (file: string): Effect.Effect<string | undefined, FsError> =>
  unlessGone(
    attempt("read", file, () => fsp.readFile(file, "utf8")),
    undefined
  )

export const readBytes = (file: string): Effect.Effect<Buffer | undefined, FsError> =>
  unlessGone(
    attempt("read", file, () => fsp.readFile(file)),
    undefined
  )

export const remove = (file: string): Effect.Effect<void, FsError> =>
  unlessGone(
    attempt("unlink", file, () => fsp.unlink(file)),
    undefined
  )

/** Removes a directory only when it is empty: a file renamed into it meanwhile is never deleted. */
export const removeEmptyDirectory = (dir: string): Effect.Effect<void, FsError> =>
  attempt("rmdir", dir, () => fsp.rmdir(dir)).pipe(
    Effect.catchIf(
      (error) => error.code === "ENOENT" || error.code === "ENOTEMPTY" || error.code === "EEXIST",
      () => Effect.void
    )
  )

/** Last modification time in ms, or undefined when gone. */
export const modifiedAt = (target: string): Effect.Effect<{ at: number; directory: boolean } | undefined, FsError> =>
  unlessGone(
    attempt("stat", target, () => fsp.stat(target)).pipe(
      Effect.map((info) => ({ at: info.mtimeMs, directory: info.isDirectory() }))
    ),
    undefined
  )

/** Sets the modification time (a claim's heartbeat); nothing when the target is gone. */
export const touch = (target: string, at: number): Effect.Effect<void, FsError> =>
  unlessGone(
    attempt("utimes", target, () => fsp.utimes(target, at / 1000, at / 1000)),
    undefined
  )

const fsyncDirectory = (dir: string) => {
  const fd = fs.openSync(dir, "r")
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

const writeSync = (file: string, data: string, durable: boolean) => {
  const fd = fs.openSync(file, "wx", 0o600)
  try {
    fs.writeFileSync(fd, data)
    if (durable) fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Writes `data` under `tmp`, then renames it to `target`: readers see the whole file or nothing. Synchronous: the
 * fastest way to do two syscalls (see docs/outbox.md). Recreates missing directories once.
 */
export const writeAtomicSync = (tmp: string, target: string, data: string, durable: boolean): void => {
  try {
    writeSync(tmp, data, durable)
  } catch (error) {
    if (codeOf(error) !== "ENOENT") throw error
    fs.mkdirSync(path.dirname(tmp), { recursive: true, mode: 0o700 })
    writeSync(tmp, data, durable)
  }
  try {
    fs.renameSync(tmp, target)
  } catch (error) {
    if (codeOf(error) !== "ENOENT" || !fs.existsSync(tmp)) {
      fs.rmSync(tmp, { force: true })
      throw error
    }
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 })
    fs.renameSync(tmp, target)
  }
  if (durable) fsyncDirectory(path.dirname(target))
}

export const writeAtomic = (tmp: string, target: string, data: string) =>
  Effect.try({ try: () => writeAtomicSync(tmp, target, data, false), catch: toFsError("write", target) })
