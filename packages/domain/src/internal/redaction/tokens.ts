/**
 * Tokens recognised by their published format: a literal prefix, then a bounded body. Each entry becomes an anchor
 * (the prefix) and a sticky regex applied where the anchor matched, so a text without any prefix costs nothing here.
 */
import { lit, type Scan, type Scanner, stickyAt } from "./engine.js"
import { digitAndLetter, entropy, hasDigit, hasLower, hasUpper, isDummyToken } from "./values.js"

/** A token format: its first two characters (for dispatch), what it must look like (body), and extra checks. */
export interface TokenSpec {
  readonly rule: string
  /** The possible first two characters of the token. */
  readonly starts: ReadonlyArray<string>
  /** The whole token from its first character; a named group `s` narrows what is replaced. */
  readonly body: RegExp
  /** Characters that must not precede the token (default: letters and digits). */
  readonly notAfter?: RegExp
  /** Extra validation of the token text. */
  readonly validate?: (token: string) => boolean
  /** Picks the rule name from the token (e.g. `openrouter-api-key` among `sk-` keys). */
  readonly nameOf?: (token: string) => string
}

const ALNUM = /[A-Za-z0-9]/
const WORDISH = /[A-Za-z0-9_]/
const TOKENISH = /[A-Za-z0-9_-]/

/** `prefixes` as literals; `rest` is the body after the prefix (regex source). */
const t = (
  rule: string,
  prefixes: string | ReadonlyArray<string>,
  rest: string,
  options: Omit<TokenSpec, "rule" | "starts" | "body"> = {}
): TokenSpec => {
  const list = typeof prefixes === "string" ? [prefixes] : prefixes
  const anchor = list.map(lit).join("|")
  const starts = [...new Set(list.map((p) => p.slice(0, 2)))]
  return { rule, starts, body: new RegExp(`(?:${anchor})${rest}`, "y"), ...options }
}

/** Like `t`, with the prefix given as a regex source and its possible first two characters. */
const tr = (
  rule: string,
  starts: ReadonlyArray<string>,
  anchor: string,
  rest: string,
  options: Omit<TokenSpec, "rule" | "starts" | "body"> = {}
): TokenSpec => ({ rule, starts, body: new RegExp(`(?:${anchor})${rest}`, "y"), ...options })

const restOf = (prefixLength: number) => (check: (s: string) => boolean) => (token: string) =>
  check(token.slice(prefixLength))
const END = "(?![A-Za-z0-9_])"
const END_DASH = "(?![A-Za-z0-9_-])"
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

