/**
 * The built-in rule table: every anchor with its scanners, and the rule names in priority order (where two findings
 * overlap they are merged and the earlier rule names the result).
 */
import { scanAssignment } from "./assignments.js"
import {
  basicPairCallScanner,
  CALL_HIT,
  credentialCallScanner,
  KEY_CALL_HIT,
  keyCallScanner,
  PAIR_CALL_HIT,
  positionalCallScanner
} from "./calls.js"
import {
  addMaskScanner,
  authorizationScanner,
  basicScanner,
  bearerScanner,
  clientLiteralScanner,
  convexDeployKeyScanner,
  cookieScanner,
  flagScanner,
  goDsnScanner,
  herokuTokenScanner,
  identifiedByScanner,
  jwtCallScanner,
  kubernetesSecretScanner,
  netscapeCookieScanner,
  opensslPassScanner,
  passwordArgumentsScanner,
  pgpassLineScanner,
  pgpassScanner,
  printedSecretScanner,
  queryKeyScanner,
  saslPasswdScanner,
  urlScanner
} from "./commands.js"
import {
  awsKeyIdScanner,
  awsSecretLabelScanner,
  azureClientSecretScanner,
  copilotTokenScanner,
  discordScanner,
  fcmScanner,
  mailchimpScanner,
  newRelicLicenseScanner,
  randomPasswordScanner,
  sasScanner,
  telegramScanner,
  terraformScanner,
  twilioPairScanner,
  vaultLegacyScanner
} from "./companions.js"
import { charTable, declareRules, logicalLineBefore, type Scan, type Scanner, stickyAt } from "./engine.js"
import { keyStrength } from "./keyNames.js"
import {
  base64PemScanner,
  eyjScanner,
  jwkScanner,
  keyStoreScanner,
  openVpnKeyScanner,
  pemScanner,
  printedKeyBodyScanner,
  puttyScanner
} from "./keys.js"
import { foreignLabelScanner, LABEL_HIT, NON_ASCII_LABEL_ANCHORS } from "./labels.js"
import { tokenScanner, tokenSpecs } from "./tokens.js"
import {
  decodeBase64,
  digitAndLetter,
  entropy,
  hasDigit,
  hasLower,
  hasUpper,
  isDummyToken,
  plausibleSecretValue,
  standsForSecret,
  tokenLike
} from "./values.js"

const NOTION_SECRET = /secret_[A-Za-z0-9]{43}(?![A-Za-z0-9_])/y
const MAILGUN_KEY = /key-[0-9a-f]{32}(?![A-Za-z0-9_])/y
const MAILGUN_KEY_2023 = /^(?=.*[a-f].*-)[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}$/
const AZURE_KEY = /(?:AccountKey|SharedAccessKey)=(?<s>[A-Za-z0-9+/]{20,200}={0,2})(?![A-Za-z0-9+/=])/y

const PEM_BEGIN = /-{4,5} ?BEGIN (?:[A-Z0-9]{1,20} ){0,4}$/
const KIND_SECRET = /(?:"kind"|kind)[ \t]*:[ \t]*["']?$/

/**
 * The secret of an ACL token as Consul and Nomad print it (`SecretID:   <uuid>`, `Secret ID    = <uuid>`; its
 * `AccessorID` is its public name): the UUID.
 */
const PRINTED_SECRET_ID = /Secret ?ID[ \t]*[:=][ \t]*(?<s>[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})(?![0-9a-f-])/y
const printedTokenIdScanner: Scanner = (scan, at) => {
  const m = stickyAt(PRINTED_SECRET_ID, scan.text, at)
  const id = m?.groups?.s
  if (m === null || id === undefined || /[A-Za-z0-9_]/.test(scan.text[at - 1] ?? "")) return
  scan.add("printed-secret", at + m[0].length - id.length, at + m[0].length)
}

/** Vault's unseal keys as `vault operator init` prints them: `Unseal Key 1: <base64>`. */
const UNSEAL_KEY = /Key \d{1,2}:[ \t]*(?<s>[A-Za-z0-9+/]{40,100}={0,2})(?![A-Za-z0-9+/=])/y
const unsealKeyScanner: Scanner = (scan, at) => {
  if (!scan.text.startsWith("Unseal ", at - 7)) return
  const m = stickyAt(UNSEAL_KEY, scan.text, at)
  const key = m?.groups?.s
  if (m === null || key === undefined) return
  scan.add("printed-secret", at + m[0].length - key.length, at + m[0].length)
}

/** Git's password prompt with what was typed at it, as a terminal transcript shows it: `Password for 'https://…': …`. */
const GIT_PROMPT = /Password for '[^'\n]{1,200}':[ \t]*(?<s>[^\s]{4,200})[ \t]*(?:\r?\n|$)/y
const gitPromptScanner: Scanner = (scan, at) => {
  const m = stickyAt(GIT_PROMPT, scan.text, at)
  const typed = m?.groups?.s
  if (m === null || typed === undefined || standsForSecret(typed)) return
  const start = at + m[0].indexOf(typed, m[0].indexOf("':"))
  scan.add("printed-secret", start, start + typed.length)
}

