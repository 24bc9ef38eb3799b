/**
 * Passwords and tokens under a label in another language than English (`Mot de passe : …`, `contraseña: …`,
 * `пароль: …`, `パスワード：…`): the value after the label's colon or equals sign, when it cannot be a word.
 */
import type { Scanner } from "./engine.js"
import { stickyAt } from "./engine.js"
import { entropy, hasDigit, isDummyToken, plausibleSecretValue, standsForSecret, tokenLike } from "./values.js"

/**
 * The labels: French, Spanish, Portuguese, Dutch, Polish, Russian and Ukrainian, Chinese, Japanese, Korean, Italian and
 * Romanian, Swedish, Danish, Finnish, Hungarian, Czech and Slovak, Turkish, Slovenian, Croatian and Serbian,
 * Indonesian, Vietnamese, Hebrew, Arabic; then tokens and API keys. (`Passwort` and `passord` start with `pass`, an
 * English keyword already.) Those that start with a Latin letter are alternatives of the anchor regex's groups by first
 * character (`rules.ts`); these are the others, which cost nothing on a text of Latin-1 characters only.
 */
export const NON_ASCII_LABEL_ANCHORS =
  "парол[ьі]|密码|密碼|口令|パスワード|비밀번호|암호|şifre|סיסמה|كلمة[ \\t]+(?:ال)?مرور|токен|令牌|トークン|토큰|ключ[ \\t]+api|" +
  "密钥|秘密鍵|apiキー"

/** Whether an anchor hit is one of the labels (as the anchor regex matched it: from its first character on). */
export const LABEL_HIT =
  /^(?:pa(?:lavra|rol)|mot[ \t]|m[ậa]t[ \t]|kennwort|senha|salasana|sifre|senord|slo$|ka(?:ta[ \t]|$)|contrase|cl(?:[ée]|ave)[ \t]|chave[ \t]|achtwoord|adgangskode|api(?:-schl|キー)|has[łl]o|heslo|jelsz|jeton|[^\t -~])/i

/**
 * After the label: a qualifier in parentheses (`Passwort (neu)`), up to four words (of letters: `de la base`, `de
 * l'admin`, `do banco`, `от сервера`) of what it is for, the separator (`:`, the full-width `：`, `=`, a dash) or the
 * verb of a sentence (`est`, `é`, `lautet`; Japanese `は`, Chinese `是`, Korean `는`, written without a space), then the
 * value, quoted or not: printable ASCII that ends where the text does, at a blank, a quote or punctuation (not inside a
 * sentence of another script: `パスワードは8文字以上で…`, `密码是SHA256哈希值` stay).
 */
const VALUE_AFTER =
  /[ \t]*(?:\([^()\n]{0,40}\)[ \t]*)?(?:[ \t]+[\p{L}'’-]{1,24}){0,4}?(?:[ \t]*[:：=]|[ \t]+(?:est|es|é|è|ist|is|lautet|to|является|—|–|-)|[ \t]*(?:は|是|为|為|는|은))[ \t]*(?<q>["'`“「«]?)[ \t]*(?<v>[!#-&(-+\--:<-~]{6,300})(?=$|[\s"'`”」»,;。，、！？）)])/uy

/** The value after a label in another language, unless it could be a word of prose or a reference. */
export const foreignLabelScanner: Scanner = (scan, _at, end) => {
  const text = scan.text
  const m = stickyAt(VALUE_AFTER, text, end)
  const raw = m?.groups?.v
  if (m === null || raw === undefined) return
  // Prose ends a value (`…: Tr0ub4dor&3.`), and so does the next label's colon
  let value = raw
  while (value.length > 0 && /[.。:：!?)\]]$/.test(value)) value = value.slice(0, -1)
  if (value.length < 6 || standsForSecret(value) || isDummyToken(value)) return
  if (!plausibleSecretValue(value)) return
  // A word (of any alphabet) is not a secret; a value with a digit, a symbol or random letters may be
  const wordLike = /^[\p{L}'-]+$/u.test(value) && !tokenLike(value) && entropy(value) < 3.6
  if (wordLike || !(hasDigit(value) || /[^\p{L}\p{N}]/u.test(value) || tokenLike(value))) return
  const start = end + m[0].length - raw.length
  scan.add("secret-assignment", start, start + value.length)
}
