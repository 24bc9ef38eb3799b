/**
 * Private keys and encoded credentials: PEM blocks (also cut short or JSON-escaped), PuTTY key files, base64-encoded
 * PEM keys, JWTs (except public ones), Grafana keys and base64 JSON that holds credentials.
 */
import { lineEnd, type Scan, type Scanner, stickyAt } from "./engine.js"
import { decodeBase64, isDocumentationExample } from "./values.js"

// ---------------------------------------------------------------------------------------------------------------------
// Private keys
// ---------------------------------------------------------------------------------------------------------------------

const PEM_HEAD = /-{4,5} ?BEGIN ((?:[A-Z0-9]{1,20} ){0,4})PRIVATE KEY(?: BLOCK)? ?-{4,5}/y
const PEM_END = /-{4,5} ?END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)? ?-{4,5}/g
/**
 * The end of one string literal and the start of the next where a key is written a line per literal (a notebook's
 * `"…\n",` + `"…"`, Python's `"…\n"` + `"…"`, JS's `"…\n" +` + `"…"`), its quotes escaped in JSON text: a
 * closing quote, `,` or `+`, a line break (or its escape) and indentation, an opening quote.
 */
export const PEM_LITERAL_GAP =
  '\\\\{0,7}"[ \\t]{0,4}[,+]?[ \\t]{0,4}(?:(?:\\r?\\n|\\\\{1,7}[rn])[ \\t]{0,40}[,+]?[ \\t]{0,4})?\\\\{0,7}"'
/**
 * What a literal after such a gap holds when it is a line of a key: 16+ characters of base64, or a shorter line (the
 * last one, a blank one, a header) ending with an escaped line break.
 */
export const PEM_LITERAL_LINE =
  '(?:[A-Za-z0-9+/=]{16}|(?:[A-Za-z0-9+/=]{1,15}|[A-Za-z-]{2,20}:[ \\t][^"\\\\\\n]{1,200})?(?:\\\\{1,7}[rn])+\\\\{0,7}")'
/**
 * The base64 body (and headers) of a key whose END line is missing, also with JSON-escaped line breaks and across the
 * string literals of its lines.
 */
const PEM_BODY = new RegExp(
  `(?:(?:\\s|\\\\{1,7}[rn]|${PEM_LITERAL_GAP}(?=${PEM_LITERAL_LINE})){0,8}(?!-)[A-Za-z0-9+/=:,._-]{1,200}){0,600}`,
  "y"
)
const PEM_WINDOW = 65_536

/** The first private-key END line at or after `from`, memoised per scan so that many BEGIN lines stay linear. */
const nextPemEnd = (scan: Scan, from: number): { readonly start: number; readonly end: number } | null => {
  const memo = scan.pemEnd
  if (memo !== undefined && memo.from <= from && (memo.found === null || from <= memo.found.start)) return memo.found
  PEM_END.lastIndex = from
  const m = PEM_END.exec(scan.text)
  const found = m === null ? null : { start: m.index, end: m.index + m[0].length }
  scan.pemEnd = { from, found }
  return found
}

/** `-----BEGIN … PRIVATE KEY-----` through the matching END line (or the body, when the paste was cut). */
export const pemScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at < scan.pemCoveredUntil) return
  const head = stickyAt(PEM_HEAD, text, at)
  if (head === null) return
  const bodyStart = at + head[0].length
  const end = nextPemEnd(scan, bodyStart)
  let endAt = end !== null && end.start - bodyStart <= PEM_WINDOW ? end.end : -1
  if (endAt === -1) {
    const body = stickyAt(PEM_BODY, text, bodyStart)
    endAt = bodyStart + (body?.[0].length ?? 0)
    while (endAt > bodyStart && /[\s\\]/.test(text[endAt - 1])) endAt--
    if (endAt - bodyStart < 40) return
  }
  scan.pemCoveredUntil = endAt
  scan.add("private-key", at, endAt)
}

/** PuTTY private key files: the `Private-Lines` block through `Private-MAC`. */
export const puttyScanner: Scanner = (scan, at) => {
  const text = scan.text
  const lines = scan.nextIndexOf("Private-Lines:", at)
  if (lines === -1 || lines - at > 8000) return
  const mac = scan.nextIndexOf("Private-MAC:", lines)
  const end = mac !== -1 && mac - lines < 16_000 ? lineEnd(text, mac) : Math.min(text.length, lines + 4000)
  scan.add("private-key", lines, end)
}