export const tokenSpecs: ReadonlyArray<TokenSpec> = [
  // AI providers
  t("anthropic-api-key", "sk-", `ant-[a-z]{2,12}\\d{2}-[A-Za-z0-9_-]{20,250}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(7)(digitAndLetter)
  }),
  t(
    "openai-api-key",
    "sk-",
    `(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,250}|or-v1-[0-9a-f]{64}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{32,100}|[A-Za-z0-9_-]{40,250})${END_DASH}`,
    {
      notAfter: TOKENISH,
      validate: (s) => !s.startsWith("sk-ant-") && digitAndLetter(s.slice(3)),
      nameOf: (s) => (s.startsWith("sk-or-") ? "openrouter-api-key" : "openai-api-key")
    }
  ),
  tr("elevenlabs-api-key", ["sk", "rk"], "[sr]k_", `[0-9a-f]{48}${END}`, { notAfter: WORDISH }),
  t("groq-api-key", "gsk_", `[A-Za-z0-9]{48,56}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  t("perplexity-api-key", "pplx-", `[A-Za-z0-9]{40,56}${END}`, { validate: restOf(5)(digitAndLetter) }),
  t("xai-api-key", "xai-", `[A-Za-z0-9]{70,90}${END}`, { notAfter: TOKENISH, validate: restOf(4)(digitAndLetter) }),
  t("replicate-api-token", "r8_", `[A-Za-z0-9]{30,40}${END}`, {
    notAfter: WORDISH,
    validate: restOf(3)(digitAndLetter)
  }),
  t("huggingface-token", ["hf_", "api_org_"], `[A-Za-z0-9]{30,40}${END}`, {
    notAfter: WORDISH,
    validate: (s) => hasUpper(s.slice(3)) && hasLower(s.slice(3))
  }),
  t("cerebras-api-key", "csk-", `[a-z0-9]{40,60}${END_DASH}`, { validate: restOf(4)(digitAndLetter) }),
  t("fireworks-api-key", "fw_", `[A-Za-z0-9]{24,40}${END}`, { notAfter: WORDISH, validate: restOf(3)(digitAndLetter) }),
  t("tavily-api-key", "tvly-", `[A-Za-z0-9_-]{30,60}${END_DASH}`, { validate: restOf(5)(digitAndLetter) }),
  t("firecrawl-api-key", "fc-", `[a-f0-9]{32}${END_DASH}`, { notAfter: TOKENISH, validate: restOf(3)(digitAndLetter) }),
  t("pinecone-api-key", "pcsk_", `[A-Za-z0-9_]{40,100}${END}`, { validate: restOf(5)(digitAndLetter) }),
  tr("langsmith-api-key", ["ls"], "lsv2_(?:pt|sk)_", `[a-f0-9]{32}_[a-f0-9]{10}${END}`),
  t("mapbox-secret-token", "sk.eyJ", `[A-Za-z0-9_-]{20,}\\.[A-Za-z0-9_-]{20,200}`),
  t("voyage-api-key", "pa-", `[A-Za-z0-9_-]{40,50}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: (s) => hasUpper(s) && hasLower(s.slice(3)) && hasDigit(s)
  }),
  t("jina-api-key", "jina_", `[A-Za-z0-9_-]{50,80}${END_DASH}`, {
    notAfter: WORDISH,
    validate: restOf(5)(digitAndLetter)
  }),
  t("langfuse-secret-key", "sk-lf-", `${UUID}${END_DASH}`, { notAfter: TOKENISH }),
  t("e2b-api-key", "e2b_", `[a-f0-9]{40}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  t("adafruit-io-key", "aio_", `[A-Za-z0-9]{28}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  t("nvidia-api-key", "nvapi-", `[A-Za-z0-9_-]{60,70}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(6)((b) => hasUpper(b) && hasLower(b) && hasDigit(b))
  }),
  t("runpod-api-key", "rpa_", `[A-Za-z0-9]{32,64}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  tr("honeycomb-api-key", ["hc"], "hcai[kc]_", `[0-9a-z]{58}${END}`, {
    notAfter: WORDISH,
    validate: restOf(6)(digitAndLetter)
  }),
  tr("axiom-token", ["xa"], "xa[ap]t-", `${UUID}${END_DASH}`, { notAfter: TOKENISH }),
  t("browserbase-api-key", "bb_live_", `[A-Za-z0-9_-]{20,40}${END_DASH}`, {
    notAfter: WORDISH,
    validate: restOf(8)(digitAndLetter)
  }),
  // Cloud providers and platforms
  tr(
    "aws-session-token",
    ["IQ", "Fw", "FQ"],
    "IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE|FQoGZXIvYXdzE",
    "[A-Za-z0-9+/=%]{50,4000}",
    {
      notAfter: /[A-Za-z0-9+/]/
    }
  ),
  // Amazon Bedrock API keys: long-lived `ABSK` + base64 of `BedrockAPIKey-…`, short-lived a presigned URL in base64
  t("aws-bedrock-api-key", "ABSKQmVkcm9ja0FQSUtleS", "[A-Za-z0-9+/]{20,400}={0,2}", { notAfter: /[A-Za-z0-9+/]/ }),
  t("aws-bedrock-api-key", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t", "[A-Za-z0-9+/=_-]{20,4096}", {
    notAfter: /[A-Za-z0-9+/_-]/
  }),
  t("databricks-token", "dose", `[a-f0-9]{32}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  t("pubnub-secret-key", "sec-c-", `[A-Za-z0-9]{40,60}${END}`, {
    notAfter: TOKENISH,
    validate: restOf(6)(digitAndLetter)
  }),
  // Payment providers' live and sandbox access tokens (GoCardless `live_`/`sandbox_` + 40, Lob, Mollie): random only
  tr("payments-live-token", ["li", "sa"], "live_|sandbox_", `[A-Za-z0-9_-]{30,64}${END_DASH}`, {
    notAfter: WORDISH,
    validate: (s) => {
      const body = s.slice(s.indexOf("_") + 1)
      return hasUpper(body) && hasLower(body) && hasDigit(body) && !body.includes("__")
    }
  }),
  t("intra42-client-secret", ["s-s4t2ud-", "s-s4t2af-"], `[a-f0-9]{64}${END}`, { notAfter: TOKENISH }),
  t("google-api-key", "AIza", `[0-9A-Za-z_-]{35}${END_DASH}`, { notAfter: TOKENISH }),
  t("google-oauth-client-secret", "GOCSPX-", `[A-Za-z0-9_-]{24,40}${END_DASH}`, { notAfter: TOKENISH }),
  t("google-oauth-token", "ya29.", "[A-Za-z0-9_.-]{30,2048}", { notAfter: TOKENISH, validate: digitAndLetter }),
  t("google-oauth-token", "1//0", `[A-Za-z0-9_-]{30,512}${END_DASH}`, { validate: restOf(4)(digitAndLetter) }),
  tr("digitalocean-token", ["do"], "do[opr]_v1_", `[0-9a-f]{64}${END}`),
  t("cloudflare-origin-ca-key", "v1.0-", "[0-9a-f]{24}-[0-9a-f]{146}"),
  t("heroku-api-key", "HRKU-", `[A-Za-z0-9_-]{30,80}${END_DASH}`, { validate: restOf(5)(digitAndLetter) }),
  tr("vercel-token", ["vc"], "vc[pikar]_", `[A-Za-z0-9]{24,80}${END}`, {
    notAfter: WORDISH,
    validate: restOf(4)(digitAndLetter)
  }),
  tr("netlify-token", ["nf"], "nf[pcou]_", `[A-Za-z0-9]{30,60}${END}`, {
    notAfter: WORDISH,
    validate: restOf(4)(digitAndLetter)
  }),
  t("fly-token", "fo1_", `[A-Za-z0-9_-]{40,48}${END_DASH}`, { notAfter: WORDISH }),
  tr("fly-token", ["fm"], "fm[12][ar]?_", "[A-Za-z0-9+/]{50,4096}={0,3}", { notAfter: WORDISH }),
  t("render-api-key", "rnd_", `[A-Za-z0-9]{28,40}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  t("supabase-token", "sbp_", `[0-9a-f]{40}${END}`, { notAfter: WORDISH }),
  t("supabase-token", "sb_secret_", `[A-Za-z0-9_-]{20,80}${END_DASH}`, { notAfter: WORDISH }),
  t("neon-api-key", "napi_", `[a-z0-9]{40,80}${END}`, { notAfter: WORDISH, validate: restOf(5)(digitAndLetter) }),
  tr("planetscale-token", ["ps"], "pscale_(?:tkn|pw|oauth)_", `[A-Za-z0-9_=.-]{32,64}${END_DASH}`),
  t("databricks-token", "dapi", `[a-f0-9]{32}(?:-\\d)?${END}`, { notAfter: WORDISH }),
  t("pulumi-token", "pul-", `[0-9a-f]{40}${END}`, { notAfter: TOKENISH }),
  t("doppler-token", "dp.", `(?:st|pt|ct|sa|scim|audit)\\.(?:[a-z0-9_-]{2,35}\\.)?[A-Za-z0-9]{40,44}${END}`, {
    notAfter: /[A-Za-z0-9_.]/
  }),
  tr("vault-token", ["hv"], "hv[sbr]\\.", `[A-Za-z0-9_-]{24,400}${END_DASH}`, {
    notAfter: /[A-Za-z0-9_.]/,
    validate: digitAndLetter
  }),
  t("vault-token", "b.AAAAAQ", `[A-Za-z0-9_-]{50,400}${END_DASH}`, { notAfter: /[A-Za-z0-9_.]/ }),
  t("age-secret-key", "AGE-SECRET-KEY-1", "[A-Z0-9]{50,70}"),
  t("alibaba-access-key-id", "LTAI", `[A-Za-z0-9]{16,24}${END}`, {
    notAfter: WORDISH,
    validate: restOf(4)(digitAndLetter)
  }),
  t("openshift-token", "sha256~", `[A-Za-z0-9_-]{43}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(7)(digitAndLetter)
  }),
  t("scalingo-token", "tk-us-", `[A-Za-z0-9_-]{48}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(6)(digitAndLetter)
  }),
  t("defined-networking-key", "dnkey-", `[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(6)(digitAndLetter)
  }),
  t("adobe-client-secret", "p8e-", `[A-Za-z0-9]{32}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(4)(digitAndLetter)
  }),
  t("tailscale-key", "tskey-", `(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{6,32}-[A-Za-z0-9]{20,80}${END}`, {
    notAfter: TOKENISH,
    validate: (s) => digitAndLetter(s.slice(s.lastIndexOf("-") + 1))
  }),
  t("onepassword-token", "ops_eyJ", "[A-Za-z0-9+/=_-]{100,4000}"),
  t("artifactory-token", "AKCp", `[A-Za-z0-9]{60,80}${END}`, { validate: digitAndLetter }),
  t("artifactory-token", "cmVmdGtu", `[A-Za-z0-9]{50,70}${END}`),
  // Code hosting, CI and package registries
  t("github-token", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], `[A-Za-z0-9]{36,251}${END}`, {
    notAfter: WORDISH,
    validate: restOf(4)(digitAndLetter)
  }),
  t("github-token", "github_pat_", `[A-Za-z0-9_]{36,244}${END}`, { notAfter: WORDISH, validate: digitAndLetter }),
  tr("gitlab-token", ["gl"], "gl(?:pat|dt|rtr|rt|ptt|cbt|soat|ft|imt|agent|oas|ffct|wt)-", `[A-Za-z0-9_.-]{20,300}`, {
    notAfter: TOKENISH,
    validate: (s) => digitAndLetter(s.slice(s.indexOf("-") + 1))
  }),
  t("gitlab-token", "GR1348941", `[A-Za-z0-9_-]{20,80}${END_DASH}`),
  t("bitbucket-token", "ATBB", `[A-Za-z0-9]{32}${END}`, { validate: restOf(4)(digitAndLetter) }),
  t("atlassian-token", ["ATATT3", "ATCTT3"], "[A-Za-z0-9_=-]{150,250}", { validate: digitAndLetter }),
  t("npm-token", "npm_", `[A-Za-z0-9]{36}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  t("pypi-token", "pypi-AgE", "[A-Za-z0-9_-]{50,1000}", { notAfter: TOKENISH }),
  t("rubygems-token", "rubygems_", `[0-9a-f]{48}${END}`, { notAfter: WORDISH }),
  t("nuget-api-key", "oy2", `[a-z0-9]{43}${END}`, { validate: restOf(3)(digitAndLetter) }),
  tr("docker-hub-token", ["dc"], "dckr_(?:pat|oat)_", `[A-Za-z0-9_-]{20,80}${END_DASH}`, { notAfter: WORDISH }),
  tr("sonar-token", ["sq"], "sq[upa]_", `[0-9a-f]{40}${END}`, { notAfter: WORDISH }),
  t("sourcegraph-token", "sgp_", `(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}${END}`, { notAfter: WORDISH }),
  t("circleci-token", "CCIPAT_", `[A-Za-z0-9_]{30,120}${END}`),
  t("buildkite-token", "bkua_", `[a-f0-9]{40}${END}`, { notAfter: WORDISH, validate: restOf(5)(digitAndLetter) }),
  tr("harness-token", ["pa", "sa"], "[ps]at\\.", `[A-Za-z0-9_-]{22}\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{20}${END}`, {
    notAfter: /[A-Za-z0-9_.]/,
    validate: restOf(4)(digitAndLetter)
  }),
  t("octopus-deploy-key", "API-", `[A-Z0-9]{25,27}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(4)(digitAndLetter)
  }),
  t("clojars-token", "CLOJARS_", `[A-Za-z0-9]{60}${END}`, { notAfter: WORDISH, validate: restOf(8)(digitAndLetter) }),
  t("postman-api-key", "PMAK-", "[a-f0-9]{24}-[a-f0-9]{34}"),
  t("grafana-token", "glsa_", `[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}${END}`, { notAfter: WORDISH }),
  t("grafana-token", "glc_", "[A-Za-z0-9+/]{32,400}={0,3}", { notAfter: WORDISH }),
  tr("newrelic-key", ["NR"], "NR(?:AK|II|IQ|RA|SP)-", `[A-Za-z0-9_-]{20,50}${END_DASH}`, {
    validate: restOf(5)(digitAndLetter)
  }),
  t("sentry-token", "sntrys_", "[A-Za-z0-9+/=_]{60,600}", { notAfter: WORDISH }),
  t("sentry-token", "sntryu_", `[0-9a-f]{64}${END}`, { notAfter: WORDISH }),
  t("dynatrace-token", "dt0c01.", "[A-Za-z0-9]{24}\\.[A-Za-z0-9]{64}"),
  tr("launchdarkly-key", ["sd", "mo", "ap"], "(?:sdk|mob|api)-", `${UUID}${END_DASH}`, { notAfter: TOKENISH }),
  t("trello-token", "ATTA", `[0-9a-f]{64}[0-9A-Fa-f]{8}${END}`, { notAfter: WORDISH }),
  t("together-api-key", "tgp_v1_", `[A-Za-z0-9_-]{40,60}${END_DASH}`, { notAfter: WORDISH }),
  t("intercom-token", "dG9rOj", "[A-Za-z0-9+/]{40,100}={0,2}", { notAfter: /[A-Za-z0-9+/]/ }),
  tr("asana-token", ["1/", "2/"], "[12]/\\d{6,20}(?:/\\d{6,20})?:", `[0-9a-f]{32}${END}`, { notAfter: /[A-Za-z0-9/]/ }),
  t("clickup-token", "pk_", `\\d{5,12}_[A-Z0-9]{32}${END}`, { notAfter: WORDISH }),
  tr("paddle-key", ["pd"], "pdl_(?:live|sdbx)_(?:apikey|ntfset)_", `[A-Za-z0-9_]{30,120}${END}`, { notAfter: WORDISH }),
  t("vercel-blob-token", "vercel_blob_rw_", `[A-Za-z0-9]{16}_[A-Za-z0-9]{30}${END}`, { notAfter: WORDISH }),
  t("prefect-token", "pnu_", `[A-Za-z0-9]{36}${END}`, { notAfter: WORDISH }),
  t("readme-token", "rdme_", `[a-z0-9]{70}${END}`, { notAfter: WORDISH }),
  t("infracost-token", "ico-", `[A-Za-z0-9]{32}${END}`, { notAfter: TOKENISH, validate: restOf(4)(digitAndLetter) }),
  // Communication, payments, productivity
  t("slack-webhook", "hooks.slack.com/", "(?:services|workflows|triggers)/(?<s>[A-Za-z0-9_/+-]{16,250})", {
    notAfter: /[A-Za-z0-9-]/
  }),
  // Incoming webhooks: the part of the URL that lets anyone post (Teams: the path after `IncomingWebhook/`, found after
  // a slash of the URL's token run; Zapier's catch hook id; IFTTT's maker key)
  t(
    "msteams-webhook",
    "IncomingWebhook/",
    "(?<s>[0-9a-f]{32}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:/[A-Za-z0-9_-]{20,80})?)",
    {
      notAfter: /[A-Za-z0-9]/
    }
  ),
  // Mattermost's incoming webhooks (`https://chat.example.com/hooks/<26 lower-case letters and digits>`), on any host
  t("mattermost-webhook", "hooks/", `(?<s>[a-z0-9]{26})(?![A-Za-z0-9_]|\\.[A-Za-z])`, {
    // (a segment of a URL's path)
    notAfter: /[^/]/,
    validate: (s) => digitAndLetter(s.slice(6)) && entropy(s.slice(6)) > 3.2
  }),
  t("zapier-webhook", "hooks.zapier.com/hooks/catch/", `\\d{3,12}/(?<s>[a-z0-9]{5,12})${END}`, {
    notAfter: /[A-Za-z0-9-]/
  }),
  t(
    "ifttt-webhook-key",
    "maker.ifttt.com/",
    `(?:trigger/[\\w-]{1,100}/(?:json/)?with/key|use)/(?<s>[A-Za-z0-9_-]{20,64})${END_DASH}`,
    {
      notAfter: /[A-Za-z0-9-]/
    }
  ),
  tr("slack-token", ["xo", "xa"], "xox[abposre][-.]|xapp-", "[A-Za-z0-9.-]{10,400}", {
    notAfter: TOKENISH,
    validate: (s) => hasDigit(s.slice(5))
  }),
  // Slack's browser session: the `xoxc-` token and its `d` cookie, `xoxd-` (URL-encoded base64): together they act as
  // the user
  t("slack-token", "xoxc-", `\\d{6,16}-\\d{6,16}-\\d{6,16}-[0-9a-f]{32,128}${END}`, { notAfter: TOKENISH }),
  t("slack-token", "xoxd-", "(?:[A-Za-z0-9+/=_-]|%[0-9A-Fa-f]{2}){40,1000}(?![A-Za-z0-9_%+/=-])", {
    notAfter: TOKENISH,
    validate: (s) => hasDigit(s.slice(5)) && hasUpper(s.slice(5)) && hasLower(s.slice(5))
  }),
  tr("twilio-api-key", ["SK"], "SK[0-9a-f]{8}", `[0-9a-f]{24}${END}`, {
    notAfter: WORDISH,
    validate: restOf(2)(digitAndLetter)
  }),
  t("sendgrid-api-key", "SG.", `[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{30,64}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(3)(digitAndLetter)
  }),
  tr("brevo-api-key", ["xk", "xs"], "x(?:keysib|smtpsib)-", `[a-f0-9]{64}-[A-Za-z0-9]{16}${END}`),
  t("resend-api-key", "re_", `[A-Za-z0-9]{8}_[A-Za-z0-9]{24}${END}`, {
    notAfter: WORDISH,
    validate: restOf(3)(digitAndLetter)
  }),
  tr("stripe-key", ["sk", "rk"], "[sr]k_", `(?:live|test|prod)_[A-Za-z0-9]{10,247}${END}`, {
    notAfter: WORDISH,
    validate: (s) => digitAndLetter(s.slice(8))
  }),
  // Checkout.com's sandbox secret keys
  t("checkout-key", "sk_sbox_", `[a-z0-9]{26}${END}`, { notAfter: TOKENISH, validate: restOf(8)(digitAndLetter) }),
  t("stripe-key", "whsec_", "[A-Za-z0-9+/=]{24,100}", { notAfter: WORDISH, validate: restOf(6)(digitAndLetter) }),
  tr("shopify-token", ["sh"], "shp(?:at|ss|ca|pa)_", `[A-Fa-f0-9]{32}${END}`, { notAfter: WORDISH }),
  t("square-token", ["sq0atp-", "sq0csp-"], `[A-Za-z0-9_-]{22,43}${END_DASH}`),
  tr("square-token", ["EA"], "EAA[A-Z]", `[A-Za-z0-9_-]{56,400}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: (s) => digitAndLetter(s) && hasLower(s),
    nameOf: (s) => (s.startsWith("EAAA") ? "square-token" : "facebook-token")
  }),
  tr("braintree-token", ["ac"], "access_token\\$(?:production|sandbox)\\$", "[0-9a-z]{16}\\$[0-9a-f]{32}"),
  tr("shippo-token", ["sh"], "shippo_(?:live|test)_", `[a-fA-F0-9]{40}${END}`),
  tr("easypost-token", ["EZ"], "EZ[AT]K", `[A-Za-z0-9]{54}${END}`),
  tr("flutterwave-key", ["FL"], "FLWSECK(?:_TEST)?-", "[a-h0-9]{12,32}(?:-X)?"),
  tr("plaid-token", ["ac"], "access-(?:sandbox|development|production)-", UUID),
  tr("hubspot-token", ["pa"], "pat-(?:na|eu)\\d-", UUID),
  tr("duffel-token", ["du"], "duffel_(?:test|live)_", `[A-Za-z0-9_=-]{43}${END_DASH}`, {
    validate: restOf(12)(digitAndLetter)
  }),
  t("posthog-personal-key", "phx_", `[A-Za-z0-9]{43}${END}`, {
    notAfter: WORDISH,
    validate: restOf(4)(digitAndLetter)
  }),
  t("frameio-token", "fio-u-", `[A-Za-z0-9_=-]{64}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: restOf(6)(digitAndLetter)
  }),
  t("mailersend-token", "mlsn.", `[a-f0-9]{64}${END}`, {
    notAfter: /[A-Za-z0-9_.]/,
    validate: restOf(5)(digitAndLetter)
  }),
  t("linear-api-key", "lin_api_", `[A-Za-z0-9]{40}${END}`, { notAfter: WORDISH, validate: restOf(8)(digitAndLetter) }),
  // dbt Cloud's service and personal tokens: `dbtc_` and 30-60 base64url characters
  t("dbt-cloud-token", "dbtc_", `[A-Za-z0-9_-]{30,60}${END_DASH}`, {
    notAfter: WORDISH,
    validate: restOf(5)(digitAndLetter)
  }),
  t("linear-api-key", "lin_oauth_", `[0-9a-f]{64}${END}`, { notAfter: WORDISH }),
  t("notion-token", "ntn_", `[A-Za-z0-9]{40,50}${END}`, { notAfter: WORDISH, validate: restOf(4)(digitAndLetter) }),
  tr("airtable-token", ["pa"], "pat[A-Za-z0-9]{14}\\.", `[0-9a-f]{64}${END}`, { notAfter: WORDISH }),
  t("figma-token", "figd_", `[A-Za-z0-9_-]{38,50}${END_DASH}`),
  t("contentful-token", "CFPAT-", `[A-Za-z0-9_-]{43}${END_DASH}`),
  t("typeform-token", "tfp_", `[A-Za-z0-9_.=-]{40,70}${END_DASH}`, { notAfter: WORDISH }),
  t("dropbox-token", "sl.", `[A-Za-z0-9_=.-]{120,1500}${END_DASH}`, {
    notAfter: /[A-Za-z0-9_.-]/,
    validate: restOf(3)(digitAndLetter)
  }),
  t("twitter-bearer-token", "AAAAAAAAAAAAAAAAAAAAA", "A?[A-Za-z0-9%]{40,120}", { validate: hasDigit }),
  t("opensync-key", "osk_", `[A-Za-z0-9_-]{32,48}${END_DASH}`, {
    notAfter: TOKENISH,
    validate: (s) => !/^[a-z_-]+$/.test(s.slice(4))
  })
]

/** The scanner of one token format. */
export const tokenScanner =
  (spec: TokenSpec): Scanner =>
  (scan: Scan, at: number) => {
    const text = scan.text
    if (at > 0 && (spec.notAfter ?? ALNUM).test(text[at - 1])) return
    const m = stickyAt(spec.body, text, at)
    if (m === null) return
    const token = m[0]
    if (spec.validate !== undefined && !spec.validate(token)) return
    const secret = m.groups?.s
    const start = secret === undefined ? at : at + token.length - secret.length
    if (isDummyToken(secret ?? token)) return
    scan.add(spec.nameOf?.(token) ?? spec.rule, start, at + token.length)
  }
