/**
 * Credentials recognisable by a fixed shape or by their companion: AWS secret keys next to their key ids, Twilio auth
 * tokens next to their account SID, Azure SAS signatures and AD client secrets, Discord and Telegram bot tokens,
 * Mailchimp, New Relic, Firebase and Terraform Cloud keys, legacy Vault tokens where Vault is mentioned.
 */
import { type Scanner, stickyAt } from "./engine.js"
import {
  decodeBase64,
  digitAndLetter,
  entropy,
  hasDigit,
  hasLower,
  hasUpper,
  isDummyToken,
  isPlaceholder
} from "./values.js"

const isAlnum = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9]/.test(c)
const isTokenChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_-]/.test(c)

// ---------------------------------------------------------------------------------------------------------------------
// Keys that are only recognisable next to their companion
// ---------------------------------------------------------------------------------------------------------------------

const AWS_KEY_ID = /(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/y
const AWS_SECRET_NEARBY = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g

const awsSecretLike = (s: string): boolean =>
  hasUpper(s) && hasLower(s) && (hasDigit(s) || /[/+]/.test(s)) && !isDummyToken(s) && entropy(s) > 3.5

/** AWS access key ids, and the 40-character secret access key that follows one within a few lines. */
export const awsKeyIdScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && isAlnum(text[at - 1])) return
  const m = stickyAt(AWS_KEY_ID, text, at)
  if (m === null || isDummyToken(m[0])) return
  const end = at + m[0].length
  scan.add("aws-access-key", at, end)
  const window = text.slice(end, Math.min(text.length, end + 300))
  AWS_SECRET_NEARBY.lastIndex = 0
  for (const s of window.matchAll(AWS_SECRET_NEARBY)) {
    if (/(?:AKIA|ASIA)[A-Z0-9]{16}/.test(window.slice(0, s.index))) break
    if (awsSecretLike(s[0])) {
      scan.add("aws-secret-key", end + s.index, end + s.index + 40)
      break
    }
  }
}

const AWS_SECRET_LABEL =
  /secret[ _-]?access[ _-]?key["'\]]{0,3}[ \t]{0,5}(?:\[[^\]\r\n]{0,40}\][ \t]{0,5})?(?:=>|:=|[:=,])?[ \t]{0,5}["']?(?<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/iy

/** `AWS Secret Access Key [None]: …` (aws configure), `aws_secret_access_key <value>`, `--secret-access-key …`. */
export const awsSecretLabelScanner: Scanner = (scan, at) => {
  const m = stickyAt(AWS_SECRET_LABEL, scan.text, at)
  const secret = m?.groups?.s
  if (m === null || secret === undefined || !awsSecretLike(secret)) return
  scan.add("aws-secret-key", at + m[0].length - 40, at + m[0].length)
}

const TWILIO_SID = /AC[0-9a-f]{32}(?![A-Za-z0-9])/y
const HEX32 = /(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9])/g

/** A Twilio account SID followed by its auth token (`Client("AC…", "…")`, `AC…:…`): both go. */
export const twilioPairScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && isAlnum(text[at - 1])) return
  const m = stickyAt(TWILIO_SID, text, at)
  if (m === null) return
  const end = at + m[0].length
  const window = text.slice(end, Math.min(text.length, end + 200))
  HEX32.lastIndex = 0
  const token = HEX32.exec(window)
  if (token === null || !digitAndLetter(token[0])) return
  scan.add("twilio-account-sid", at, end)
  scan.add("twilio-auth-token", end + token.index, end + token.index + 32)
}

/**
 * A GitHub Copilot API token (`tid=<id>;exp=<time>;sku=…;proxy-ep=…;…:<hmac>`, as OpenCode's `auth.json` and Copilot's
 * `token` endpoint hold it): from `tid=` through the HMAC.
 */
const COPILOT_TOKEN = /tid=[A-Za-z0-9]{16,64};exp=\d{9,11};[^\s"'\\]{0,800}?:[0-9a-f]{64}(?![0-9a-f])/y

export const copilotTokenScanner: Scanner = (scan, at) => {
  if (at > 0 && /[A-Za-z0-9_]/.test(scan.text[at - 1]!)) return
  const m = stickyAt(COPILOT_TOKEN, scan.text, at)
  if (m !== null) scan.add("github-copilot-token", at, at + m[0].length)
}

/** An Azure SAS signature: `sig=` in a URL or connection string that also has `sv=`/`se=`/`sr=`/`skn=`. */
export const sasScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at < scan.sasUntil || (at > 0 && !/[?&;"'\s]/.test(text[at - 1]))) return
  let end = at + 4
  const limit = Math.min(text.length, end + 300)
  while (end < limit && /[A-Za-z0-9%+/=_-]/.test(text[end])) end++
  scan.sasUntil = end
  const value = text.slice(at + 4, end)
  if (value.length < 16 || isPlaceholder(value)) return
  const around = text.slice(Math.max(0, at - 600), Math.min(text.length, end + 300))
  if (/(?:^|[?&;\s"'])(?:sv|se|sr|sp|skn|spr|srt|ss|st)=|SharedAccessSignature/.test(around)) {
    scan.add("azure-sas-token", at + 4, end)
    return
  }
  // Any other signed URL's `?…&sig=`: a signature of 32+ hex digits or of 32+ random base64 characters
  if (at === 0 || !/[?&]/.test(text[at - 1]) || value.length < 32) return
  if (/^[0-9a-fA-F]+$/.test(value) ? !digitAndLetter(value) : !(digitAndLetter(value) && entropy(value) > 3.5)) return
  scan.add("secret-assignment", at + 4, end)
}

/** Azure AD client secrets: 3 characters, a digit, `Q~`, then 31-34 characters (e.g. `abc8Q~…`). */
export const azureClientSecretScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 4
  if (start < 0 || !/^[A-Za-z0-9_~.-]{3}\d$/.test(text.slice(start, at))) return
  if (start > 0 && /[A-Za-z0-9_~.-]/.test(text[start - 1])) return
  let end = at + 2
  while (end < text.length && end - at < 40 && /[A-Za-z0-9_~.-]/.test(text[end])) end++
  const n = end - at - 2
  if (n < 31 || n > 34 || !digitAndLetter(text.slice(at + 2, end))) return
  scan.add("azure-client-secret", start, end)
}

const DISCORD = /[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])/y

/** Discord bot tokens: base64 of the bot's id, a timestamp and an HMAC, separated by dots. */
export const discordScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_.-]/.test(text[at - 1])) return
  const m = stickyAt(DISCORD, text, at)
  if (m === null) return
  const [id = "", , hmac = ""] = m[0].split(".")
  const idDigits = /^\d{15,21}$/.test(decodeBase64(id))
  const classes = Number(hasUpper(hmac)) + Number(hasLower(hmac)) + Number(hasDigit(hmac))
  if (!idDigits && !(digitAndLetter(id) && classes >= 2)) return
  scan.add("discord-token", at, at + m[0].length)
}