/** Everything that starts at a key-name keyword (`pass`, `secret`, `token`, `key`, `auth`, `cred`...). */
const keywordScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  const first = text.charCodeAt(at) | 0x20
  if (first === 0x73 /* s */) {
    const notion = stickyAt(NOTION_SECRET, text, at)
    if (notion !== null && !/[A-Za-z0-9_]/.test(text[at - 1] ?? "")) {
      const body = notion[0].slice(7)
      if (hasUpper(body) && hasLower(body) && hasDigit(body) && !isDummyToken(body)) {
        scan.add("notion-token", at, at + notion[0].length)
      }
    }
    awsSecretLabelScanner(scan, at, end)
    printedTokenIdScanner(scan, at, end)
    if (text.startsWith("Secret", at)) {
      const kind = KIND_SECRET.exec(text.slice(Math.max(0, at - 12), at))
      if (kind !== null) kubernetesSecretScanner(scan, at - kind[0].length, at)
    }
  } else if (first === 0x6b /* k */) {
    const mailgun = stickyAt(MAILGUN_KEY, text, at)
    if (mailgun !== null && !/[A-Za-z0-9]/.test(text[at - 1] ?? "") && digitAndLetter(mailgun[0].slice(4))) {
      scan.add("mailgun-api-key", at, at + mailgun[0].length)
    }
    const azureAt = text.startsWith("Account", at - 7)
      ? at - 7
      : text.startsWith("SharedAccess", at - 12)
        ? at - 12
        : -1
    const azure = azureAt === -1 ? null : stickyAt(AZURE_KEY, text, azureAt)
    const key = azure?.groups?.s
    if (azure != null && key !== undefined && !isDummyToken(key)) {
      scan.add("azure-storage-key", azureAt + azure[0].length - key.length, azureAt + azure[0].length)
    }
    if (text.startsWith("PRIVATE ", at - 8)) {
      const begin = PEM_BEGIN.exec(text.slice(Math.max(0, at - 60), at - 8))
      if (begin !== null) pemScanner(scan, at - 8 - begin[0].length, at)
    }
    openVpnKeyScanner(scan, at, end)
    unsealKeyScanner(scan, at, end)
  } else if (first === 0x61 /* a */) {
    if (/^authorization/i.test(text.slice(at, at + 13))) authorizationScanner(scan, at, end)
    else if (text.startsWith("heroku ", at - 7)) herokuTokenScanner(scan, at - 7, end)
    const basic = text.slice(at, at + 30).indexOf("Basic ")
    if (basic !== -1) basicScanner(scan, at + basic, at + basic + 6)
  } else if (first === 0x70 /* p */) {
    if (text.startsWith("Password for '", at)) gitPromptScanner(scan, at, end)
    if (text[at + 4] === ":") opensslPassScanner(scan, at, end)
    if (text.startsWith("random_password", at - 7)) randomPasswordScanner(scan, at + 8, end)
    if (/^pg$/i.test(text.slice(at - 2, at))) pgpassScanner(scan, at - 2, end)
    typedPasswordScanner(scan, at, end)
    if ((text.charCodeAt(at - 2) | 0x20) === 0x70 /* p */) appPasswordScanner(scan, at, end)
  }
  scanAssignment(scan, at, end)
  quotedInProseScanner(scan, at, end)
  putIntoScanner(scan, at, end)
  printedSecretScanner(scan, at, end)
  passwordArgumentsScanner(scan, at, end)
  credentialCallScanner(scan, at, end)
}

/** `app password`, `app-specific password`, `application password` before the keyword. */
const APP_PASSWORD_BEFORE = /\bapp(?:lication)?(?:[- ]specific)?[- ]$/i
/** Four groups of four lower-case letters on their own (a Google app password as Google shows it). */
const APP_PASSWORD_RUN = /(?<![A-Za-z0-9_-])[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}(?![A-Za-z0-9_-])/g
/** Common words of four letters: prose after `app password`, not one (`copy this code into your mail app`). */
const FOUR_LETTER_WORDS = new Set(
  (
    "that this with your from have will when then them they here were what only also just like more some than each " +
    "make must need used uses want work done copy code into mail open save sign link page user name text type word " +
    "pass apps enter show shown once same note keep safe lost send sent back next last time step turn help does " +
    "been into over such very well were wont dont isnt cant know find full data file list read more most much " +
    "call come goes good made many said take tell test sure able away both down even ever give hold home info " +
    "less live long look main mark mean move near part real rest role room runs seen self site stay stop tool " +
    "upon view ways what whom wide yours gmail google account device phone label"
  ).split(" ")
)

/**
 * A Google app password after its name in prose (`Your app password for your device: tixl zwxu qaoy hubf`, the
 * dialog's text): four groups of four lower-case letters within the next 200 characters, none of them a common word.
 */
const appPasswordScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  if (!APP_PASSWORD_BEFORE.test(text.slice(Math.max(0, at - 24), at))) return
  const window = text.slice(end, Math.min(text.length, end + 200))
  APP_PASSWORD_RUN.lastIndex = 0
  for (const m of window.matchAll(APP_PASSWORD_RUN)) {
    const groups = m[0].split(" ")
    if (groups.some((g) => FOUR_LETTER_WORDS.has(g)) || new Set(groups).size < 4 || /abcd|wxyz/.test(m[0])) continue
    scan.add("secret-assignment", end + m.index, end + m.index + m[0].length)
    return
  }
}

/**
 * What a browser test types into a password field: `page.fill('#password', '…')`, `getByLabel('Password').fill('…')`,
 * `cy.get('input[name=password]').type('…')`, `$('#pass').setValue('…')` (the keyword inside the field's selector).
 */
const TYPED_INTO_FIELD =
  /[\w-]{0,20}[\]"'`\s]{0,3}[\])]?[ \t]*(?:,[ \t]*|\)[ \t]*\.(?:fill|type|pressSequentially|setValue|sendKeys)\([ \t]*)(?<q>["'`])(?<s>[^"'`\n\\]{4,200})\k<q>[ \t]*[,)]/dy
const SELECTOR_BEFORE =
  /(?:\.(?:fill|type|get|locator|getByLabel|getByPlaceholder|\$)\(|\$\()[ \t]*(?:"[^"\n]{0,60}|'[^'\n]{0,60}|`[^`\n]{0,60})$/

const typedPasswordScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (!SELECTOR_BEFORE.test(text.slice(Math.max(0, at - 80), at))) return
  const m = stickyAt(TYPED_INTO_FIELD, text, at + 4)
  const span = m?.indices?.groups?.s
  const value = m?.groups?.s ?? ""
  if (m === null || span === undefined || standsForSecret(value)) return
  scan.add("secret-assignment", span[0], span[1])
}

/**
 * After `:thin:` of `jdbc:oracle:thin:`: `user/password@` before the host (`@//host`, `@host:port`, `@(DESCRIPTION=…)`;
 * a password may hold an `@` itself), not `@//host` alone, nor `@host:port:sid`.
 */
const ORACLE_THIN_CREDENTIALS = /[\w$#.-]{1,64}\/(?<s>[^\s/"'`]{1,128})@(?=[^@\s"'`]*(?:[\s"'`]|$))/dy

const oracleThinScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  if (!/oracle$/i.test(text.slice(Math.max(0, at - 7), at - 1))) return
  const m = stickyAt(ORACLE_THIN_CREDENTIALS, text, end)
  const span = m?.indices?.groups?.s
  const value = m?.groups?.s ?? ""
  if (m === null || span === undefined || standsForSecret(value)) return
  scan.add("connection-string", span[0], span[1])
}

/** Words that name a secret in prose (`the password`, `their API keys`, `a token`). */
const PROSE_SECRET_WORD = /^(?:passwords?|passwd|passphrases?|secrets?|tokens?|credentials?|api[_-]?keys?)$/i
/**
 * After a secret's name in a sentence, up to two places (`in docker-compose.yml`, `for staging`), then `is`, `was`, `:`
 * or `=` and the literal in backticks: an agent's reply (`The Postgres password in docker-compose.yml is \`…\``, `I
 * found the key in \`config/prod.yml\`: \`…\``). Not after another word (`the secret name is`, `the token fix is`).
 */
const QUOTED_IN_PROSE =
  /(?:[ \t]+(?:in|for|of|from|on|at|to)[ \t]+[^\s]{1,80}){0,2}(?:[ \t]+(?:is|was)[ \t]+|:[ \t]+|[ \t]*=[ \t]*)`(?<s>[^`\s]{8,200})`/dy

/** A secret's literal an agent quotes in backticks after naming it, when it looks random (letters and digits). */
const quotedInProseScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  // (most keywords have no backtick after them: nothing to read)
  if (!text.slice(end, Math.min(text.length, end + 200)).includes("`")) return
  let from = at
  while (from > 0 && /[A-Za-z_-]/.test(text[from - 1] ?? "")) from--
  let to = end
  while (to < text.length && /[A-Za-z]/.test(text[to] ?? "")) to++
  const word = text.slice(from, to)
  const named =
    PROSE_SECRET_WORD.test(word) ||
    (/^keys?$/i.test(word) &&
      /\b(?:api|secret|private|access|signing|the)[ \t]+$/i.test(text.slice(Math.max(0, from - 10), from)))
  if (!named) return
  const m = stickyAt(QUOTED_IN_PROSE, text, to)
  const span = m?.indices?.groups?.s
  const value = m?.groups?.s ?? ""
  if (m === null || span === undefined || !digitAndLetter(value) || !plausibleSecretValue(value)) return
  if (standsForSecret(value) || /[/\\]/.test(value) || new Set(value).size < 6) return
  scan.add("secret-assignment", span[0], span[1])
}