const OPENVPN_BEGIN = "-----BEGIN OpenVPN Static "
/** An OpenVPN static key (`tls-auth`, `tls-crypt`, `secret`): 16 lines of 32 hex digits (or other lengths), also JSON-escaped or cut. */
const OPENVPN_KEY =
  /-----BEGIN OpenVPN Static key V1-----(?:(?:\s|\\[rn]){1,8}[0-9a-f]{16,128}){4,64}(?:(?:\s|\\[rn]){1,8}-----END OpenVPN Static key V1-----)?/y

/** `-----BEGIN OpenVPN Static key V1-----` and its lines of hex (through the END line when there is one). */
export const openVpnKeyScanner: Scanner = (scan, at) => {
  const start = at - OPENVPN_BEGIN.length
  if (start < 0 || !scan.text.startsWith(OPENVPN_BEGIN, start)) return
  const m = stickyAt(OPENVPN_KEY, scan.text, start)
  if (m !== null) scan.add("private-key", start, start + m[0].length)
}

const B64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/]{10,60000}={0,2}/y

/** A base64-encoded PEM private key (`tls.key: LS0tLS1CRUdJTi…` in a Kubernetes Secret). */
export const base64PemScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9+/]/.test(text[at - 1])) return
  const m = stickyAt(B64_PEM, text, at)
  if (m === null || !/PRIVATE KEY/.test(decodeBase64(m[0], 120))) return
  scan.add("private-key", at, at + m[0].length)
}

// ---------------------------------------------------------------------------------------------------------------------
// JWTs and base64 JSON ("eyJ…")
// ---------------------------------------------------------------------------------------------------------------------

const JWT =
  /eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{8,8192}(?:\.[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,8192})?(?![A-Za-z0-9_-])/y
const B64_JSON = /eyJ[A-Za-z0-9+/_-]{20,60000}={0,2}/y
/** Flask's signed session cookie (itsdangerous): `eyJ…` (JSON), `.` a 6-character timestamp, `.` a 27+ character HMAC. */
const FLASK_SESSION = /eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{5,8}\.[A-Za-z0-9_-]{20,90}(?![A-Za-z0-9_.-])/y
const GRAFANA = /eyJrIjoi[A-Za-z0-9]{70,400}={0,3}/y
const CREDENTIAL_JSON_KEY =
  /"(?:auths?|password|passwd|secret|token|access_token|refresh_token|api_?key|private_key|client_secret|credentials?)"\s*:/i

/** JWTs (except the Supabase anon key and the jwt.io example), Grafana keys and base64 JSON holding credentials. */
export const eyjScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_+/-]/.test(text[at - 1])) return
  const jwt = stickyAt(JWT, text, at)
  if (jwt !== null) {
    const token = jwt[0]
    const dot = token.indexOf(".")
    const payload = decodeBase64(token.slice(dot + 1, token.indexOf(".", dot + 1)), 2048)
    if (/"role"\s*:\s*"anon"/.test(payload) || isDocumentationExample(token)) return
    scan.add("jwt", at, at + token.length)
    return
  }
  // A Flask (itsdangerous) session cookie: base64 JSON, a timestamp of 4 bytes, an HMAC
  const flask = stickyAt(FLASK_SESSION, text, at)
  if (flask !== null) {
    scan.add("session-cookie", at, at + flask[0].length)
    return
  }
  const grafana = stickyAt(GRAFANA, text, at)
  if (grafana !== null) {
    scan.add("grafana-token", at, at + grafana[0].length)
    return
  }
  const blob = stickyAt(B64_JSON, text, at)
  if (blob !== null && blob[0].length >= 40 && CREDENTIAL_JSON_KEY.test(decodeBase64(blob[0], 4096))) {
    scan.add("encoded-credentials", at, at + blob[0].length)
  }
}

/** A JSON Web Key's private members: RSA's `d`, `p`, `q`, `dp`, `dq`, `qi`, EC's and OKP's `d`, a symmetric key's `k`. */
const JWK_PRIVATE_MEMBER = /"(?:d|p|q|dp|dq|qi|k)"[ \t]*:[ \t]*"(?<s>[A-Za-z0-9_-]{16,4096})"/dg

/**
 * At a JWK's `"kty"` member: the private members of its object (a private key as `jwk`, a JWKS file, `jose` output),
 * whole. A public key has none and stays as it is.
 */