const TELEGRAM_TAIL = /:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])/y

/** Telegram bot tokens `<bot id>:AA…` (also inside `api.telegram.org/bot<token>/`). */
export const telegramScanner: Scanner = (scan, at) => {
  const text = scan.text
  let s = at
  while (s > at - 12 && s > 0 && /\d/.test(text[s - 1])) s--
  if (at - s < 6 || (s > 0 && isAlnum(text[s - 1]) && !text.slice(Math.max(0, s - 3), s).endsWith("bot"))) return
  const m = stickyAt(TELEGRAM_TAIL, text, at)
  if (m === null) return
  scan.add("telegram-bot-token", s, at + m[0].length)
}

/** Mailchimp API keys: 32 hex digits, `-us`, the datacenter number. */
export const mailchimpScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 32
  if (start < 0 || !/^[0-9a-f]{32}$/.test(text.slice(start, at)) || (start > 0 && isTokenChar(text[start - 1]))) return
  let end = at + 3
  while (end < text.length && end - at < 5 && /\d/.test(text[end])) end++
  if (isAlnum(text[end])) return
  scan.add("mailchimp-api-key", start, end)
}

/** New Relic license keys: 36 hex digits and `NRAL`. */
export const newRelicLicenseScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 36
  if (start < 0 || !/^[0-9a-f]{36}$/i.test(text.slice(start, at)) || (start > 0 && isAlnum(text[start - 1]))) return
  if (isAlnum(text[at + 4])) return
  scan.add("newrelic-key", start, at + 4)
}

/** Firebase Cloud Messaging server keys: `AAAA<7>:APA91b<…>`. */
export const fcmScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 11
  if (start < 0 || !/^AAAA[A-Za-z0-9_-]{7}$/.test(text.slice(start, at))) return
  let end = at + 7
  while (end < text.length && end - at < 300 && /[A-Za-z0-9_-]/.test(text[end])) end++
  if (end - at < 100) return
  scan.add("firebase-server-key", start, end)
}

/** Terraform Cloud tokens: `<14>.atlasv1.<60-70>`. */
export const terraformScanner: Scanner = (scan, at) => {
  const text = scan.text
  const start = at - 14
  if (start < 0 || !/^[A-Za-z0-9]{14}$/.test(text.slice(start, at)) || (start > 0 && isAlnum(text[start - 1]))) return
  let end = at + 9
  while (end < text.length && end - at < 90 && /[A-Za-z0-9_=-]/.test(text[end])) end++
  if (end - at - 9 < 60) return
  scan.add("terraform-cloud-token", start, end)
}

const RANDOM_PASSWORD_RESULT =
  /\\?"result\\?"\s*:\s*\\?"(?<s>[^"\\\n]{1,500})\\?"|\bresult\s*=\s*"(?<t>[^"\\\n]{1,500})"/g

/**
 * The `result` of a Terraform `random_password` resource, as the state holds it (`terraform show -json`,
 * `terraform.tfstate`) or an older plan printed it: the first `result` within 3,000 characters after the resource's type.
 */
export const randomPasswordScanner: Scanner = (scan, at) => {
  const text = scan.text
  const window = text.slice(at, Math.min(text.length, at + 3000))
  RANDOM_PASSWORD_RESULT.lastIndex = 0
  const m = RANDOM_PASSWORD_RESULT.exec(window)
  const value = m?.groups?.s ?? m?.groups?.t
  if (m === null || value === undefined || value.startsWith("(")) return
  const end = at + m.index + m[0].length - (m[0].endsWith('\\"') ? 2 : 1)
  scan.add("secret-assignment", end - value.length, end)
}

const VAULT_LEGACY = /s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])/y

/** Legacy Vault tokens (`s.` + 24 characters), only where the text mentions Vault. */
export const vaultLegacyScanner: Scanner = (scan, at) => {
  const text = scan.text
  if (at > 0 && /[A-Za-z0-9_.$/-]/.test(text[at - 1])) return
  const m = stickyAt(VAULT_LEGACY, text, at)
  if (m === null) return
  const body = m[0].slice(2)
  if (!(hasUpper(body) && hasLower(body) && hasDigit(body))) return
  if (!/vault/i.test(text.slice(Math.max(0, at - 600), at))) return
  scan.add("vault-token", at, at + m[0].length)
}