/** The words before a secret's variable that say a value was put into it (`I put … in AUTH_TOKEN`). */
const INTO_BEFORE = /(?:^|[ \t])(?:in|into|as)[ \t]+(?:the[ \t]+|my[ \t]+|our[ \t]+)?[`"'$]?$/
const PUT_BEFORE =
  /(?:^|[\s(])(?:put|set|pasted|paste|copied)[ \t]+["'`]?(?<v>[^\s"'`]{12,300})["'`]?[ \t]+(?:in|into|as)[ \t]+(?:the[ \t]+|my[ \t]+|our[ \t]+)?[`"'$]?$/d
/** Names and paths, not values: `validateToken2FA`, `NEXT_PUBLIC_API_URL2`, `sha256-hmac-signing`, `~/key.json`. */
const IDENTIFIER_LIKE =
  /^(?:[a-z]+(?:[A-Z][a-z0-9]*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+)$|[/~\\]/

/**
 * A value a user says they put into a secret's variable: `I put <value> in AUTH_TOKEN but the app still says
 * unauthorized`, `I set <value> as the API_KEY`. The value must look random (letters and digits), not be a name or a
 * path.
 */
const putIntoScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  let from = at
  while (from > 0 && /[A-Za-z0-9_]/.test(text[from - 1] ?? "")) from--
  // (most keywords are not after `in`, `into` or `as`: a short look first)
  if (!INTO_BEFORE.test(text.slice(Math.max(0, from - 16), from))) return
  const head = text.slice(Math.max(0, from - 340), from)
  let to = end
  while (to < text.length && /[A-Za-z0-9_]/.test(text[to] ?? "")) to++
  if (keyStrength(text.slice(from, to)) !== "strong") return
  const m = PUT_BEFORE.exec(head)
  const span = m?.indices?.groups?.v
  const value = m?.groups?.v ?? ""
  if (m === null || span === undefined || standsForSecret(value) || isDummyToken(value)) return
  const random = tokenLike(value) || (value.length >= 20 && entropy(value) >= 3.5)
  if (!random || !digitAndLetter(value) || IDENTIFIER_LIKE.test(value)) return
  const base = from - head.length
  scan.add("secret-assignment", base + span[0], base + span[1])
}

/**
 * `Bearer <token>`; and `bearer` as Composer's key (`auth.json`: `"bearer": {"<host>": "<token>"}`; `composer config
 * --auth bearer.<host> <token>`).
 */
const bearerKeyScanner: Scanner = (scan, at, end) => {
  bearerScanner(scan, at, end)
  const text = scan.text
  const after = text.charCodeAt(end)
  if (
    (text.charCodeAt(at - 1) === 0x22 /* " */ && after === 0x22) ||
    (after === 0x2e /* . */ && text[at - 1] === " ")
  ) {
    scanAssignment(scan, at, end)
  }
}

/** Express's session cookie's value: `s:` (or `s%3A`) then the session id, `.` and its signature. */
const CONNECT_SID = /s(?::|%3A)[A-Za-z0-9_-]{16,128}\.[A-Za-z0-9%+/_-]{20,128}/iy

/**
 * `connect.sid=s%3A<id>.<signature>` (Express's session cookie) outside a `Cookie` header (a log, a `curl -b` file, a
 * browser's storage): the value, from `s:` (the run starts after `%` or `:`; `at` is the `s`).
 */
const connectSidScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (!text.startsWith("connect.sid=", at - 12)) return
  const m = stickyAt(CONNECT_SID, text, at)
  if (m !== null) scan.add("session-cookie", at, at + m[0].length)
}

/** `pw:` and `pw =`: the keyword scanner on `pw`. */
const pwScanner: Scanner = (scan, at) => keywordScanner(scan, at, at + 2)