export const jwkScanner: Scanner = (scan, at) => {
  const text = scan.text
  const open = text.lastIndexOf("{", at)
  if (open === -1 || at - open > 4096) return
  let close = text.indexOf("}", at)
  if (close === -1 || close - at > 16_384) close = Math.min(text.length, at + 16_384)
  const object = text.slice(open, close)
  JWK_PRIVATE_MEMBER.lastIndex = 0
  for (const m of object.matchAll(JWK_PRIVATE_MEMBER)) {
    const span = m.indices?.groups?.s
    if (span !== undefined) scan.add("private-key", open + span[0], open + span[1])
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Key material without a PEM header
// ---------------------------------------------------------------------------------------------------------------------

/** The OID arc of RSA's PKCS (1.2.840.113549.1) in DER, as `decodeBase64` returns bytes (one character each). */
const PKCS_OID = "\u002a\u0086\u0048\u0086\u00f7\u000d\u0001"

/**
 * What the DER at the start of base64 `b64` is: `private` when its outer SEQUENCE starts with an INTEGER (the version
 * of a PKCS#1, PKCS#8, SEC 1 or PKCS#12 structure) or with a password-based encryption's algorithm (an encrypted
 * PKCS#8 key: PKCS#5's or PKCS#12's OIDs), `public` when it starts with another SEQUENCE (a certificate, a CSR, a
 * public key), `undefined` when it is no DER SEQUENCE (the middle of a key, an OpenSSH key).
 */
export const derKind = (b64: string): "private" | "public" | undefined => {
  const bytes = decodeBase64(b64.slice(0, 48), 48)
  if (bytes.charCodeAt(0) !== 0x30) return undefined
  const length = bytes.charCodeAt(1)
  const at = length < 0x80 ? 2 : length >= 0x81 && length <= 0x83 ? 2 + (length - 0x80) : -1
  if (at === -1 || bytes.length <= at) return undefined
  const tag = bytes.charCodeAt(at)
  if (tag === 0x02) return "private"
  if (tag !== 0x30) return undefined
  const oid = bytes.indexOf(PKCS_OID, at)
  const arc = oid === -1 || oid - at > 12 ? -1 : bytes.charCodeAt(oid + PKCS_OID.length)
  return arc === 0x05 || arc === 0x0c ? "private" : "public"
}

/** A command that prints a file, at the start of the last command of a line. */
const PRINTING_COMMAND =
  /(?:^|[\s(])(?:sudo\s+)?(?:cat|head|tail|less|more|bat|type|Get-Content|gc|sed|awk|base64|openssl\s+base64)\s/i
/** The name of a key file, ending a word (so not `id_rsa.pub`, `deploy_key.pub`). */
const KEY_FILE_NAME =
  /(?:\.key|_key|privatekey|private_key|\.pem|\.p8|\.p12|\.pfx|\.jks|\.keystore|\bid_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?)(?=[\s"')]|$)/i

/**
 * True for a command line that prints a key file: `cat deploy_key`, `sed -n '2,4p' ~/.ssh/id_rsa`, `head
 * ~/.ssh/id_ed25519`, `cat server.pem`, `base64 -i release.jks` (not a `.pub` file, nor output piped or written on).
 * Read in linear time: the last command of the line (after its last `|`, `;`, `&` or `>`), then its first printing
 * command, then a key file's name after it (one regular expression for all three tried every split of the line).
 */
const printsKeyFile = (line: string): boolean => {
  let from = 0
  for (let k = line.length - 1; k >= 0; k--) {
    const c = line[k]
    if (c === "|" || c === ";" || c === "&" || c === ">") {
      from = k + 1
      break
    }
  }
  const last = line.slice(from)
  const command = PRINTING_COMMAND.exec(last)
  return command !== null && KEY_FILE_NAME.test(last.slice(command.index + command[0].length))
}
/** A line of base64 wide enough to be a line of a key's body (PEM's 64 characters, OpenSSH's 70, base64's 76). */
const KEY_BODY_LINE = /^[A-Za-z0-9+/]{40,100}={0,2}$/
const KEY_LAST_LINE = /^[A-Za-z0-9+/]{1,100}={0,2}$/
/**
 * A line of base64 as a key's body is: with upper- and lower-case letters and a digit. Not a line of hex digits alone
 * (`head -n 3 cache_key` prints a hash), nor of one case.
 */
const isBase64Line = (line: string): boolean =>
  /\d/.test(line) && /[A-Z]/.test(line) && /[a-z]/.test(line) && !/^[0-9a-fA-F]+$/.test(line)

/** A line without the blanks and `\r` that end it (JSON text read as lines ends each with a blank). */
const bare = (text: string, start: number, end: number): string => {
  let e = end
  while (e > start && /[ \t\r]/.test(text[e - 1])) e--
  return text.slice(start, e)
}

/**
 * At a run of base64 that starts a line: when the line before it is a command printing a key file, the lines of the
 * key's body it printed (a header-less PEM body, `sed -n '2,4p' ~/.ssh/id_rsa`): every line as wide as the first, and
 * a shorter last one, each on its own (the lines stay lines). Not the body of a certificate or a public key (its DER
 * says so), nor a line that is no line of a key (the prompt after the output).
 */
export const printedKeyBodyScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  if (at === 0 || end - at < 40 || end - at > 100) return
  const prevEnd = at - 1
  const prevStart = text.lastIndexOf("\n", prevEnd - 1) + 1
  if (prevEnd - prevStart > 400) return
  let lineEndAt = lineEnd(text, at, 110)
  const first = bare(text, at, lineEndAt)
  if (!KEY_BODY_LINE.test(first) || !isBase64Line(first)) return
  if (!printsKeyFile(bare(text, prevStart, prevEnd))) return
  if (derKind(first) === "public") return
  const width = first.length
  let start = at
  let line = first
  for (let n = 0; n < 2000; n++) {
    scan.add("private-key", start, start + line.length)
    if (line.length !== width || lineEndAt >= text.length) return
    start = lineEndAt + 1
    lineEndAt = lineEnd(text, start, 110)
    line = bare(text, start, lineEndAt)
    if (line.length >= 40 && /^[0-9a-fA-F]+$/.test(line)) return
    const full = line.length === width && KEY_BODY_LINE.test(line)
    if (!full && !(KEY_LAST_LINE.test(line) && (/[\d+/=]/.test(line) || line.length >= 12))) return
  }
}

/** A single-line base64 key store: PKCS#8 or PKCS#12 DER (`MII…`, 600+ characters). */
const DER_BLOB = /MII[A-Za-z0-9+/]{597,131072}={0,2}(?![A-Za-z0-9+/=_-])/y
/** A Java key store in base64: JKS (`/u3+7Q`, 0xFEEDFEED) or JCEKS (`zs7Ozg`, 0xCECECECE). */
const KEYSTORE_BLOB = /(?:\/u3\+7Q|zs7Ozg)[A-Za-z0-9+/]{194,131072}={0,2}(?![A-Za-z0-9+/=_-])/y
/** What a value follows: `NAME=`, `name: `, `"name": "`, `key => '`. */
const VALUE_AFTER = /(?:[=:]|=>)[ \t]*["'`]?$/
/** Words that say a blob is a key or a key store (in its name or in the prose before it). */
const KEY_STORE_WORD = /key|p12|pfx|jks|private|pkcs/i

/**
 * A base64 key store standing as a value, where nothing names it a secret: `CERT_P12_BASE64=MII…`, `here is the
 * key: MII…` (a DER private key or PKCS#12, 600+ characters, with a word before it on its line saying key, keystore,
 * p12, pfx, jks or private), `ANDROID_KEYSTORE_BASE64: /u3+7Q…` (a Java key store). A certificate's or a public key's
 * DER is not one.
 */
export const keyStoreScanner: Scanner = (scan, s) => {
  const text = scan.text
  const jks = text.charCodeAt(s) !== 0x4d /* M */
  const at = jks && text.charCodeAt(s) === 0x75 /* u */ ? s - 1 : s
  if (at > 0 && /[A-Za-z0-9+/_-]/.test(text[at - 1])) return
  const m = stickyAt(jks ? KEYSTORE_BLOB : DER_BLOB, text, at)
  if (m === null) return
  const head = text.slice(Math.max(0, text.lastIndexOf("\n", at - 1) + 1, at - 120), at)
  if (!VALUE_AFTER.test(head)) return
  if (!jks && (!KEY_STORE_WORD.test(head) || derKind(m[0]) !== "private")) return
  scan.add("private-key", at, at + m[0].length)
}
