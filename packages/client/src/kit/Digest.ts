/**
 * Digests for the CLIs' entry points (`QuickImport`, `Checkpoints`, `CodeCache`), which run before the CLI bundle and
 * count every millisecond of start-up: `node:crypto` is loaded on first use only (an unchanged `import`, answered by
 * the entry point, never needs it), and the quick import's settings check uses a non-cryptographic fingerprint.
 * No Effect: the entry points use these.
 */
import type * as Crypto from "node:crypto"
import { createRequire } from "node:module"

let crypto: typeof Crypto | undefined

/** `node:crypto`, loaded on first use (a built-in module resolves the same from any base path). */
const loadCrypto = (): typeof Crypto => {
  crypto ??= createRequire(process.execPath)("node:crypto") as typeof Crypto
  return crypto
}

/** A SHA-256 hash to feed, as `createHash("sha256")` gives it. */
export const sha256 = (): Crypto.Hash => loadCrypto().createHash("sha256")

/**
 * A 64-bit fingerprint of a text (two 32-bit FNV-1a lanes from different offsets, mixed at the end), as 16 hex digits:
 * to notice that a text changed, not to resist anyone choosing texts that collide. The quick import compares its
 * settings' sources with it; a change it missed would need two of one user's settings to collide by chance.
 */
export const fingerprint = (text: string): string => {
  let a = 0x811c9dc5
  let b = 0x2f5a1e3b
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    a = Math.imul(a ^ code, 0x01000193)
    b = Math.imul(b ^ code, 0x01000193) ^ (b >>> 15)
  }
  const x = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
  const y = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x >>> 0).toString(16).padStart(8, "0") + (y >>> 0).toString(16).padStart(8, "0")
}