const ETH_KEY = /^0x[0-9a-fA-F]{64}$/
const WALLET_BEFORE =
  /(?:\bWallet\s*\(|privateKeyToAccount\s*\(|fromPrivateKey\s*\(|\baccounts\s*:\s*\[(?:\s*["'`]0x[0-9a-fA-F]{64}["'`]\s*,)*)\s*["'`]$/
const ASANA_HEAD = /(?:^|[^A-Za-z0-9/])([12]\/\d{6,20}(?:\/\d{6,20})?:)$/
const TWITCH = /^(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{30}$/

/** Token scanners by the first two characters of the token (ASCII codes, `first * 128 + second`). */
const BY_START: Array<Array<Scanner> | undefined> = new Array(128 * 128)
const register = (starts: ReadonlyArray<string>, scanner: Scanner): void => {
  for (const start of starts) {
    const index = start.charCodeAt(0) * 128 + start.charCodeAt(1)
    const list = BY_START[index] ?? []
    list.push(scanner)
    BY_START[index] = list
  }
}
for (const spec of tokenSpecs) register(spec.starts, tokenScanner(spec))
register(["ey"], eyjScanner)
register(["LS"], base64PemScanner)
register(["Pu"], puttyScanner)
register(["MI", "u3", "zs"], keyStoreScanner)
register(["3A"], (scan, s, end) => connectSidScanner(scan, s - 3, end))
register(["AK", "AS", "AB", "AC", "A3"], awsKeyIdScanner)
register(["AC"], twilioPairScanner)

const isAlnumCode = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

/**
 * A run of 20+ token characters starting at a boundary: a candidate credential. Dispatches on its first two
 * characters to the formats that start that way, and checks the formats recognisable by an infix or a suffix.
 */
const runScanner: Scanner = (scan, at, end) => {
  const text = scan.text
  // A line of base64 after a command printing a key file (`cat deploy_key`, `sed -n '2,4p' ~/.ssh/id_rsa`)
  if (at === 0 || text.charCodeAt(at - 1) === 10 /* \n */) printedKeyBodyScanner(scan, at, end)
  let s = at
  while (s < end && !isAlnumCode(text.charCodeAt(s))) s++
  if (end - s < 16) return
  // After a match that ends inside the run, look again from there (`<jwt>.<jwt>`): the same text redacted once more
  // would otherwise start a new run at that point and find more
  for (;;) {
    const before = scan.candidates.length
    dispatchAt(scan, s, end)
    let next = s
    for (let k = before; k < scan.candidates.length; k++) next = Math.max(next, scan.candidates[k].end)
    if (next <= s || end - next < 16) break
    s = next
    while (s < end && !isAlnumCode(text.charCodeAt(s))) s++
    if (end - s < 16) return
  }
  // Path segments (`…/Accounts/AC…/`, `//ghp_…@github.com`): formats can also start after a slash
  for (let i = s + 1, n = 0; i < end - 16 && n < 64; i++) {
    if (text.charCodeAt(i) === 47 /* / */ && isAlnumCode(text.charCodeAt(i + 1))) {
      dispatchAt(scan, i + 1, end)
      n++
    }
  }
}

const dispatchAt = (scan: Scan, s: number, end: number): void => {
  const text = scan.text
  const c0 = text.charCodeAt(s)
  const c1 = text.charCodeAt(s + 1)
  const scanners = c0 < 128 && c1 < 128 ? BY_START[c0 * 128 + c1] : undefined
  if (scanners !== undefined) for (const scanner of scanners) scanner(scan, s, end)
  const c = text[s]
  if (text.charCodeAt(s - 1) === 0x2f /* / */ && text.startsWith("/t/", s - 3)) condaTokenScanner(scan, s, end)
  else if (AFTER_VALUE_START.has(text.charCodeAt(s - 1))) spacedValueScanner(scan, s, end)
  // A Netscape cookie file's value, after a tab (in a JSON string, `\t`: the run starts at its `t`)
  if (text.charCodeAt(s - 1) === 9 /* tab */) netscapeCookieScanner(scan, s, end)
  else if (c === "t" && text.charCodeAt(s - 1) === 0x5c /* \ */) netscapeCookieScanner(scan, s + 1, end)
  if (c === "M" || c === "N" || c === "O") discordScanner(scan, s, end)
  if (c === "s" && text[s + 1] === ".") vaultLegacyScanner(scan, s, end)
  if (text[s + 4] === "Q" && text[s + 5] === "~") azureClientSecretScanner(scan, s + 4, s + 6)
  if (text.startsWith(".atlasv1.", s + 14)) terraformScanner(scan, s + 14, s + 23)
  if (text.startsWith("NRAL", s + 36)) newRelicLicenseScanner(scan, s + 36, s + 40)
  // An Ethereum private key (`0x` and 64 hex digits) where a wallet is made from it: `new ethers.Wallet("0x…")`,
  // viem's `privateKeyToAccount("0x…")`, Hardhat's `accounts: ["0x…"]` (elsewhere 0x+64 is a hash or an address' kin)
  if (
    c === "0" &&
    end - s === 66 &&
    ETH_KEY.test(text.slice(s, end)) &&
    WALLET_BEFORE.test(text.slice(Math.max(0, s - 200), s))
  ) {
    scan.add("private-key", s, end)
  }
  // Azure DevOps personal access tokens since 2024: 84 characters, `AZDO` at 76
  if (end - s === 84 && text.startsWith("AZDO", s + 76) && /^[A-Za-z0-9]{84}$/.test(text.slice(s, end))) {
    scan.add("azure-devops-pat", s, end)
  }
  if (text.startsWith("-us", s + 32)) mailchimpScanner(scan, s + 32, s + 35)
  // Mailgun's API keys since 2023: 32 hex digits, then two groups of 8 (`…-2d0b7ae7-3d4027d6`; `key-…` before)
  if (end - s === 50 && text[s + 32] === "-" && MAILGUN_KEY_2023.test(text.slice(s, end))) {
    scan.add("mailgun-api-key", s, end)
  }
  if (text[s - 1] === ":") {
    // Twitch chat tokens: `oauth:` and 30 lower-case letters and digits
    if (
      text.startsWith("oauth:", s - 6) &&
      !/[A-Za-z0-9_]/.test(text[s - 7] ?? "") &&
      TWITCH.test(text.slice(s, end))
    ) {
      scan.add("twitch-token", s - 6, end)
    }
    // Asana personal access tokens: `1/<user id>:<32 hex>` (the run starts after the colon)
    const asana = ASANA_HEAD.exec(text.slice(Math.max(0, s - 48), s))
    if (asana !== null && /^[0-9a-f]{32}$/.test(text.slice(s, end))) scan.add("asana-token", s - asana[1].length, end)
    // Express's session cookie, decoded: `connect.sid=s:<id>.<signature>`
    if (text.startsWith("connect.sid=s:", s - 14)) connectSidScanner(scan, s - 2, end)
    if (c === "A" && text[s + 1] === "A") telegramScanner(scan, s - 1, s + 2)
    else if (text.startsWith("APA91b", s)) fcmScanner(scan, s - 1, s + 6)
  }
}

/**
 * The one case-insensitive anchor regex: key-name keywords (`pass`, `pwd`, `psk`, `secret`, `token`, `key`, `cred`,
 * `auth`, `signature`, `mnemonic`, `phrase`, `_pw`, `_pat`), `://`, `bearer`, command-line flags, `sig=`,
 * `identified`, `client(`, `cookie`, `SecureString`, a JSON Web Key's `"kty"`, Oracle's `:thin:`; commands taking a
 * password as an argument without a keyword in their name (`rabbitmqctl`, `sqlplus`, `/user:`, `put-parameter`, `mc alias`, `ssh-keygen`, `ACL SETUSER`…); a
 * `.pgpass` line's port (`:5432:`), a relay host's port in Postfix's `sasl_passwd` (`]:587 `), `::add-mask::`, and
 * `tid=` (GitHub Copilot tokens); the query parameters `appid=` and `ak=`; the calls `.login(` and
 * `algoliasearch(`, calls that take a key (`hmac(`, `hmac.new(`, `Fernet(`, `SignedString(`) and calls that encode a
 * basic-auth pair (`btoa(`, `b64encode(`, `Buffer.from(`) (`calls.ts`); labels of passwords and tokens in other languages (`labels.ts`). Alternatives are
 * grouped by their first character, which V8 matches about twice as fast as a flat list.
 */
const ANCHORS =
  "p(?:ass|wd|sk|hrase|w[ \\t]*[:=]|r(?:od|eview|oject):|ut-parameter|enssl[ \\t]+enc|_session_|alavra-passe|arol[aă]|do\\()|" +
  "m(?:nemonic|c[ \\t]+(?:alias|config)[ \\t]|ot[ \\t]+de[ \\t]+passe|[ậa]t[ \\t]+kh[ẩa]u|ysqli(?:_connect)?\\()|" +
  "s(?:ec(?:ret|urestring)|ig=|ignin(?<=\\bop[ \\t]{1,4}signin)|ignature|ignedstring\\(|sh-keygen|onar\\.login|udo[ \\t]+-|enha|alasana|ifre|enord(?<=l[öo]senord)|lo(?<=geslo)|alt(?<=_salt)(?=['\"]|[ \\t]*[=:]))|" +
  't(?:oken|cp\\((?<=@tcp\\()|hin:(?<=:thin:))|k(?:ey|ty"(?<="kty")|ata[ \\t]+sandi|a(?<=lozinka)|init[ \\t]|ennwort)|' +
  "c(?:red|lient(?:v\\d)?\\(|ookie|argo[ \\t]+login|odecov|onnection\\(|ontrase[ñn]a|l(?:[ée]|ave)[ \\t]+(?:d'|de[ \\t]+l'|de[ \\t]+(?:la[ \\t]+)?)?api|have[ \\t]+(?:de[ \\t]+)?api)|" +
  "a(?:uth|ppid=(?<=[?&]appid=)|k=(?<=[?&]ak=)|lgoliasearch\\(|cl[ \\t]+setuser|ult[ \\t]+login(?<=vault[ \\t]+login)|chtwoord(?<=wachtwoord)|dgangskode|pi-schl[üu]ssel)|" +
  "b(?:earer|undle(?:[ \\t]+config|_(?=[a-z0-9_]{0,60}__))|ase64(?<=\\|[ \\t]{0,4}base64)|toa\\(|64encode\\(|uffer\\.from\\()|" +
  "h(?:ttp-basic|as[łl]o|eslo|mac(?:\\.new)?\\()|j(?:wt\\.(?:sign|verify|encode|decode)|elsz[óo]|eton)|" +
  "identified|dev:|r(?:abbitmqctl|and[ \\t]+-|andomBytes\\()|sqlplus|f(?:reerdp|ernet\\()|" +
  "[_.-]p(?:w|at)(?![a-z0-9])|\\.login\\(|:(?:\\/\\/|\\d{4,5}:|\\*:|:add-mask::)|\\/u(?:ser)?:|\\]:\\d{2,5}[ \\t]|" +
  "[ \\t](?:-(?:[uapPwb]|-(?:user|auth|http-user|body))|user[ \\t](?<=net[ \\t]{1,4}user[ \\t]))|tid=|" +
  NON_ASCII_LABEL_ANCHORS

/**
 * Anchors of commands that take a secret without a keyword on their line (`cargo login <token>`, `echo … | sudo -S`,
 * `vault login <token>`, `echo -n user:password | base64`): their lines go to `passwordArgumentsScanner`. (Where a
 * command starts with a letter no other anchor starts with, its anchor starts further in, and a lookbehind checks the
 * rest: each new first character costs the anchor regex a share of its speed on every text.)
 */
const COMMAND_HIT = /^(?:cargo|ault|bundle(?!_)|codecov|sonar\.|[ \t]user|sudo|penssl|base64|kinit)/i

/** The host of an Anaconda channel with a token in its path (`https://conda.anaconda.org/t/<token>/acme`). */
const CONDA_HOST = /(?:^|[/.@])anaconda\.(?:org|cloud|com)$/
const CONDA_TOKEN = /[A-Za-z0-9-]{16,128}(?![A-Za-z0-9_.-])/y

/** The token of an Anaconda channel's URL, the segment after `/t/` (a run starts at it). */
const condaTokenScanner: Scanner = (scan, s) => {
  const text = scan.text
  if (!CONDA_HOST.test(text.slice(Math.max(0, s - 40), s - 3))) return
  const m = stickyAt(CONDA_TOKEN, text, s)
  if (m === null || isDummyToken(m[0]) || !hasDigit(m[0])) return
  scan.add("conda-token", s, s + m[0].length)
}

/** What a header's or a command's value starts after: a blank, `=`, `:` or a quote. */
const AFTER_VALUE_START = new Set([0x20, 0x09, 0x3d, 0x3a, 0x22, 0x27])
const SMTP_AUTH_PLAIN = /AUTH PLAIN[ \t]+$/i

/** Whether base64 decodes to SASL PLAIN's `authzid\0user\0password` (two NULs), as `AUTH PLAIN` sends it. */
const decodesToPlainAuth = (base64: string): boolean => decodeBase64(base64).split("\u0000").length === 3
const HONEYCOMB_KEY_BEFORE = /x-honeycomb-team["']?[ \t]*[:=][ \t]*["']?$/i
const BASE64_RUN = /[A-Za-z0-9+/]{8,4096}={0,2}/y
const HEADER_VALUE_RUN = /[A-Za-z0-9_-]{16,128}(?![A-Za-z0-9_-])/y

/**
 * A run after a blank, `=`, `:` or a quote that the words before it make a secret: SMTP's `AUTH PLAIN <base64 of \0user\0password>` (as
 * `swaks` or an SMTP log shows it), Honeycomb's key in its header (`X-Honeycomb-Team: <key>`).
 */
const spacedValueScanner: Scanner = (scan, s) => {
  const text = scan.text
  const before = text.slice(Math.max(0, s - 24), s)
  if ((before.includes("PLAIN") || before.includes("plain")) && SMTP_AUTH_PLAIN.test(before)) {
    const m = stickyAt(BASE64_RUN, text, s)
    if (m !== null && m[0].length >= 12 && decodesToPlainAuth(m[0])) scan.add("encoded-credentials", s, s + m[0].length)
  } else if (before.endsWith("-t ") && /\binflux\s/.test(logicalLineBefore(text, s, 4, 400))) {
    // InfluxDB's token after `-t` (the line's other anchors may all be after it, or none)
    passwordArgumentsScanner(scan, s, s)
  } else if ((before.includes("eam") || before.includes("EAM")) && HONEYCOMB_KEY_BEFORE.test(before)) {
    const m = stickyAt(HEADER_VALUE_RUN, text, s)
    if (m !== null && !isDummyToken(m[0]) && digitAndLetter(m[0])) scan.add("authorization-header", s, s + m[0].length)
  }
}

/** The scanner of an anchor hit, from its text (cheaper than capture groups). */
const dispatch = (hit: string): Scanner => {
  const c = hit.charCodeAt(0) | 0x20
  if (hit.length === 3 && hit === "://") return urlScanner
  // `jdbc:oracle:thin:user/password@//host`: Oracle's thin driver's URL
  if (c === 0x74 /* t */ && hit.length === 5 && hit.charCodeAt(4) === 0x3a /* : */) return oracleThinScanner
  // `"kty"`: a JSON Web Key, whose private members are a private key
  if (c === 0x6b /* k */ && hit.length === 4 && hit.charCodeAt(3) === 0x22 /* " */) return jwkScanner
  if (COMMAND_HIT.test(hit)) return passwordArgumentsScanner
  if (LABEL_HIT.test(hit)) return foreignLabelScanner
  if (CALL_HIT.test(hit)) return positionalCallScanner
  if (hit.charCodeAt(hit.length - 1) === 0x28 /* ( */) {
    if (KEY_CALL_HIT.test(hit)) return keyCallScanner
    if (PAIR_CALL_HIT.test(hit)) return basicPairCallScanner
  }
  // `?appid=`, `&ak=`: query parameters that carry a key
  if (c === 0x61 /* a */ && hit.charCodeAt(hit.length - 1) === 0x3d /* = */) return queryKeyScanner
  // `user:password@tcp(host:3306)/db`: Go's MySQL driver's DSN
  if (hit.length === 4 && hit.charCodeAt(3) === 0x28 /* ( */) return goDsnScanner
  // `:5432:`, `:*:`: a `.pgpass` line's port
  if (c === 0x3a /* : */) return hit.charCodeAt(1) === 0x3a ? addMaskScanner : pgpassLineScanner
  // `/user:` (`net use`), `put-parameter` (`aws ssm`), `mc alias set`: commands taking a secret as an argument
  if (c === 0x2f /* / */) return passwordArgumentsScanner
  // `]:587 `: Postfix's `sasl_passwd` lines
  if (hit.charCodeAt(0) === 0x5d /* ] */) return saslPasswdScanner
  if (c === 0x70 /* p */ && (hit.charCodeAt(1) | 0x20) === 0x75 /* u */) return passwordArgumentsScanner
  if (c === 0x6d /* m */ && (hit.charCodeAt(1) | 0x20) === 0x63 /* c */) return passwordArgumentsScanner
  if (c === 0x73 /* s */ && (hit.charCodeAt(1) | 0x20) === 0x73 /* ssh-keygen */) return passwordArgumentsScanner
  // `op signin … <<< '…'`: 1Password's CLI reading its account's password
  if (c === 0x73 /* s */ && hit.length === 6 && (hit.charCodeAt(4) | 0x20) === 0x69 /* signin */) {
    return passwordArgumentsScanner
  }
  if (c === 0x20 || c === 0x29 /* space, or tab | 0x20 */) return flagScanner
  // `BUNDLE_GEMS__CONTRIBSYS__COM`: Bundler's credentials for a gem server
  if (c === 0x62 /* b */) return hit.length === 7 ? keywordScanner : bearerKeyScanner
  if (c === 0x69 /* i */) return identifiedByScanner
  // Commands without a keyword: `rabbitmqctl`, `http-basic`, `freerdp`, `sqlplus` take passwords, `rand -` prints one
  if (c === 0x72 /* r */) {
    return (hit.charCodeAt(2) | 0x20) === 0x62 /* rabbitmqctl */ ? passwordArgumentsScanner : printedSecretScanner
  }
  if (c === 0x68 /* h */ || c === 0x66 /* f */ || (c === 0x73 /* s */ && (hit.charCodeAt(1) | 0x20) === 0x71)) {
    return passwordArgumentsScanner
  }
  if (c === 0x6a /* j */) return jwtCallScanner
  if (c === 0x73 /* s */ && hit.length === 4 && hit.charCodeAt(3) === 0x3d) return sasScanner
  if (c === 0x74 /* t */ && hit.length === 4 && hit.charCodeAt(3) === 0x3d) return copilotTokenScanner
  if (c === 0x63 /* c */ && hit.length >= 7) return clientLiteralScanner
  if (c === 0x63 /* c */ && hit.length === 6 && (hit.charCodeAt(1) | 0x20) === 0x6f /* o */) return cookieScanner
  // `pw:` / `pw =` (a bare `pw` is too common a word to anchor on): the keyword is the first two characters
  if (
    c === 0x70 /* p */ &&
    (hit.charCodeAt(1) | 0x20) === 0x77 /* w */ &&
    hit.length > 2 &&
    (hit.charCodeAt(2) | 0x20) !== 0x64
  )
    return pwScanner
  if (hit.charCodeAt(hit.length - 1) === 0x3a /* : */) return convexDeployKeyScanner
  return keywordScanner
}

/** Characters of a token run (the alphabets of base64, base64url, hex and vendor prefixes). */
const TOKEN_RUN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+/~$-"
/** The shortest run worth looking at (AWS key ids, the shortest prefixed tokens, are 20 characters). */
const TOKEN_RUN_MIN = 20

declareRules([
  "private-key",
  ...tokenSpecs.map((s) => s.rule),
  "openrouter-api-key",
  "facebook-token",
  "notion-token",
  "mailgun-api-key",
  "aws-access-key",
  "aws-secret-key",
  "azure-storage-key",
  "convex-deploy-key",
  "twilio-account-sid",
  "twilio-auth-token",
  "azure-client-secret",
  "azure-sas-token",
  "discord-token",
  "discord-webhook",
  "azure-devops-pat",
  "twitch-token",
  "alchemy-api-key",
  "infura-api-key",
  "quicknode-api-key",
  "azure-function-key",
  "telegram-bot-token",
  "mailchimp-api-key",
  "newrelic-key",
  "firebase-server-key",
  "terraform-cloud-token",
  "vault-token",
  "heroku-api-key",
  "grafana-token",
  "jwt",
  "encoded-credentials",
  "kubernetes-secret",
  "sentry-dsn",
  "connection-string",
  "url-password",
  "conda-token",
  "bearer-token",
  "basic-auth",
  "session-cookie",
  "github-copilot-token",
  "authorization-header",
  "cli-password",
  "netrc-password",
  "printed-secret",
  "secret-assignment",
  "secret-field"
])

/** The compiled anchor regex with its dispatch, and the token-run table and scanner. */
export const builtin = {
  regex: new RegExp(ANCHORS, "gi"),
  dispatch,
  runs: { table: charTable(TOKEN_RUN_CHARS), min: TOKEN_RUN_MIN, scanner: runScanner }
}
