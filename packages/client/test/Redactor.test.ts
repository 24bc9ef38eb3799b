import { describe, expect, it } from "@effect/vitest"
import { Event } from "@opensync/domain"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import {
  compileExtraPattern,
  InvalidRedactionPattern,
  Redactor,
  redactEvents,
  redactText,
  redactValue
} from "../src/Redactor.js"
import { buildCorpus, type NegativeSample, type PositiveSample } from "./fixtures/secrets-corpus.js"
import { makeGenerator, toBase64 } from "./fixtures/secrets-generator.js"
import { UNKEYED_CONTEXTS } from "./fixtures/secrets-kinds.js"

const g = makeGenerator(7)
const R = (rule: string) => `[REDACTED:${rule}]`
const redact = (text: string) => redactText(text).text
/** Each text comes out of redaction exactly as it went in. */
const unchanged = (...texts: ReadonlyArray<string>) => {
  for (const text of texts) expect(redact(text)).toBe(text)
}
/** Every listed secret is gone from the redacted text. */
const gone = (text: string, ...secrets: ReadonlyArray<string>): boolean => {
  const out = redact(text)
  return secrets.every((s) => !out.includes(s))
}

describe("redactText: one exact case per rule family", () => {
  it("Anthropic keys", () => {
    const api = `sk-ant-api03-${g.b64url(93)}AA`
    const admin = `sk-ant-admin01-${g.b64url(93)}AA`
    expect(redact(`export ANTHROPIC_API_KEY=${api}`)).toBe(`export ANTHROPIC_API_KEY=${R("anthropic-api-key")}`)
    expect(redact(`key ${admin} end`)).toBe(`key ${R("anthropic-api-key")} end`)
  })

  it("OpenAI keys: project, service account and legacy", () => {
    const proj = `sk-proj-${g.b64url(156)}`
    const svc = `sk-svcacct-${g.b64url(120)}`
    const legacy = `sk-${g.alnum(48)}`
    expect(redact(`OPENAI_API_KEY=${proj}`)).toBe(`OPENAI_API_KEY=${R("openai-api-key")}`)
    expect(redact(`"${svc}"`)).toBe(`"${R("openai-api-key")}"`)
    expect(redact(`openai.api_key = '${legacy}'`)).toBe(`openai.api_key = '${R("openai-api-key")}'`)
  })

  it("AWS access key ids, secret access keys and session tokens", () => {
    const id = `AKIA${g.upperAlnum(16)}`
    const temp = `ASIA${g.upperAlnum(16)}`
    const secret = g.b64(40)
    expect(redact(`aws_access_key_id = ${id}`)).toBe(`aws_access_key_id = ${R("aws-access-key")}`)
    expect(redact(`(AccessKeyId: ${temp})`)).toBe(`(AccessKeyId: ${R("aws-access-key")})`)
    expect(redact(`aws_secret_access_key = ${secret}`)).toBe(`aws_secret_access_key = ${R("aws-secret-key")}`)
    expect(redact(`"SecretAccessKey": "${secret}",`)).toBe(`"SecretAccessKey": "${R("aws-secret-key")}",`)
    const session = `IQoJb3JpZ2luX2VjE${g.b64(300)}`
    expect(redact(`AWS_SESSION_TOKEN=${session}`)).toBe(`AWS_SESSION_TOKEN=${R("aws-session-token")}`)
  })

  it("GitHub Copilot API tokens (as OpenCode's auth.json holds them), whole", () => {
    const token = `tid=${g.hex(32)};exp=1735689600;sku=free_limited_copilot;proxy-ep=proxy.individual.githubcopilot.com;st=dotcom;chat=1;8kp=1:${g.hex(64)}`
    expect(redact(`{"github-copilot": {"type": "oauth", "access": "${token}", "expires": 1735689600000}}`)).toBe(
      `{"github-copilot": {"type": "oauth", "access": "${R("github-copilot-token")}", "expires": 1735689600000}}`
    )
    unchanged("?tid=42&exp=1735689600", `tid=${g.hex(32)};exp=1735689600;sku=free`)
  })

  it("GitHub tokens", () => {
    for (const prefix of ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) {
      expect(redact(`token ${prefix}${g.alnum(36)}.`)).toBe(`token ${R("github-token")}.`)
    }
    const pat = `github_pat_${g.alnum(22)}_${g.alnum(59)}`
    expect(redact(`https://${pat}@github.com/a/b.git`)).toBe(`https://${R("github-token")}@github.com/a/b.git`)
  })

  it("GitLab tokens", () => {
    expect(redact(`PRIVATE-TOKEN: glpat-${g.b64url(20)}`)).toBe(`PRIVATE-TOKEN: ${R("gitlab-token")}`)
  })

  it("Slack tokens and webhooks", () => {
    const bot = `xoxb-${g.digits(12)}-${g.digits(13)}-${g.alnum(24)}`
    const user = `xoxp-${g.digits(12)}-${g.digits(12)}-${g.digits(13)}-${g.hex(32)}`
    const app = `xapp-1-A${g.upperAlnum(10)}-${g.digits(13)}-${g.hex(64)}`
    expect(redact(`${bot} ${user} ${app}`)).toBe(`${R("slack-token")} ${R("slack-token")} ${R("slack-token")}`)
    const hook = `https://hooks.slack.com/services/T${g.upperAlnum(8)}/B${g.upperAlnum(10)}/${g.alnum(24)}`
    expect(redact(`curl -X POST ${hook}`)).toBe(`curl -X POST https://hooks.slack.com/services/${R("slack-webhook")}`)
  })

  it("Stripe keys", () => {
    expect(redact(`sk_live_${g.alnum(99)} rk_live_${g.alnum(99)} sk_test_${g.alnum(24)}`)).toBe(
      `${R("stripe-key")} ${R("stripe-key")} ${R("stripe-key")}`
    )
  })

  it("Google API keys and OAuth client secrets", () => {
    expect(redact(`&key=AIza${g.b64url(35)}&x=1`)).toBe(`&key=${R("google-api-key")}&x=1`)
    expect(redact(`"GOCSPX-${g.b64url(28)}"`)).toBe(`"${R("google-oauth-client-secret")}"`)
  })

  it("npm, PyPI and Hugging Face tokens", () => {
    expect(redact(`//registry.npmjs.org/:_authToken=npm_${g.alnum(36)}`)).toBe(
      `//registry.npmjs.org/:_authToken=${R("npm-token")}`
    )
    expect(redact(`-p pypi-AgEIcHlwaS5vcmc${g.b64url(140)} dist/*`)).toBe(`-p ${R("pypi-token")} dist/*`)
    expect(redact(`--token hf_${g.letters(34)}`)).toBe(`--token ${R("huggingface-token")}`)
  })

  it("Twilio and SendGrid keys", () => {
    expect(redact(`Client("SK${g.hex(32)}")`)).toBe(`Client("${R("twilio-api-key")}")`)
    expect(redact(`SG.${g.b64url(22)}.${g.b64url(43)}`)).toBe(R("sendgrid-api-key"))
  })

  it("Azure connection strings keep everything but the key", () => {
    const key = `${g.b64(86)}==`
    expect(redact(`AccountName=acme;AccountKey=${key};EndpointSuffix=core.windows.net`)).toBe(
      `AccountName=acme;AccountKey=${R("azure-storage-key")};EndpointSuffix=core.windows.net`
    )
  })

  it("connection strings and URL passwords keep scheme://user: and @host", () => {
    const pw = g.urlPassword()
    expect(redact(`postgres://app:${pw}@db:5432/app`)).toBe(`postgres://app:${R("connection-string")}@db:5432/app`)
    expect(redact(`mysql://root:${pw}@127.0.0.1/shop`)).toBe(`mysql://root:${R("connection-string")}@127.0.0.1/shop`)
    expect(redact(`mongodb+srv://admin:${pw}@c0.mongodb.net/`)).toBe(
      `mongodb+srv://admin:${R("connection-string")}@c0.mongodb.net/`
    )
    expect(redact(`redis://:${pw}@cache:6379`)).toBe(`redis://:${R("connection-string")}@cache:6379`)
    expect(redact(`amqp://guest:${pw}@mq`)).toBe(`amqp://guest:${R("connection-string")}@mq`)
    expect(redact(`https://alice:${pw}@git.example.com/r.git`)).toBe(
      `https://alice:${R("url-password")}@git.example.com/r.git`
    )
    expect(redact("mongodb://admin:p@ss#w0rd@mongo:27017/admin")).toBe(
      `mongodb://admin:${R("connection-string")}@mongo:27017/admin`
    )
  })

  it("JWTs", () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI${g.b64url(20)}.${g.b64url(43)}`
    expect(redact(`session=${jwt}; path=/`)).toBe(`session=${R("jwt")}; path=/`)
  })

  it("PEM private keys, including OpenSSH, RSA, EC, encrypted and PGP ones", () => {
    for (const kind of ["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", "PGP "]) {
      const block = kind === "PGP " ? " BLOCK" : ""
      const body = [g.b64(64), g.b64(64), g.b64(20)].join("\n")
      const pem = `-----BEGIN ${kind}PRIVATE KEY${block}-----\n${body}\n-----END ${kind}PRIVATE KEY${block}-----`
      expect(redact(`before\n${pem}\nafter`)).toBe(`before\n${R("private-key")}\nafter`)
    }
  })

  it("OpenVPN static keys, whole or cut short, and not a mention of one", () => {
    const key = Array.from({ length: 16 }, () => g.hex(32)).join("\n")
    const block = `-----BEGIN OpenVPN Static key V1-----\n${key}\n-----END OpenVPN Static key V1-----`
    expect(redact(`<tls-auth>\n${block}\n</tls-auth>`)).toBe(`<tls-auth>\n${R("private-key")}\n</tls-auth>`)
    const cut = `-----BEGIN OpenVPN Static key V1-----\n${key.split("\n").slice(0, 6).join("\n")}`
    expect(redact(`$ head -7 ta.key\n${cut}\n$ `)).toBe(`$ head -7 ta.key\n${R("private-key")}\n$ `)
    unchanged("paste the -----BEGIN OpenVPN Static key V1----- block from ta.key here")
  })

  it("Authorization headers", () => {
    const token = g.alnum(40)
    const basic = toBase64(`user:${g.password()}`)
    expect(redact(`-H "Authorization: Bearer ${token}"`)).toBe(`-H "Authorization: Bearer ${R("bearer-token")}"`)
    expect(redact(`Authorization: Basic ${basic}`)).toBe(`Authorization: Basic ${R("basic-auth")}`)
    const pw = g.password()
    expect(redact(`curl -u admin:${pw} https://x`)).toBe(`curl -u admin:${R("basic-auth")} https://x`)
  })

  it("assignments in env files, shell, JSON, YAML, TOML, XML and CLI flags", () => {
    const pw = g.password()
    const key = g.alnum(32)
    const secret = R("secret-assignment")
    expect(redact(`DB_PASSWORD=${pw}`)).toBe(`DB_PASSWORD=${secret}`)
    expect(redact("DB_PASSWORD=hunter2")).toBe(`DB_PASSWORD=${secret}`)
    expect(redact(`export SERVICE_TOKEN=${key}`)).toBe(`export SERVICE_TOKEN=${secret}`)
    expect(redact(`{"api_key": "${key}"}`)).toBe(`{"api_key": "${secret}"}`)
    expect(redact("password: s3cr3t")).toBe(`password: ${secret}`)
    expect(redact(`client_secret = "${key}"`)).toBe(`client_secret = "${secret}"`)
    expect(redact(`<password>${pw}</password>`)).toBe(`<password>${secret}</password>`)
    expect(redact(`mysql --password=${pw} db`)).toBe(`mysql --password=${secret} db`)
    expect(redact(`X-Api-Key: ${key}`)).toBe(`X-Api-Key: ${secret}`)
    expect(redact(`?access_token=${key}&page=2`)).toBe(`?access_token=${secret}&page=2`)
    expect(redact(`spring.datasource.password=${pw}`)).toBe(`spring.datasource.password=${secret}`)
    expect(redact(`{"data": "{\\"password\\": \\"${pw}\\"}"}`)).toBe(`{"data": "{\\"password\\": \\"${secret}\\"}"}`)
    expect(redact(`- name: DB_PASSWORD\n  value: "${pw}"`)).toBe(`- name: DB_PASSWORD\n  value: "${secret}"`)
    expect(redact(`define('DB_PASSWORD', '${pw}');`)).toBe(`define('DB_PASSWORD', '${secret}');`)
    expect(redact(`$env:API_KEY = "${key}"`)).toBe(`$env:API_KEY = "${secret}"`)
    expect(redact(`set -gx API_TOKEN ${key}`)).toBe(`set -gx API_TOKEN ${secret}`)
  })

  it("Convex deploy keys keep the deployment name", () => {
    const secret = g.b64(80)
    expect(redact(`CONVEX_DEPLOY_KEY="prod:happy-otter-123|${secret}"`)).toBe(
      `CONVEX_DEPLOY_KEY="prod:happy-otter-123|${R("convex-deploy-key")}"`
    )
  })

  it("prose, labels and tables", () => {
    const hex = g.hex(32)
    expect(redact(`Your Datadog API key is ${hex}.`)).toBe(`Your Datadog API key is ${R("secret-assignment")}.`)
    expect(redact(`API Key: ${hex}`)).toBe(`API Key: ${R("secret-assignment")}`)
    const pw = g.password()
    expect(redact(`| DB_PASSWORD | ${pw} |`)).toBe(`| DB_PASSWORD | ${R("secret-assignment")} |`)
    expect(redact(`CREATE USER app WITH PASSWORD '${pw}';`)).toBe(
      `CREATE USER app WITH PASSWORD '${R("secret-assignment")}';`
    )
  })

  it("OpenSync keys (current and legacy formats)", () => {
    expect(redact(`OPENSYNC_API_KEY=osk_${g.alnum(38)}`)).toBe(`OPENSYNC_API_KEY=${R("opensync-key")}`)
    expect(redact(`--key osk_${g.b64url(32)}`)).toBe(`--key ${R("opensync-key")}`)
  })
})

describe("redactText: what the broader evaluation found missing", () => {
  it("secrets named in prose (other languages, a value put into a variable) and config formats (WordPress, Ruby, Rust, Playwright, Composer, Bundler, Anaconda, SMTP, Honeycomb, Netscape cookie files)", () => {
    const pw = "Zephyr&2457"
    const token = g.alnum(32)
    for (const [before, after] of [
      ["Das Passwort für den Admin-Zugang lautet ", ""],
      ["Le mot de passe de la base est ", ""],
      ["mi clave de API es ", ""],
      ["a senha do banco é ", "!"],
      ["пароль от сервера: ", "!"],
      ["本番DBのパスワードは ", " です"],
      ["数据库密码是 ", ""]
    ] as const) {
      const value = before.startsWith("mi clave") ? token : pw
      expect(redact(`${before}${value}${after}`)).toBe(`${before}${R("secret-assignment")}${after}`)
    }
    const salt = "tfiU7vH0p1ugztf~GadCdQ6=3g%MwLOP&OJ@i-xboh=(#qIi-g+.q;}[~x6!=YKT"
    for (const name of ["NONCE_SALT", "LOGGED_IN_SALT", "AUTH_SALT", "AUTH_KEY"]) {
      expect(redact(`define( '${name}', '${salt}' );`)).toBe(`define( '${name}', '${R("secret-assignment")}' );`)
    }
    expect(redact(`password: <%= ENV.fetch("DB_PASSWORD") { "${pw}" } %>`)).toBe(
      `password: <%= ENV.fetch("DB_PASSWORD") { "${R("secret-assignment")}" } %>`
    )
    const jar = (name: string, value: string) => `.acme.io\tTRUE\t/\tTRUE\t1767225600\t${name}\t${value}`
    expect(
      redact(`# Netscape HTTP Cookie File\n${jar("sessionid", token)}\n${jar("theme", "dark-mode-preference-on")}`)
    ).toBe(
      `# Netscape HTTP Cookie File\n${jar("sessionid", R("session-cookie"))}\n${jar("theme", "dark-mode-preference-on")}`
    )
    // A value put into a secret's variable, said in a prompt; Italian and English prose with what the secret is of
    const key = g.alnum(40)
    expect(redact(`I put ${key} in AUTH_TOKEN but the app still says unauthorized`)).toBe(
      `I put ${R("secret-assignment")} in AUTH_TOKEN but the app still says unauthorized`
    )
    expect(redact(`La password dell'utente root è ${pw}`)).toBe(
      `La password dell'utente root è ${R("secret-assignment")}`
    )
    expect(redact(`the password of the prod database is ${pw}`)).toBe(
      `the password of the prod database is ${R("secret-assignment")}`
    )
    // Rust's reqwest: `basic_auth(user, Some(password))`; a Playwright selector with quotes inside
    expect(redact(`client.get(url).basic_auth("admin", Some("${pw}")).send()`)).toBe(
      `client.get(url).basic_auth("admin", Some("${R("secret-assignment")}")).send()`
    )
    expect(redact(`.basic_auth("admin", Some(String::from("${pw}")))`)).toBe(
      `.basic_auth("admin", Some(String::from("${R("secret-assignment")}")))`
    )
    expect(redact(`ENV.fetch("DB_PASSWORD") { |k| "${pw}" }`)).toBe(
      `ENV.fetch("DB_PASSWORD") { |k| "${R("secret-assignment")}" }`
    )
    expect(redact(`await page.fill('input[name="password"]', '${key}');`)).toBe(
      `await page.fill('input[name="password"]', '${R("secret-assignment")}');`
    )
    unchanged(
      "I put the new value in AUTH_TOKEN",
      "I put src/config/secrets.ts in the SECRET_PATH",
      "I put YOUR_API_KEY_HERE in API_KEY",
      "La password è troppo corta",
      "the password of the user is stored in vault",
      'basic_auth("admin", None)'
    )
    // Composer's tokens per host: auth.json and `composer config --auth`
    expect(
      redact(`{\n  "github-oauth": {"github.com": "${key}"},\n  "bearer": {\n    "packages.acme.io": "${key}"\n  }\n}`)
    ).toBe(
      `{\n  "github-oauth": {"github.com": "${R("secret-assignment")}"},\n  "bearer": {\n    "packages.acme.io": "${R("secret-assignment")}"\n  }\n}`
    )
    for (const setting of ["github-oauth.github.com", "bearer.packages.acme.io"]) {
      expect(redact(`composer config --global --auth ${setting} ${key}`)).toBe(
        `composer config --global --auth ${setting} ${R("secret-assignment")}`
      )
    }
    unchanged(
      '"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}',
      '{"bearer": {"scheme": "bearer_auth_scheme_x"}}',
      '{"github-oauth": {"github.com": "YOUR_GITHUB_TOKEN"}}',
      "see docs at bearer.md for details"
    )
    // Bundler's credentials for a gem server (.bundle/config, or the environment); its other settings stay
    expect(redact(`BUNDLE_GEMS__CONTRIBSYS__COM: "deploy:${pw}"`)).toBe(
      `BUNDLE_GEMS__CONTRIBSYS__COM: "${R("secret-assignment")}"`
    )
    expect(redact(`export BUNDLE_RUBYGEMS__PKG__GITHUB__COM=dev:${key}`)).toBe(
      `export BUNDLE_RUBYGEMS__PKG__GITHUB__COM=${R("secret-assignment")}`
    )
    unchanged(
      'BUNDLE_MIRROR__RUBYGEMS__ORG: "https://gems.acme.io"',
      'BUNDLE_BUILD__PG: "--with-pg-config=/usr/bin/pg_config"',
      'BUNDLE_PATH: "vendor/bundle"',
      "bundle install --jobs 4"
    )
    // A token in an Anaconda channel's path, SMTP's AUTH PLAIN (\0user\0password), Honeycomb's header
    const conda = `ac-${g.alnum(30).toLowerCase()}1`
    expect(redact(`  - https://conda.anaconda.org/t/${conda}/acme`)).toBe(
      `  - https://conda.anaconda.org/t/${R("conda-token")}/acme`
    )
    const plain = btoa(`\u0000alerts@acme.io\u0000${pw}`)
    expect(redact(` -> AUTH PLAIN ${plain}`)).toBe(` -> AUTH PLAIN ${R("encoded-credentials")}`)
    expect(redact(`curl -H "X-Honeycomb-Team: ${token}" https://api.honeycomb.io/1/auth`)).toBe(
      `curl -H "X-Honeycomb-Team: ${R("authorization-header")}" https://api.honeycomb.io/1/auth`
    )
    unchanged(
      "250-AUTH PLAIN LOGIN CRAM-MD5",
      "AUTH PLAIN authenticationmechanism",
      "conda install -c https://conda.anaconda.org/t/<TOKEN>/acme pkg",
      "https://example.com/t/abcdefghijklmnop1234/x"
    )
    // A review's look-alikes: sentences of other scripts, storage-key constants, names put into variables, words
    // starting with of/di, placeholders of documentation
    unchanged(
      "ログイン画面ではユーザー名とパスワードを入力します。パスワードは8文字以上で、英字と数字を含める必要があります。",
      "用户登录时需要输入用户名和密码。密码是以哈希形式存储在数据库中的，有效期为24小时。",
      "密码是SHA256哈希值",
      "APIキーは環境変数OPENAI_API_KEYに設定してください。",
      "비밀번호는 10~20자리로 입력해주세요",
      '"password_rule": "密码为8-20位字母、数字组合"',
      "const AUTH_KEY = 'auth-storage'",
      "const AUTH_KEY = 'persist:auth'",
      "I put the-quick-brown-fox-jumps in AUTH_TOKEN",
      'private static final String AUTH_KEY = "auth_token_v2";',
      "I put validateToken2FA in AUTH_TOKEN middleware",
      "Then set NEXT_PUBLIC_API_URL2 as the API_KEY fallback",
      "I saved ~/Downloads/key2.json as GOOGLE_APPLICATION_CREDENTIALS",
      "Token offset: 0x7f3a2b",
      "password dialog: LoginDialog2",
      "API key of the tenant: tenant_id_2",
      "WARN mot de passe expiré pour user_42: reset_required=true",
      "Das Kennwort ist abgelaufen",
      "hasło do bazy danych to tajemnica",
      "el token de acceso es inválido",
      "the token de-duplication is 2x faster",
      'BUNDLE_RUBYGEMS__PKG__GITHUB__COM: "USERNAME:TOKEN"',
      'BUNDLE_GEMS__CONTRIBSYS__COM: "username:password"',
      '{"bearer": {"repo.packagist.com": "%env(PACKAGIST_TOKEN)%"}}'
    )
    // and the variants it found leaking
    for (const [before, after] of [
      ["jdbc:oracle:thin:app/", "@orclpdb1"],
      ["jdbc:oracle:thin:ADMIN/", "@mydb_high?TNS_ADMIN=/opt/wallet"],
      ["NONCE_SALT='", "'"],
      ["WORDPRESS_NONCE_SALT: ", ""],
      ["Le mot de passe de l'admin est ", ""],
      ["Пароль от базы данных — ", ""],
      ["Das Kennwort lautet ", ""],
      ["hasło do bazy danych to ", ""],
      ["el token de acceso es ", ""]
    ] as const) {
      expect(redact(`${before}${pw}${after}`)).not.toContain(pw)
    }
    for (const text of [
      `OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=${token}`,
      `{"headers": {"x-honeycomb-team": "${token}"}}`,
      `https://conda.anaconda.org/t/${conda}`,
      `composer config -g -a bearer.repo.packagist.com ${token}`,
      `{"bearer": {"localhost:8080": "${token}"}}`
    ]) {
      expect(redact(text)).not.toContain(text.includes(conda) ? conda : token)
    }
    // Inside a JSON string (a tool's output as the transcript holds it)
    const file = `# Netscape HTTP Cookie File\n${jar("sessionid", token)}\n${jar("_ga", "GA1.2.1234567890.1700000000")}`
    expect(redact(JSON.stringify({ output: file }))).toBe(
      JSON.stringify({ output: file.replace(token, R("session-cookie")) })
    )
    unchanged(
      "Le mot de passe de la base est incorrect",
      "Le mot de passe doit contenir 12 caractères: lettres",
      "パスワードは必須です",
      "密码是 ******",
      "a senha do banco é obrigatória",
      "Das Passwort für den Admin-Zugang lautet wie folgt:",
      "le mot de passe de l'utilisateur est stocké dans config/secrets.yml",
      "パスワードは環境変数 DB_PASSWORD から読み込みます",
      "define('AUTH_KEY', 'put your unique phrase here');",
      "const saltRounds = 12; const SALT = 'abc'",
      'host = ENV.fetch("DB_HOST") { "localhost" }',
      jar("_ga", "GA1.2.1234567890.1700000000")
    )
  })

  it("a cookie header as a name and a value (HAR, Postman), numbered keys, Mattermost webhooks", () => {
    const sid = g.alnum(40)
    expect(redact(`{"name":"Cookie","value":"theme=dark; sid=${sid}"}`)).toBe(
      `{"name":"Cookie","value":"theme=dark; sid=${R("session-cookie")}"}`
    )
    // A HAR's list of cookies: the session's value goes, a preference stays
    expect(redact(`"cookies": [{"name": "theme", "value": "dark"}, {"value": "${sid}", "name": "session_id"}]`)).toBe(
      `"cookies": [{"name": "theme", "value": "dark"}, {"value": "${R("session-cookie")}", "name": "session_id"}]`
    )
    expect(redact(`- name: Set-Cookie\n  value: refresh=${sid}; HttpOnly`)).toBe(
      `- name: Set-Cookie\n  value: refresh=${R("session-cookie")}; HttpOnly`
    )
    const pw = g.password()
    expect(redact(`DB_PASSWORD2=${pw}`)).toBe(`DB_PASSWORD2=${R("secret-assignment")}`)
    // Yarn's .yarnrc.yml: `npmAuthIdent` is `user:password`
    expect(redact(`  npmAuthIdent: "deploy:${pw}"`)).toBe(`  npmAuthIdent: "${R("secret-assignment")}"`)
    expect(redact(`{"name":"password2","value":"${pw}"}`)).toBe(
      `{"name":"password2","value":"${R("secret-assignment")}"}`
    )
    // aws ssm get-parameter --with-decryption: a SecureString's value (a String parameter's stays)
    const ssm = (type: string, value: string) =>
      `{\n  "Parameter": {\n    "Name": "/prod/db/password",\n    "Type": "${type}",\n    "Value": "${value}",\n    "Version": 1\n  }\n}`
    expect(redact(ssm("SecureString", pw))).toBe(ssm("SecureString", R("printed-secret")))
    unchanged(ssm("String", "eu-west-1"))
    const hook = "yz482tpcaeei5gcuqbx56mz7va"
    expect(redact(`MATTERMOST_URL=https://chat.example.com/hooks/${hook}`)).toBe(
      `MATTERMOST_URL=https://chat.example.com/hooks/${R("mattermost-webhook")}`
    )
    unchanged(
      '{"name": "Cookie", "value": "theme=dark; lang=en"}',
      "sha256=3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345",
      "base64 -d < in.txt; oauth2_scopes=read",
      "import { useAuth } from '../hooks/useauthenticationcontext1'",
      "see src/hooks/a1b2c3d4e5f6g7h8i9j0k1l2m3.ts"
    )
  })

  it("a JSON Web Key's private members, and what a browser test types into a password field", () => {
    const b = () => g.b64url(43)
    const [x, y, d, k] = [b(), b(), b(), b()]
    expect(redact(`{"kty":"EC","crv":"P-256","x":"${x}","y":"${y}","d":"${d}","kid":"sig-1"}`)).toBe(
      `{"kty":"EC","crv":"P-256","x":"${x}","y":"${y}","d":"${R("private-key")}","kid":"sig-1"}`
    )
    expect(redact(`{"d": "${d}", "kty": "OKP", "crv": "Ed25519", "x": "${x}"}`)).toBe(
      `{"d": "${R("private-key")}", "kty": "OKP", "crv": "Ed25519", "x": "${x}"}`
    )
    expect(redact(`{"kty": "oct", "k": "${k}"}`)).toBe(`{"kty": "oct", "k": "${R("private-key")}"}`)
    // A public key (a JWKS endpoint's answer) has no private member.
    unchanged(`{"keys":[{"kty":"RSA","e":"AQAB","n":"${g.b64url(342)}","kid":"k1","use":"sig"}]}`)
    const pw = g.password()
    expect(redact(`await page.fill('#password', '${pw}');`)).toBe(
      `await page.fill('#password', '${R("secret-assignment")}');`
    )
    expect(redact(`cy.get('input[name=password]').type('${pw}')`)).toBe(
      `cy.get('input[name=password]').type('${R("secret-assignment")}')`
    )
    // Oracle's thin driver: the password between `user/` and the `@` before the host (a password may hold an `@`)
    expect(redact("jdbc:oracle:thin:scott/Xq7pL2v@tCr-wW@//db.example.com:1521/ORCLPDB1")).toBe(
      `jdbc:oracle:thin:scott/${R("connection-string")}@//db.example.com:1521/ORCLPDB1`
    )
    expect(redact(`jdbc:oracle:thin:scott/${pw}@//db.example.com:1521/ORCLPDB1`)).toBe(
      `jdbc:oracle:thin:scott/${R("connection-string")}@//db.example.com:1521/ORCLPDB1`
    )
    unchanged(
      "jdbc:oracle:thin:@//db.example.com:1521/ORCLPDB1",
      // when a password was last used (aws iam get-user) is no password
      '{"User": {"UserName": "dev", "PasswordLastUsed": "2025-03-14T09:12:44+00:00"}}',
      "password_changed_at: 2025-03-14 09:12:44Z",
      "await page.fill('#password', process.env.E2E_PASSWORD);",
      "await page.getByLabel('Password').fill(password);",
      "await page.fill('#username', 'alice@example.com');"
    )
  })

  it("a secret an agent quotes in backticks after naming it", () => {
    const pw = g.password().replace(/[`\s]/g, "x")
    const key = g.alnum(40)
    expect(redact(`The Postgres password in docker-compose.yml is \`${pw}\`, and it matches .env.`)).toBe(
      `The Postgres password in docker-compose.yml is \`${R("secret-assignment")}\`, and it matches .env.`
    )
    expect(redact(`I found the key in \`config/prod.yml\`: \`${key}\`. You should rotate it.`)).toBe(
      `I found the key in \`config/prod.yml\`: \`${R("secret-assignment")}\`. You should rotate it.`
    )
    unchanged(
      "The password is read from `DB_PASSWORD` at startup.",
      "The token count is `128000`.",
      "The secret name is `prod-db-credentials-v2`.",
      "The commit with the token fix is `3f9c2a1b7d4e`.",
      "The token is stored in `~/.config/gh/hosts.yml`.",
      "The token is `v1.2.3-beta4`."
    )
  })

  it("lines behind a tool's prefix: grep -n, cat -n and nl, a diff's + and -, docker compose logs", () => {
    // (each was redacted as a line of its own and leaked behind the prefix: rules that expect a command, a key or a
    // URL at the start of a line did not see it there)
    const pw = g.password()
    const hex = g.hex(40)
    const lines: ReadonlyArray<readonly [string, string]> = [
      [`curl -u admin:${pw} https://jenkins.example.com/api/json`, pw],
      [`mysql -h 127.0.0.1 -u root -p${pw} shop -e 'show tables'`, pw],
      [`token: ${hex}`, hex],
      [`set -gx CLOUDFLARE_API_TOKEN ${g.b64url(40)}`, ""],
      [`amqps://bunny:${pw}@rattlesnake.rmq.example.com/bunny`, pw],
      [`password    ${pw}`, pw]
    ]
    // (a removed line's `-` in a diff: YAML and Markdown lists start with `-` too)
    const diff = "diff --git a/run.sh b/run.sh\n@@ -1,2 +1,2 @@\n"
    const prefixes = ["scripts/db.sh:7:", "     7\t", "     7→", "+", "api-1  | "].map((p) => ["", p] as const)
    for (const [bare, given] of lines) {
      const secret = given === "" ? (bare.split(" ").at(-1) ?? "") : given
      expect(gone(bare, secret), bare).toBe(true)
      for (const [head, prefix] of [...prefixes, [diff, "-"] as const, [diff, "+"] as const]) {
        const text = `${head}${prefix}${bare}\n${prefix}echo done`
        const out = redact(text)
        expect(out.includes(secret), text).toBe(false)
        expect(out.startsWith(`${head}${prefix}`) && out.endsWith(`\n${prefix}echo done`), out).toBe(true)
      }
    }
    // What is no secret stays as it is behind a prefix too.
    unchanged(
      "src/index.ts:12:const token = process.env.GITHUB_TOKEN",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder as a config file or diff holds it, not a template
      "+  password: ${DB_PASSWORD}\n-  password: changeme-in-prod-placeholder",
      "     1\tcommit 3f9c2a1b7d4e5f60718293a4b5c6d7e8f9012345\n     2\tAuthor: Dev <dev@example.com>",
      "web-1  | GET /api/health 200 3ms"
    )
  })

  it("age secret keys", () => {
    const key = `AGE-SECRET-KEY-1${g.bech32(58)}`
    expect(redact(`# public key: age1qpzry9x8gf2tvdw0s3jn54khce6mua7l\n${key}`)).toContain(R("age-secret-key"))
    expect(gone(`SOPS_AGE_KEY=${key}`, key)).toBe(true)
  })

  it("Azure SAS signatures and Azure AD client secrets", () => {
    const sig = encodeURIComponent(`${g.b64(43)}=`)
    const url = `https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01&sig=${sig}`
    expect(redact(url)).toBe(url.replace(sig, R("azure-sas-token")))
    const secret = `Ab1${g.int(10)}Q~${g.alnum(34)}`
    expect(redact(`"clientSecret": "${secret}"`)).toBe(`"clientSecret": "${R("azure-client-secret")}"`)
    expect(gone(`--password ${secret}`, secret)).toBe(true)
  })

  it("Doppler, Vault, Linear, Shopify and DigitalOcean tokens", () => {
    const doppler = `dp.st.prd.${g.alnum(40)}`
    const vault = `hvs.${g.b64url(91)}`
    const legacy = `s.${g.alnum(24)}`
    const linear = `lin_api_${g.alnum(40)}`
    const shopify = `shpat_${g.hex(32)}`
    const digitalocean = `dop_v1_${g.hex(64)}`
    expect(redact(`DOPPLER_TOKEN="${doppler}"`)).toBe(`DOPPLER_TOKEN="${R("doppler-token")}"`)
    expect(redact(`X-Vault-Token: ${vault}`)).toBe(`X-Vault-Token: ${R("vault-token")}`)
    expect(redact(`$ vault login ${legacy}`)).toBe(`$ vault login ${R("vault-token")}`)
    expect(redact(`Authorization: ${linear}`)).toContain(R("linear-api-key"))
    expect(redact(`X-Shopify-Access-Token: ${shopify}`)).toBe(`X-Shopify-Access-Token: ${R("shopify-token")}`)
    expect(redact(`doctl auth init -t ${digitalocean}`)).toBe(`doctl auth init -t ${R("digitalocean-token")}`)
  })

  it("Heroku API keys by context (env, .netrc, heroku auth:token)", () => {
    const key = g.uuid()
    expect(redact(`HEROKU_API_KEY=${key}`)).toBe(`HEROKU_API_KEY=${R("secret-assignment")}`)
    const netrc = `machine api.heroku.com\n  login dev@example.com\n  password ${key}`
    expect(redact(netrc)).toBe(netrc.replace(key, R("netrc-password")))
    expect(gone(`$ heroku auth:token\n${key}`, key)).toBe(true)
  })

  it("Discord bot tokens and webhooks", () => {
    const token = `${toBase64(g.digits(18), true)}.${g.b64url(6)}.${g.b64url(38)}`
    expect(redact(`client.run("${token}")`)).toBe(`client.run("${R("discord-token")}")`)
    const hook = g.b64url(68)
    expect(redact(`https://discord.com/api/webhooks/${g.digits(18)}/${hook}`)).toContain(R("discord-webhook"))
  })

  it("Datadog API and application keys by context", () => {
    const api = g.hex(32)
    const app = g.hex(40)
    expect(gone(`DD_API_KEY=${api} DD_APP_KEY=${app} datadog-agent run`, api, app)).toBe(true)
    expect(gone(`curl -H "DD-API-KEY: ${api}" -H "DD-APPLICATION-KEY: ${app}"`, api, app)).toBe(true)
    expect(gone(`datadog:\n  apiKey: ${api}\n  appKey: ${app}`, api, app)).toBe(true)
  })

  it("Twilio account SIDs with their auth tokens", () => {
    const sid = `AC${g.hex(32)}`
    const token = g.hex(32)
    expect(redact(`client = Client("${sid}", "${token}")`)).toBe(
      `client = Client("${R("twilio-account-sid")}", "${R("twilio-auth-token")}")`
    )
    expect(gone(`curl https://api.twilio.com -u ${sid}:${token}`, token)).toBe(true)
  })

  it("HTTP basic auth in URLs, headers and continued curl lines", () => {
    const pw = g.password()
    expect(redact(`curl -X GET \\\n  -u admin:${pw} \\\n  https://ci.example.com`)).toBe(
      `curl -X GET \\\n  -u admin:${R("basic-auth")} \\\n  https://ci.example.com`
    )
    const header = toBase64(`deploy:${g.password()}`)
    expect(redact(`headers = {"Authorization": "Basic ${header}"}`)).toContain(R("basic-auth"))
    expect(gone(`r = requests.get(url, auth=("admin", "${pw}"))`, pw)).toBe(true)
  })

  it("AWS secret access keys next to their key ids", () => {
    const id = `AKIA${g.upper32(16)}`
    const secret = g.b64(40)
    expect(redact(`AWS Access Key ID [None]: ${id}\nAWS Secret Access Key [None]: ${secret}`)).toBe(
      `AWS Access Key ID [None]: ${R("aws-access-key")}\nAWS Secret Access Key [None]: ${R("aws-secret-key")}`
    )
    expect(redact(`deploy,,${id},${secret},https://console`)).toBe(
      `deploy,,${R("aws-access-key")},${R("aws-secret-key")},https://console`
    )
    expect(gone(`creds := credentials.NewStaticCredentials("${id}", "${secret}", "")`, id, secret)).toBe(true)
  })
})

describe("redactText: secrets behind escapes, encodings and colours", () => {
  const ESC = "\u001b"
  it("a token or an assignment coloured by a terminal (real or spelled-out escape characters)", () => {
    const gh = `ghp_${g.alnum(36)}`
    expect(redact(`Token created: ${ESC}[33m${gh}${ESC}[0m`)).toBe(
      `Token created: ${ESC}[33m${R("github-token")}${ESC}[0m`
    )
    // The raw text of a JSON line spells the escape character out
    expect(redact(`"stdout":"\\u001b[32m${gh}\\u001b[39m"`)).toBe(
      `"stdout":"\\u001b[32m${R("github-token")}\\u001b[39m"`
    )
    const webhook = g.alnum(32)
    const line = `${ESC}[36mSTRIPE_WEBHOOK_SECRET${ESC}[39m=${ESC}[32m${webhook}${ESC}[39m`
    expect(gone(line, webhook)).toBe(true)
    const openai = `sk-proj-${g.b64url(120)}`
    expect(gone(`${ESC}[1mOPENAI_API_KEY${ESC}[0m: ${ESC}[32m${openai}${ESC}[39m`, openai)).toBe(true)
  })

  it("a token after a backslash escape in raw JSON text, and inside a JSON line quoted in another (two levels)", () => {
    const gh = `ghp_${g.alnum(36)}`
    const hook = `{"tool_response":{"stdout":"$ gh auth token\\n${gh}\\n","stderr":""}}`
    expect(redact(hook)).toBe(`{"tool_response":{"stdout":"$ gh auth token\\n${R("github-token")}\\n","stderr":""}}`)
    const ant = `sk-ant-api03-${g.b64url(93)}AA`
    const aws = `AKIA${g.upperAlnum(16)}`
    const inner = JSON.stringify({ type: "user", message: { content: `keys:\n${ant}\n${aws}\n` } })
    const outer = JSON.stringify({ tool_result: inner })
    expect(gone(outer, ant, aws)).toBe(true)
    expect(gone(`STRIPE\\t${`sk_live_${g.alnum(99)}`}`, "sk_live_")).toBe(true)
    const pw = g.alnum(16)
    expect(gone(`{\\"password\\":\\"${pw}\\"}`, pw)).toBe(true)
  })

  it("percent-encoded and HTML-escaped contexts", () => {
    const gh = `ghp_${g.alnum(36)}`
    expect(redact(`https://ci.example.com/hook?token%3D${gh}%26ref%3Dmain`)).toBe(
      `https://ci.example.com/hook?token%3D${R("github-token")}%26ref%3Dmain`
    )
    const pw = g.alnum(16)
    expect(gone(`?payload=%7B%22user%22%3A%22dev%22%2C%22password%22%3A%22${pw}%22%7D`, pw)).toBe(true)
    expect(
      gone(`<div data-config="{&quot;user&quot;:&quot;dev&quot;,&quot;password&quot;:&quot;${pw}&quot;}">`, pw)
    ).toBe(true)
    const slack = `T${g.upperAlnum(8)}\\/B${g.upperAlnum(10)}\\/${g.alnum(24)}`
    expect(gone(`{"webhook_url":"https:\\/\\/hooks.slack.com\\/services\\/${slack}"}`, slack.slice(-24))).toBe(true)
  })

  it("leaves escaped text without secrets exactly as it was", () => {
    const texts = [
      `${ESC}[1mPASS${ESC}[22m src/index.test.ts (12 tests) ${ESC}[2m3 ms${ESC}[22m`,
      '{"text":"line one\\nline two\\t\\"quoted\\" \\u00e9t\\u00e9"}',
      "https://example.com/search?q=hello%20world&lang=en%2Dus",
      "<p>Tom &amp; Jerry &lt;3 &quot;cheese&quot;</p>",
      'console.log("done\\n"); const re = /\\d+%/; printf("%d%%\\n", 42)'
    ]
    unchanged(...texts)
  })
})

describe("redactText: signed URLs, cookies and typed declarations", () => {
  it("the signature of a signed URL (S3, GCS, CloudFront)", () => {
    const s3 = g.hex(64)
    expect(
      gone(
        `https://bucket.s3.amazonaws.com/a.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${s3}`,
        s3
      )
    ).toBe(true)
    const gcs = g.hex(512)
    expect(
      gone(`https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=${gcs}`, gcs)
    ).toBe(true)
    const cf = `${g.b64url(40)}~${g.b64url(40)}__`
    expect(
      gone(
        `https://d111111abcdef8.cloudfront.net/v.mp4?Expires=1717250400&Signature=${cf}&Key-Pair-Id=K2JCJMDEHXQW5F`,
        cf
      )
    ).toBe(true)
    // A signature's name alone is not a secret, nor is code computing one
    unchanged("const signature = sign(payload, key)", "signatureVersion: 4", "Signature: verified")
  })

  it("session cookies in headers, Set-Cookie lines and curl's -b", () => {
    const php = g.lowerAlnum(26)
    expect(redact(`Cookie: PHPSESSID=${php}; lang=en`)).toBe(`Cookie: PHPSESSID=${R("session-cookie")}; lang=en`)
    const sid = `s%3A${g.b64url(32)}.${g.b64url(43)}`
    expect(redact(`< Set-Cookie: connect.sid=${sid}; Path=/; HttpOnly`)).toBe(
      `< Set-Cookie: connect.sid=${R("session-cookie")}; Path=/; HttpOnly`
    )
    const csrf = g.alnum(32)
    const session = g.lowerAlnum(32)
    expect(
      gone(`curl -b "csrftoken=${csrf}; sessionid=${session}" https://app.example.com/admin/`, csrf, session)
    ).toBe(true)
    const flask = `eyJ1c2VyX2lkIjo0Mn0.${g.b64url(6)}.${g.b64url(27)}`
    expect(gone(`Set-Cookie: session=${flask}; HttpOnly; Path=/`, flask)).toBe(true)
    const rails = `${g.b64url(60)}--${g.b64url(20)}--${g.b64url(22)}`
    expect(gone(`Cookie: _acme_session=${rails}`, rails)).toBe(true)
    unchanged("Cookie: lang=en; theme=dark", "Set-Cookie: seen=1; Path=/; Max-Age=3600", "document.cookie = name")
  })

  it("values of typed declarations and constructor-wrapped literals", () => {
    const value = g.alnum(32)
    for (const text of [
      `const val SERVER_TOKEN: String = "${value}"`,
      `const apiKey: string = '${value}'`,
      `let apiKey: String = "${value}"`,
      `let client_secret: &str = "${value}";`,
      `let client_secret = String::from("${value}");`,
      `private val password: String? = "${value}"`
    ]) {
      expect(redact(text)).toBe(text.replace(value, R("secret-assignment")))
    }
    unchanged(
      "const password: string = getPassword()",
      "token: Option<String> = None",
      `let s = String::from("${value}")`
    )
  })
})

describe("redactText: secrets printed by a command, told in prose, or of formats added from the evaluation", () => {
  it("the value a REPL prints for a secret-named environment variable, quoted as it prints it", () => {
    const v = g.alnum(32)
    const cases = [
      ["> process.env.SESSION_SECRET", `'${v}'`],
      ['>>> os.environ["API_TOKEN"]', `'${v}'`],
      ['irb(main):001> ENV["DB_PASSWORD"]', `"${v}"`],
      ['In [4]: os.getenv("STRIPE_SECRET")', `'${v}'`]
    ] as const
    for (const [read, printed] of cases) {
      expect(redact(`${read}\n${printed}\n> `)).toBe(`${read}\n${printed.replace(v, R("printed-secret"))}\n> `)
    }
    unchanged(`> process.env.NODE_ENV\n'production'\n> `, `> process.env.API_TOKEN\nundefined\n> `)
  })

  it("the values of an SQL INSERT whose columns are secret-named, row by row", () => {
    const [a, b, c] = [g.alnum(40), g.alnum(40), `${g.alnum(12)}9`]
    expect(
      redact(`INSERT INTO api_keys (name, key, created_at) VALUES ('ci', '${a}', now()), ('deploy', '${b}', now());`)
    ).toBe(
      `INSERT INTO api_keys (name, key, created_at) VALUES ('ci', '${R("secret-assignment")}', now()), ('deploy', '${R("secret-assignment")}', now());`
    )
    expect(redact(`INSERT INTO users (email, password) VALUES ('ada@example.com', '${c}');`)).toBe(
      `INSERT INTO users (email, password) VALUES ('ada@example.com', '${R("secret-assignment")}');`
    )
    unchanged(
      "INSERT INTO settings (key, value) VALUES ('theme', 'dark'), ('language', 'en-GB');",
      "INSERT INTO users (email, password_hash) VALUES ('ada@example.com', '$2b$12$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU');",
      "INSERT INTO api_keys (name, key) VALUES ('ci', $1);"
    )
  })

  it("the value member of a secret-named object (terraform output -json), not a schema's", () => {
    const v = `${g.alnum(20)}9`
    expect(redact(`{"db_password": {"sensitive": true, "type": "string", "value": "${v}"}}`)).toBe(
      `{"db_password": {"sensitive": true, "type": "string", "value": "${R("secret-assignment")}"}}`
    )
    unchanged(
      '{"password": {"type": "string", "description": "The value of the user\'s password"}}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: literal Terraform syntax, not a template
      '{"api_key": {"type": "string", "value": "${var.api_key}"}}',
      '{"password": {"minLength": 12, "value": ""}}'
    )
  })

  it("what Vault's init, Consul's and Nomad's ACL bootstrap, Argo CD's first password and Grafana's reset print or take", () => {
    const unseal = [g.b64(44), g.b64(44)]
    expect(redact(`$ vault operator init\nUnseal Key 1: ${unseal[0]}\nUnseal Key 2: ${unseal[1]}\n`)).toBe(
      `$ vault operator init\nUnseal Key 1: ${R("printed-secret")}\nUnseal Key 2: ${R("printed-secret")}\n`
    )
    const accessor = g.uuid()
    const secret = g.uuid()
    expect(redact(`AccessorID:       ${accessor}\nSecretID:         ${secret}\nLocal: false`)).toBe(
      `AccessorID:       ${accessor}\nSecretID:         ${R("printed-secret")}\nLocal: false`
    )
    expect(redact(`Accessor ID  = ${accessor}\nSecret ID    = ${secret}\nName = Bootstrap Token`)).toBe(
      `Accessor ID  = ${accessor}\nSecret ID    = ${R("printed-secret")}\nName = Bootstrap Token`
    )
    const first = `${g.alnum(9)}-${g.alnum(6)}`
    expect(redact(`$ argocd admin initial-password -n argocd\n${first}\n`)).toBe(
      `$ argocd admin initial-password -n argocd\n${R("printed-secret")}\n`
    )
    const pw = g.alnum(16)
    expect(redact(`$ grafana-cli admin reset-admin-password ${pw}`)).toBe(
      `$ grafana-cli admin reset-admin-password ${R("cli-password")}`
    )
    // An id that is not a secret's, a short key, a UUID numbered "Key 1:"
    for (const text of [`SecretsManagerID: ${g.uuid()}`, "Unseal Key 1: short", `Key 1: ${g.uuid()}`]) {
      expect(redact(text)).toBe(text)
    }
  })

  it("the line a secret-printing command prints", () => {
    const gh = `gho_${g.alnum(36)}`
    expect(gone(`$ gh auth token\n${gh}\n$ `, gh)).toBe(true)
    const master = g.hex(32)
    expect(redact(`$ cat config/master.key\n${master}\n`)).toBe(`$ cat config/master.key\n${R("printed-secret")}\n`)
    const db = g.alnum(20)
    expect(gone(`$ gcloud secrets versions access latest --secret=db-password\n${db}`, db)).toBe(true)
    const k8s = g.alnum(20)
    expect(gone(`$ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\n${k8s}`, k8s)).toBe(true)
    const env = `ghp_${g.alnum(36)}`
    expect(gone(`% echo $GITHUB_TOKEN\n${env}`, env)).toBe(true)
    // Not a value: an error message, a path, a placeholder; nor the output of a command that prints no secret
    unchanged(
      "$ gh auth token\nno oauth token found for github.com",
      "$ cat config/master.key\ncat: config/master.key: No such file or directory",
      "$ echo $API_TOKEN\n$API_TOKEN",
      `$ cat README.md\n${g.hex(32)}`,
      `$ git rev-parse HEAD\n${g.hex(40)}`
    )
  })

  it("passwords and keys told in prose", () => {
    const a = `Tr0ub4dor&${g.digits(3)}`
    expect(redact(`FYI the root password is: ${a} (rotate it)`)).toBe(
      `FYI the root password is: ${R("secret-assignment")} (rotate it)`
    )
    const b = `fbqrBmbEJl!`
    expect(gone(`You can log in as admin with password ${b}`, b)).toBe(true)
    const c = g.alnum(32)
    expect(gone(`Here's the API key for staging: ${c}`, c)).toBe(true)
    const d = `Summer2024!${g.upperAlnum(4)}`
    expect(gone(`creds for the staging box -> user: deploy / pw: ${d}`, d)).toBe(true)
    const e = g.alnum(32)
    expect(gone(`temp: hardcode token ${e} for demo`, e)).toBe(true)
    unchanged(
      "- `args`: optional arguments to pass through.\\n\\nOnly names from the list",
      "Reset your password Tomorrow morning",
      "the token JWT_SECRET_2024 is read from the environment",
      "use the password field below",
      "a token v1.2.3-beta was issued"
    )
  })

  it("Mailgun's keys since 2023 and dbt Cloud's tokens, with no key name around them", () => {
    const mailgun = `${g.hex(32)}-${g.hex(8)}-${g.hex(8)}`
    expect(redact(`mailgun.client({ username: 'api', key: '${mailgun}' })`)).toBe(
      `mailgun.client({ username: 'api', key: '${R("mailgun-api-key")}' })`
    )
    expect(redact(`try ${mailgun} now`)).toBe(`try ${R("mailgun-api-key")} now`)
    const dbt = `dbtc_${g.alnum(20)}_${g.alnum(19)}`
    expect(redact(`ok use this one for dbt Cloud: ${dbt}`)).toBe(
      `ok use this one for dbt Cloud: ${R("dbt-cloud-token")}`
    )
    // A UUID followed by another group is not one; nor digits alone
    const uuidish = `${g.uuid()}-${g.hex(8)}`
    expect(redact(`trace ${uuidish}`)).toBe(`trace ${uuidish}`)
    expect(redact(`${"1".repeat(32)}-12345678-12345678`)).toBe(`${"1".repeat(32)}-12345678-12345678`)
  })

  it("ngrok's authtoken and LaunchDarkly's SDK and mobile keys", () => {
    const ngrok = `2${g.alnum(26)}_${g.alnum(21)}`
    expect(gone(`$ ngrok config add-authtoken ${ngrok}`, ngrok)).toBe(true)
    expect(gone(`ngrok authtoken ${ngrok}`, ngrok)).toBe(true)
    const sdk = `sdk-${g.uuid()}`
    const mob = `mob-${g.uuid()}`
    expect(redact(`LaunchDarkly.init('${sdk}')`)).toBe(`LaunchDarkly.init('${R("launchdarkly-key")}')`)
    expect(redact(`LAUNCHDARKLY_MOBILE_KEY=${mob}`)).toBe(`LAUNCHDARKLY_MOBILE_KEY=${R("launchdarkly-key")}`)
  })

  it("a wallet's seed words under mnemonic, seed phrase or recovery phrase names", () => {
    const words = Array.from({ length: 12 }, () =>
      g.pick([
        "legal",
        "winner",
        "thank",
        "year",
        "wave",
        "sausage",
        "worth",
        "useful",
        "abandon",
        "ability",
        "absurd",
        "yellow"
      ])
    ).join(" ")
    expect(redact(`MNEMONIC="${words}"`)).toBe(`MNEMONIC="${R("secret-assignment")}"`)
    expect(redact(`seed_phrase: ${words}`)).toBe(`seed_phrase: ${R("secret-assignment")}`)
    expect(redact(`Your recovery phrase: ${words}`)).toBe(`Your recovery phrase: ${R("secret-assignment")}`)
    expect(redactValue({ mnemonic: words })).toEqual({ mnemonic: R("secret-field") })
    unchanged(
      "the mnemonic is stored in the keychain",
      "const mnemonic = generateMnemonic()",
      "a phrase: to be or not to be that is the question whether tis nobler in the mind"
    )
  })

  it("leaves a signing key's id, GraphQL's non-null types and actions on secrets alone", () => {
    unchanged(
      "gpg --armor --export-secret-keys dev@example.com > private.asc",
      "gcloud secrets versions access latest --secret=db-password --project=acme",
      "show_password: true",
      `git config --global user.signingkey ${g.hex(16).toUpperCase()}`,
      "signingkey = ~/.ssh/id_ed25519.pub",
      "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) }"
    )
  })
})

describe("redactText on raw JSON lines: what a decoded view finds ends where its string ends", () => {
  it("keeps the JSON around a value at the end of an escaped string, one or two levels deep", () => {
    const key = g.alnum(32)
    const line = JSON.stringify({ type: "user", content: `ok\nAPI_KEY=${key}`, is_error: false, uuid: g.uuid() })
    const out = redact(line)
    expect(out).not.toContain(key)
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(line), content: `ok\nAPI_KEY=${R("secret-assignment")}` })
    const pw = g.alnum(20)
    const inner = JSON.stringify({ type: "tool_result", content: `db:\n  host: localhost\n  password: ${pw}` })
    const outer = JSON.stringify({ content: inner, is_error: false })
    const twice = redact(outer)
    expect(twice).not.toContain(pw)
    expect(JSON.parse(JSON.parse(twice).content)).toEqual({
      type: "tool_result",
      content: `db:\n  host: localhost\n  password: ${R("secret-assignment")}`
    })
    // What is left once the string's end is respected is no secret
    const empty = JSON.stringify({ content: "APP_KEY=\nDB_PASSWORD=\nREDIS_PASSWORD=null", is_error: false })
    expect(redact(empty)).toBe(empty)
    const prompt = JSON.stringify({ content: "mysql -u root -p\nEnter password: ********" })
    expect(redact(prompt)).toBe(prompt)
  })

  it("reads what starts or ends a JSON string, and what is written in one with escaped quotes, and keeps the JSON whole", () => {
    const token = `cio${g.alnum(32)}`
    const pw = g.alnum(16)
    // A command that is a whole string: its token ends where the string does
    expect(redact(`{"command":"cargo login ${token}"}`)).toBe(`{"command":"cargo login ${R("cli-password")}"}`)
    // Calls and pipes with escaped quotes, at the start of a string (no line break before them)
    for (const text of [
      `{"content":"conn = DriverManager.getConnection(url, \\"root\\", \\"${pw}\\");"}`,
      `{"new_string":"pika.PlainCredentials(\\"orders\\", \\"${pw}\\")"}`,
      `{"command":"echo \\"${pw}\\" | npx wrangler secret put API_TOKEN"}`,
      `{"content":"app.secret_key = b\\"${g.hex(32)}\\""}`
    ]) {
      const out = redact(text)
      expect(out, text).not.toMatch(new RegExp(`${pw}|[0-9a-f]{32}`))
      expect(() => JSON.parse(out), out).not.toThrow()
    }
    // A value at the end of a string inside a string: the escaped quote that closes it stays
    const nested = JSON.stringify({ a: JSON.stringify({ b: "the root password is Velvet&6068" }) })
    expect(JSON.parse(JSON.parse(redact(nested)).a)).toEqual({ b: `the root password is ${R("secret-assignment")}` })
    // A key that runs to the end of its string (a PuTTY key file's last line) leaves the members after it alone
    const ppk = [
      "PuTTY-User-Key-File-3: ssh-rsa",
      "Encryption: none",
      "Comment: deploy",
      "Public-Lines: 1",
      g.b64(64),
      "Private-Lines: 1",
      g.b64(64),
      `Private-MAC: ${g.hex(64)}`
    ].join("\n")
    const result = redact(JSON.stringify({ content: ppk, is_error: false }))
    expect(JSON.parse(result)).toMatchObject({ is_error: false })
    expect(result).toContain(R("private-key"))
  })

  it("reads a command that starts a JSON string", () => {
    const pw = g.alnum(20)
    expect(gone(`"command": "curl -u admin:${pw} https://ci.example.com/api/json",`, pw)).toBe(true)
    expect(gone(`"command": "mysql -uroot -p${pw} -h 127.0.0.1 app"`, pw)).toBe(true)
    expect(gone(`"command": "sshpass -p ${pw} ssh deploy@10.0.1.12 uptime"`, pw)).toBe(true)
  })

  it("a secret-looking literal passed to a call named for a credential, not its names, ids and algorithms", () => {
    const pw = g.alnum(16)
    const key = g.b64(44)
    for (const [text, secret] of [
      [`var cred = new AzureKeyCredential("${g.hex(32)}");`, undefined],
      [`credentials = pika.PlainCredentials("orders", "${pw}")`, pw],
      [`req.SetBasicAuth("admin", "${pw}")`, pw],
      [`Keys.hmacShaKeyFor("${g.alnum(32)}".getBytes())`, undefined],
      [`new SymmetricSecurityKey(Encoding.UTF8.GetBytes("${g.alnum(32)}"))`, undefined],
      [`new AuthenticationHeaderValue("Bearer", "${g.alnum(40)}")`, undefined],
      [`new NetworkCredential("svc_user", "${pw}", "CORP")`, pw],
      [`new StorageSharedKeyCredential("acmestorage", "${key}")`, key]
    ] as const) {
      const out = redact(text)
      expect(out, text).toContain(R("secret-assignment"))
      if (secret !== undefined) expect(out).not.toContain(secret)
      // and in a tool result's JSON
      expect(redact(JSON.stringify({ content: text }))).toContain(R("secret-assignment"))
    }
    // Names, ids, hosts, algorithms and identifiers stay
    for (const text of [
      'new DefaultAzureCredential({ tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" })',
      'withKeyPath("getUint8Array", key, path)',
      'getSecret("prod-db-password")',
      "new ClientSecretCredential(tenant, clientId, process.env.AZURE_CLIENT_SECRET)",
      'createToken("HS256", payload)',
      'new BasicAuthProvider("smtp.mailgun.org", "postmaster")',
      'credentials.from_service_account_file("keys/sa-prod-2024.json")'
    ]) {
      expect(redact(text), text).toBe(text)
    }
  })

  it("a key given to a call that takes one without naming it (HMAC, Fernet, a JWT's signing), not its other arguments", () => {
    for (const [text, secret] of [
      [`const sig = crypto.createHmac("sha256", "${g.alnum(24)}").update(body).digest("hex")`, "sha256"],
      [`h = hmac.new(b"${g.alnum(20)}", msg, hashlib.sha256)`, undefined],
      [`mac := hmac.New(sha256.New, []byte("${g.alnum(20)}"))`, undefined],
      [`f = Fernet(b"${g.alnum(30)}-${g.alnum(6)}_${g.alnum(5)}=")`, undefined],
      [`tokenString, err := token.SignedString([]byte("${g.alnum(12)}!${g.alnum(6)}7"))`, undefined]
    ] as const) {
      const out = redact(text)
      expect(out, text).toContain(R("secret-assignment"))
      if (secret !== undefined) expect(out).toContain(secret)
      expect(redact(JSON.stringify({ content: text }))).toContain(R("secret-assignment"))
    }
    for (const text of [
      'const sig = crypto.createHmac("sha256", process.env.WEBHOOK_SECRET)',
      "h = hmac.new(key, msg, hashlib.sha256)",
      'mac := hmac.New(sha256.New, []byte(os.Getenv("JWT_KEY")))',
      "f = Fernet(Fernet.generate_key())",
      "tokenString, err := token.SignedString(signingKey)",
      'expected := hmac.New(sha256.New, secret); expected.Write([]byte("application/json"))'
    ]) {
      expect(redact(text), text).toBe(text)
    }
  })

  it("a user:password pair encoded for basic auth (btoa, b64encode, Buffer.from … base64): the password", () => {
    const pw = g.alnum(14)
    for (const text of [
      `headers: { Authorization: "Basic " + btoa("deploy:${pw}") }`,
      `auth = base64.b64encode(b"admin:${pw}").decode()`,
      `const auth = Buffer.from("ci-bot:${pw}").toString("base64")`,
      `const auth = Buffer.from('ci-bot:${pw}').toString('base64')`
    ]) {
      const out = redact(text)
      expect(out, text).not.toContain(pw)
      expect(out).toContain(R("basic-auth"))
      expect(out).toMatch(/(deploy|admin|ci-bot):\[REDACTED/)
    }
    for (const text of [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal, not one
      "btoa(`${user}:${password}`)",
      'Buffer.from("hello:world-wide-web")',
      'Buffer.from("text:plain", "utf8")',
      'const auth = Buffer.from(user + ":" + pass).toString("base64")',
      'btoa("user:<password>")',
      'base64.b64encode(b"key:value")'
    ]) {
      expect(redact(text), text).toBe(text)
    }
  })

  it("test runners' PASS lines and relative paths are not passwords (go test, make check)", () => {
    unchanged(
      "--- PASS: TestParseConfig/valid_input (0.00s)",
      "    --- PASS: TestValidateAPIKey/empty_key (0.00s)",
      "PASS: tests/test-parser",
      "Pass: tests/e2e/login_flow",
      "key: src/components/Button_v2"
    )
    // Base64 with a slash, or random segments, still are
    const aws = `${g.alnum(6)}/${g.alnum(33)}`
    expect(gone(`aws_secret_access_key = ${aws}`, aws)).toBe(true)
    expect(redact("password: AbCdEfGh/XyZwQrSt")).toBe(`password: ${R("secret-assignment")}`)
  })

  it("a flag's password stops where a JSON string or a call ends (mysql -p at the end of a command)", () => {
    for (const text of [
      '{"command":"mysql -u root -p","description":"connect"}',
      '{"command":"sshpass -p","timeout":5}',
      "(then run mysql -u root -p)",
      '"allow": ["Bash(mysql -u root -p:*)"]'
    ]) {
      expect(redact(text), text).toBe(text)
      const wrapped = JSON.stringify({ content: text })
      expect(redact(wrapped), wrapped).toBe(wrapped)
      const twice = JSON.stringify({ content: wrapped })
      expect(redact(twice), twice).toBe(twice)
    }
    const pw = g.alnum(14)
    expect(gone(`mysql -uroot -p${pw} app`, pw)).toBe(true)
    expect(gone(`sshpass -p "${pw.slice(0, 6)},${pw.slice(6)}" ssh host`, pw.slice(6))).toBe(true)
  })

  it("a KEY=value item of a quoted list ends at its quote; & and ; inside passwords", () => {
    const token = g.alnum(32)
    const out = redact(`[\n  "API_TOKEN=${token}",\n  "ALGOLIA_ADMIN_KEY=${g.hex(32)}"\n]`)
    expect(out).toBe(`[\n  "API_TOKEN=${R("secret-assignment")}",\n  "ALGOLIA_ADMIN_KEY=${R("secret-assignment")}"\n]`)
    expect(JSON.parse(out)).toHaveLength(2)
    const pw = `${g.alnum(4)}&${g.alnum(10)}`
    expect(redact(`"Server=sql;Database=app;User Id=sa;Password=${pw};"`)).toBe(
      `"Server=sql;Database=app;User Id=sa;Password=${R("secret-assignment")};"`
    )
    expect(redact(`psql "host=db user=app password=${pw}+x!"`)).toBe(
      `psql "host=db user=app password=${R("secret-assignment")}"`
    )
    // A query's & still separates, and && still ends a command
    expect(redact(`https://x.io/cb?token=${token}&state=abc`)).toBe(
      `https://x.io/cb?token=${R("secret-assignment")}&state=abc`
    )
    expect(redact(`PASSWORD=${token}&& echo ok`)).toBe(`PASSWORD=${R("secret-assignment")}&& echo ok`)
  })

  it('defaults written into code: ||=, ??=, `|| "…"` and `or "…"` after a lookup; dotted names ending in .key', () => {
    const token = g.alnum(32)
    for (const text of [
      `ENV['SMTP_PASSWORD'] ||= '${token}'`,
      `process.env.DB_PASSWORD ??= "${token}"`,
      `config.cloudflareApiKey ??= "${g.hex(37)}";`,
      `const pw = process.env.X || "${token}"`,
      `api_key = os.environ.get("API_KEY") or "${token}"`,
      `self.api_key = api_key or "${token}"`,
      `stripe.api.key=${token}`,
      `app.jwt.secret.key=${token}`
    ]) {
      expect(redact(text), text).toContain(R("secret-assignment"))
    }
    const aws = `${g.alnum(6)}/${g.alnum(33)}`
    expect(gone(`aws.secret.access.key=${aws}`, aws)).toBe(true)
    unchanged(
      'token = token || ""',
      'password = opts.password or "changeme"',
      'e.apiKey=e.apiKey||"",e.x=1',
      `const k = cache.key = "${token}"`,
      'this.primary.key = "user_id"'
    )
  })

  it("mysqli_connect's password argument; an appid before a template literal's backtick", () => {
    const pw = `/${g.alnum(20)}+${g.alnum(8)}`
    expect(redact(`$conn = mysqli_connect("localhost", "root", "${pw}", "wordpress");`)).toBe(
      `$conn = mysqli_connect("localhost", "root", "${R("cli-password")}", "wordpress");`
    )
    const appid = g.hex(32)
    expect(gone(`fetch(\`https://api.openweathermap.org/data/2.5/weather?q=London&appid=${appid}\`)`, appid)).toBe(true)
  })

  it("secrets printed by terraform output -raw, node -e … randomBytes, cat privatekey, typed at git's prompt; not other outputs", () => {
    const value = g.alnum(20)
    const hex = g.hex(64)
    const key = `${g.b64(43)}=`
    expect(redact(`$ terraform output -raw db_password\n${value}`)).toBe(
      `$ terraform output -raw db_password\n${R("printed-secret")}`
    )
    expect(redact(`$ node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"\n${hex}`)).toContain(
      R("printed-secret")
    )
    expect(redact(`$ wg genkey | tee privatekey | wg pubkey\n${g.b64(43)}=\n$ cat privatekey\n${key}`)).not.toContain(
      key
    )
    // What was typed at git's password prompt, as a terminal transcript shows it
    const typed = `${g.alnum(10)}7.`
    expect(
      redact(
        `Username for 'https://git.acme.io': alice\nPassword for 'https://alice@git.acme.io': ${typed}\nremote: ok`
      )
    ).toBe(
      `Username for 'https://git.acme.io': alice\nPassword for 'https://alice@git.acme.io': ${R("printed-secret")}\nremote: ok`
    )
    expect(gone(JSON.stringify({ content: `Password for 'https://git.acme.io': ${typed}\nok` }), typed)).toBe(true)
    unchanged(
      "Password for 'https://alice@git.acme.io': \nfatal: Authentication failed",
      "$ terraform output -raw instance_ip\n10.0.1.12",
      '$ node -e "console.log(1+1)"\n2',
      'const id = crypto.randomBytes(16).toString("hex")\nconsole.log(id)'
    )
  })

  it("keeps references to a secret store: the name of a secret, resolved when the tool runs", () => {
    const references = [
      "DB_PASSWORD=op://Production/db/password",
      'STRIPE_SECRET_KEY="op://Production/stripe/credential"',
      '  "SECRET_KEY": "@Microsoft.KeyVault(SecretUri=https://acme-kv.vault.azure.net/secrets/secret-key/)"',
      '"adminPassword": "[parameters(\'adminPassword\')]",',
      "DB_PASSWORD=vault:secret/data/db#password",
      "API_TOKEN=sm://projects/acme/secrets/api-token",
      "password: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
    ]
    for (const text of references) {
      expect(redact(text)).toBe(text)
      expect(redact(JSON.stringify({ content: text }))).toBe(JSON.stringify({ content: text }))
    }
    expect(redactValue({ password: "op://Production/db/password" })).toEqual({
      password: "op://Production/db/password"
    })
    // A value that only starts like one is still a secret
    expect(redact(`DB_PASSWORD=op:${g.alnum(20)}`)).toBe(`DB_PASSWORD=${R("secret-assignment")}`)
  })

  it("keeps version ranges, placeholders and public API keys", () => {
    const deps = '{"dependencies":{"jsonwebtoken":"^9.0.2","csrf-token":"~1.0.4","keytar":"7.9.0"}}'
    expect(redact(deps)).toBe(deps)
    expect(redactValue(JSON.parse(deps))).toEqual(JSON.parse(deps))
    const placeholders = { apiKey: "<YOUR_API_KEY>", password: `$${"{DB_PASSWORD}"}`, token: "{{ secrets.TOKEN }}" }
    expect(redactValue(placeholders)).toEqual(placeholders)
    expect(redact("public_api_key = 'pdy1osen'")).toBe("public_api_key = 'pdy1osen'")
    // A real value under the same names still goes
    expect(redactValue({ apiKey: g.alnum(32) })).toEqual({ apiKey: R("secret-field") })
  })

  it("seed words told in prose or on the line after their label", () => {
    const words = Array.from(
      { length: 12 },
      (_, i) => ["above", "among", "cattle", "brother", "brick", "burst"][i % 6]
    ).join(" ")
    expect(redact(`My seed phrase is ${words} — please keep it safe`)).toBe(
      `My seed phrase is ${R("secret-assignment")} — please keep it safe`
    )
    expect(redact(`Recovery phrase:\n${words}\nWrite this down.`)).toBe(
      `Recovery phrase:\n${R("secret-assignment")}\nWrite this down.`
    )
  })
})

describe("redactText: formats and endpoints the second evaluation found missing", () => {
  it("an Azure Functions key in its URL's query (code=), not any code= parameter", () => {
    const key = `${g.alnum(54)}==`
    const url = `https://acme-fn.azurewebsites.net/api/ProcessOrder?code=${key}`
    expect(redact(`curl "${url}"`)).toBe(`curl "${url.replace(key, R("azure-function-key"))}"`)
    const encoded = `${g.alnum(40)}%3D%3D`
    expect(redact(`https://acme-fn.azurewebsites.net/api/Orders?name=x&code=${encoded}&clientId=default`)).toBe(
      `https://acme-fn.azurewebsites.net/api/Orders?name=x&code=${R("azure-function-key")}&clientId=default`
    )
    unchanged(
      `https://example.com/oauth/callback?code=${g.alnum(32)}`,
      "https://acme-fn.azurewebsites.net/api/ProcessOrder?code=<your-function-key>",
      "https://acme-fn.azurewebsites.net/api/ProcessOrder?code=200"
    )
  })

  it("API keys in the path of RPC endpoints (Alchemy, Infura, QuickNode)", () => {
    const alchemy = g.alnum(32)
    expect(redact(`ALCHEMY_URL=https://eth-mainnet.g.alchemy.com/v2/${alchemy}`)).toBe(
      `ALCHEMY_URL=https://eth-mainnet.g.alchemy.com/v2/${R("alchemy-api-key")}`
    )
    const infura = g.hex(32)
    expect(redact(`"https://mainnet.infura.io/v3/${infura}"`)).toBe(
      `"https://mainnet.infura.io/v3/${R("infura-api-key")}"`
    )
    const quicknode = g.hex(40)
    expect(gone(`https://still-dawn-123.quiknode.pro/${quicknode}/`, quicknode)).toBe(true)
    const docs = "https://docs.alchemy.com/v2/reference/api-overview"
    expect(redact(docs)).toBe(docs)
  })

  it("formats found without a label: Azure DevOps, Twitch, Trello, Together, Intercom, Asana, ClickUp, Paddle, Vercel Blob", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      [`${g.alnum(76)}AZDO${g.alnum(4)}`, "azure-devops-pat"],
      [`oauth:${g.lowerAlnum(30)}`, "twitch-token"],
      [`ATTA${g.hex(64)}${g.hex(8).toUpperCase()}`, "trello-token"],
      [`tgp_v1_${g.b64url(43)}`, "together-api-key"],
      [`dG9rOj${g.b64(54)}=`, "intercom-token"],
      [`2/${g.digits(16)}/${g.digits(16)}:${g.hex(32)}`, "asana-token"],
      [`1/${g.digits(13)}:${g.hex(32)}`, "asana-token"],
      [`pk_${g.digits(8)}_${g.upperAlnum(32)}`, "clickup-token"],
      [`pdl_live_apikey_01${g.lowerAlnum(24)}_${g.alnum(22)}_${g.alnum(3)}`, "paddle-key"],
      [`vercel_blob_rw_${g.alnum(16)}_${g.alnum(30)}`, "vercel-blob-token"]
    ]
    for (const [token, rule] of cases)
      expect(redact(`here it is: ${token} (do not share)`)).toBe(`here it is: ${R(rule)} (do not share)`)
    unchanged("oauth:authorize?client_id=abc", "pk_live_51H8", `ATTA${g.hex(10)}`, "1/2 of the 3/4 done: ok")
  })
})

describe("redactText: passwords given to commands as arguments", () => {
  it("npm config set with a key scoped to a registry, its value after a space", () => {
    const token = g.alnum(36)
    const text = `npm config set //npm.pkg.github.com/:_authToken ${token}`
    expect(redact(text)).toBe(text.replace(token, R("secret-assignment")))
    expect(redact(`npm config set //registry.npmjs.org/:_authToken=${token}`)).not.toContain(token)
    unchanged("npm config set //npm.pkg.github.com/:always-auth true")
  })

  it("a literal piped into a command that reads a secret from its input", () => {
    const pw = `${g.alnum(14)}9`
    const cases = [
      `echo "${pw}" | docker login -u deploy --password-stdin ghcr.io`,
      `echo -n '${pw}' | npx wrangler secret put API_TOKEN`,
      `printf '%s' '${pw}' | gcloud secrets versions add db-password --data-file=-`,
      `echo ${pw} | gh secret set DEPLOY_TOKEN`,
      `echo "${pw}" | sudo chpasswd`
    ]
    for (const text of cases) expect(redact(text)).toBe(text.replace(pw, R("cli-password")))
    unchanged(
      'echo "$DOCKER_PASSWORD" | docker login -u deploy --password-stdin',
      `echo "${pw}" | grep -c password`,
      "cat ~/.config/registry-token | docker login -u deploy --password-stdin"
    )
  })

  it("htpasswd, rabbitmqctl, redis AUTH, poetry, smbclient, xfreerdp, sqlplus, zip and 7z", () => {
    const pw = `${g.alnum(14)}9`
    const cases = [
      `htpasswd -bc /etc/nginx/.htpasswd admin ${pw}`,
      `htpasswd -nb admin ${pw}`,
      `rabbitmqctl add_user deploy '${pw}'`,
      `rabbitmqctl change_password deploy ${pw}`,
      `10.0.0.5:6379> AUTH ${pw}`,
      `redis-cli -h cache.internal AUTH default ${pw}`,
      `poetry config http-basic.acme deploy ${pw}`,
      `smbclient //fs.example.com/share -U 'ACME\\jdoe%${pw}' -c 'ls'`,
      `xfreerdp /v:10.0.2.15 /u:Administrator /p:'${pw}' /cert:ignore`,
      `sqlplus scott/${pw}@orcl`,
      `zip -P ${pw} archive.zip notes.txt`,
      `7z a -p${pw} out.7z dir`
    ]
    for (const text of cases) expect(redact(text)).toBe(text.replace(pw, R("cli-password")))
    unchanged(
      "htpasswd -c /etc/nginx/.htpasswd admin",
      "AUTH mode enabled",
      "the AUTH header is required",
      "sqlplus / as sysdba",
      "zip -r archive.zip dir",
      "7z x -o/tmp out.7z",
      "run `sqlplus user/pw`, then `htpasswd -nb user password`"
    )
  })
})

describe("redactText: contexts found missing at the stop of 2026-12-06 (second)", () => {
  it("ssh-keygen passphrases, MinIO's mc alias, aws ssm SecureString values and net use passwords", () => {
    const pw = `${g.alnum(12)}#9`
    const cases = [
      `ssh-keygen -t ed25519 -N '${pw}' -f ~/.ssh/deploy`,
      `ssh-keygen -p -P ${pw} -N '' -f ~/.ssh/id_rsa`,
      `mc alias set minio http://localhost:9000 minioadmin ${pw}`,
      `mc config host add s3 https://s3.amazonaws.com AKIAEXAMPLEKEY '${pw}'`,
      `aws ssm put-parameter --name /app/db/password --value ${pw} --type SecureString`,
      `aws ssm put-parameter --type SecureString --name /app/smtp --value '${pw}'`,
      `net use Z: \\\\fs\\share ${pw} /user:CORP\\alice /persistent:no`,
      `net use \\\\fs\\share /user:CORP\\alice ${pw}`
    ]
    for (const text of cases) expect(redact(text)).toBe(text.replace(pw, R("cli-password")))
    unchanged(
      "ssh-keygen -t ed25519 -N '' -f ~/.ssh/id_ed25519",
      "ssh-keygen -N -f key",
      "mc alias set minio http://localhost:9000",
      "aws ssm put-parameter --name /app/log-level --value debug --type String",
      "aws ssm put-parameter --name /app/db/password --value file://secret.txt --type SecureString",
      "net use Z: \\\\fs\\share /persistent:yes",
      "net use \\\\fs\\share * /user:CORP\\alice"
    )
  })

  it("the literal an apiKeyHelper echoes, and the answer an expect script sends to a password prompt", () => {
    const key = g.alnum(40)
    const pw = `${g.alnum(12)}#9`
    expect(redact(`{\n  "apiKeyHelper": "echo ${key}"\n}`)).toBe(`{\n  "apiKeyHelper": "echo ${R("cli-password")}"\n}`)
    expect(redact(`credential_process = printf '%s' '${key}'`)).toBe(
      `credential_process = printf '%s' '${R("cli-password")}'`
    )
    expect(redact(`spawn ssh deploy@host\nexpect "password:"\nsend "${pw}\\r"\ninteract`)).toBe(
      `spawn ssh deploy@host\nexpect "password:"\nsend "${R("cli-password")}\\r"\ninteract`
    )
    expect(redact(`child.expect('Password:')\nchild.sendline('${pw}')`)).toBe(
      `child.expect('Password:')\nchild.sendline('${R("cli-password")}')`
    )
    unchanged(
      '{ "apiKeyHelper": "~/bin/get-key.sh" }',
      '{ "apiKeyHelper": "echo $ANTHROPIC_API_KEY" }',
      'expect "password:"\nsend "$env(DEPLOY_PASSWORD)\\r"',
      'expect "password:"\nsend -- "$pass\\r"',
      'expect "$ "\nsend "ls -la\\r"'
    )
  })

  it("a .pgpass line shown without its file's name", () => {
    const pw = `${g.alnum(12)}#9`
    for (const text of [
      `db.internal:5432:app:appuser:${pw}`,
      `$ cat secrets/pgpass.conf\n*:*:*:replicator:${pw}\n`,
      `  10.0.0.7:6432:*:postgres:${pw}`
    ]) {
      expect(redact(text)).toBe(text.replace(pw, R("connection-string")))
    }
    unchanged(
      "src/server.ts:1234:5:error:Unexpected",
      "2026-12-06 07:55:02 listening on 127.0.0.1:8080",
      "docker run -p 127.0.0.1:8080:80 nginx",
      "db.internal:5432:app:appuser:*",
      "2024-01-01:1234:abc:def:ghi12"
    )
  })

  it("PowerShell's ConvertTo-SecureString, Swift's set(…, forKey:), Rust's set_var, ::add-mask:: and docker secret create", () => {
    const pw = `${g.alnum(12)}!9`
    const token = g.alnum(32)
    expect(redact(`$pw = ConvertTo-SecureString "${pw}" -AsPlainText -Force`)).toBe(
      `$pw = ConvertTo-SecureString "${R("cli-password")}" -AsPlainText -Force`
    )
    expect(
      redact(`$cred = New-Object PSCredential("admin", (ConvertTo-SecureString '${pw}' -AsPlainText -Force))`)
    ).toBe(
      `$cred = New-Object PSCredential("admin", (ConvertTo-SecureString '${R("cli-password")}' -AsPlainText -Force))`
    )
    expect(redact(`KeychainWrapper.standard.set("${token}", forKey: "authToken")`)).toBe(
      `KeychainWrapper.standard.set("${R("cli-password")}", forKey: "authToken")`
    )
    expect(redact(`std::env::set_var("API_TOKEN", "${token}");`)).toBe(
      `std::env::set_var("API_TOKEN", "${R("secret-assignment")}");`
    )
    expect(redact(`echo "::add-mask::${token}"`)).toBe(`echo "::add-mask::${R("printed-secret")}"`)
    expect(redact(`printf '${pw}' | docker secret create db_password -`)).toBe(
      `printf '${R("cli-password")}' | docker secret create db_password -`
    )
    unchanged(
      "$SecurePassword = Read-Host -AsSecureString",
      "$pw = Get-Credential",
      "ConvertTo-SecureString -String $env:PASS -AsPlainText -Force",
      "password --stdin",
      "$secure = ConvertTo-SecureString $plain -AsPlainText -Force",
      'UserDefaults.standard.set("dark", forKey: "theme")',
      'UserDefaults.standard.set(true, forKey: "hasToken")',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
      'echo "::add-mask::${{ steps.token.outputs.value }}"',
      'echo "::add-mask::$TOKEN"'
    )
  })

  it("an upper-cased name run together with KEY (ADMINKEY, OPENAIKEY) holding a random value", () => {
    const token = g.alnum(24)
    for (const name of ["ADMINKEY", "SERVICEKEY", "OPENAIKEY", "SENDGRIDKEY"]) {
      expect(redact(`${name}=${token}`)).toBe(`${name}=${R("secret-assignment")}`)
    }
    unchanged(`HOTKEY=${token}`, `PRIMARYKEY=${token}`, "ADMINKEY=ctrl-alt-delete", `CACHEKEY=${token}`)
  })

  it("publishing tokens, redis CONFIG SET and ACL rules, HAProxy, htpasswd in docker, sasl_passwd, Perl's %ENV, Gradle blocks", () => {
    const pw = `${g.alnum(12)}#9`
    const cases = [
      `vsce publish -p ${pw}`,
      `npx ovsx publish -p ${pw}`,
      `xcrun altool --upload-app -f app.ipa -u me@example.com -p ${pw}`,
      `127.0.0.1:6379> CONFIG SET requirepass "${pw}"`,
      `redis-cli config set masterauth ${pw}`,
      `ACL SETUSER alice on >${pw} ~cached:* +get`,
      `userlist admins\n  user admin insecure-password ${pw}`,
      `docker run --entrypoint htpasswd httpd:2 -Bbn admin ${pw} > auth/htpasswd`,
      `[smtp.gmail.com]:587 me@gmail.com:${pw}`
    ]
    for (const text of cases) expect(redact(text)).toBe(text.replace(pw, R("cli-password")))
    for (const text of [
      `$ENV{API_KEY} = '${pw}';`,
      `$ENV{'DB_PASSWORD'} = "${pw}";`,
      `signingConfigs { release { storePassword "${pw}" } }`
    ]) {
      expect(redact(text)).toBe(text.replace(pw, R("secret-assignment")))
    }
    unchanged(
      "vsce publish -p $VSCE_PAT",
      "xcrun altool --upload-app -f app.ipa -u me@example.com -p @keychain:AC_PASSWORD",
      "release { storePassword keystoreProperties['storePassword'] }",
      "CONFIG GET requirepass",
      "ACL SETUSER alice on nopass ~* +@all",
      "  user admin password $6$rounds=5000$abcdefgh$ijklmnop",
      "[smtp.gmail.com]:587",
      "relayhost = [smtp.gmail.com]:587 ",
      "$ENV{PATH} = '/usr/bin';"
    )
  })

  it("a secret written in as an environment lookup's default, sshfs password_stdin, wg genkey's output", () => {
    const pw = `${g.alnum(12)}!9`
    const token = g.alnum(40)
    for (const text of [
      `API_KEY = os.getenv("API_KEY", "${token}")`,
      `'PASSWORD': os.environ.get('DB_PASSWORD', '${pw}'),`,
      `const secret = process.env.SESSION_SECRET || '${token}'`,
      `const key = import.meta.env.VITE_STRIPE_SECRET_KEY ?? "${token}"`,
      `password = ENV.fetch("DATABASE_PASSWORD", "${pw}")`,
      `String pw = System.getProperty("db.password", "${pw}");`
    ]) {
      expect(redact(text)).toBe(text.replace(text.includes(pw) ? pw : token, R("secret-assignment")))
    }
    expect(redact(`echo '${pw}' | sshfs deploy@host:/srv /mnt -o password_stdin`)).toBe(
      `echo '${R("cli-password")}' | sshfs deploy@host:/srv /mnt -o password_stdin`
    )
    const key = `${g.b64(42)}A=`
    expect(redact(`$ wg genkey | tee privatekey\n${key}\n`)).toBe(
      `$ wg genkey | tee privatekey\n${R("printed-secret")}\n`
    )
    unchanged(
      'const port = process.env.PORT || "3000"',
      'const secret = process.env.SESSION_SECRET || "changeme"',
      'val = os.getenv("DB_PASSWORD", "")',
      'token = request.args.get("token", "default")',
      `$ wg genkey | tee privatekey | wg pubkey\n${key}\n`
    )
  })

  it("an XML element with a namespace and attributes (WS-Security's <wsse:Password Type=…>)", () => {
    const pw = `${g.alnum(12)}!9`
    for (const text of [
      `<wsse:Password Type="PasswordText">${pw}</wsse:Password>`,
      `<Password encrypted="false">${pw}</Password>`,
      `<password>${pw}</password>`
    ]) {
      expect(redact(text)).toBe(text.replace(pw, R("secret-assignment")))
    }
    unchanged(
      '<password type="hidden"/>',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a template engine's placeholder, not a JavaScript one
      '<wsse:Password Type="PasswordDigest">${DIGEST}</wsse:Password>',
      '<token expires="3600">abc</token>',
      `<wsse:Password Type="PasswordText">${pw}</wsse:Pass>`
    )
  })

  it("the result of a Terraform random_password in the state and in a plan", () => {
    const pw = `${g.alnum(12)}!9`
    const state = `{"resources":[{"mode":"managed","type":"random_password","name":"db","instances":[{"attributes":{"bcrypt_hash":"$2a$10$${g.alnum(53)}","length":16,"result":"${pw}","special":true}}]}]}`
    expect(redact(state)).toBe(state.replace(pw, R("secret-assignment")))
    const plan = `  + resource "random_password" "db" {\n      + length = 16\n      + result = "${pw}"\n    }`
    expect(redact(plan)).toBe(plan.replace(pw, R("secret-assignment")))
    unchanged(
      '  + resource "random_password" "db" {\n      + result = (sensitive value)\n    }',
      'resource "random_password" "db" {\n  length = 16\n}\noutput "db" {\n  value = random_password.db.result\n}'
    )
  })

  it("a YAML password of random letters, but not a name in code", () => {
    for (const value of ["XQuUoJEWCxzx", "PDyFEGrTsHDZ", "EZNlviiBZxJh", "jiZNvJEzRlWW"]) {
      expect(redact(`database:\n  user: app\n  password: ${value}\n`)).toBe(
        `database:\n  user: app\n  password: ${R("secret-assignment")}\n`
      )
      expect(redact(`DB_PASSWORD: ${value}`)).toBe(`DB_PASSWORD: ${R("secret-assignment")}`)
    }
    unchanged(
      "  password: newPassword",
      "  password: hashedPassword",
      "  password: IPassword",
      "  password: getHTTPClient",
      "  password: userIdToken",
      "  password: XMLHttpRequest",
      "  password: OAuthToken",
      "DB_PASSWORD: dbPassword"
    )
  })
})

describe("redactText: contexts found missing at the stop of 2026-12-06 (third)", () => {
  it("tokens and passwords given to registry logins, account tools and uploaders as arguments", () => {
    const pw = `${g.alnum(20)}9`
    const cases = [
      `cargo login ${pw}`,
      `cargo login --registry my-registry ${pw}`,
      `snyk auth ${pw}`,
      `vault login ${pw}`,
      `b2 authorize-account 0012ab34cd56ef0000000001 ${pw}`,
      `b2 account authorize 0012ab34cd56ef0000000001 ${pw}`,
      `bundle config https://rubygems.pkg.github.com/acme deploy:${pw}`,
      `bundle config set --global gems.example.com deploy:${pw}`,
      `lftp -u deploy,${pw} sftp://files.example.com`,
      `twine upload -u __token__ -p ${pw} dist/*`,
      `cqlsh -u cassandra -p ${pw} db.internal`,
      `doctl auth init -t ${pw}`,
      `codecov -t ${pw} -f coverage.xml`,
      `sonar-scanner -Dsonar.login=${pw} -Dsonar.projectKey=app`,
      `security add-generic-password -a me -s deploy -w ${pw}`,
      `openssl enc -aes-256-cbc -k ${pw} -in notes.txt -out notes.enc`,
      `wpa_passphrase HomeNetwork ${pw}`,
      `net user deploy ${pw} /add`,
      `poetry config pypi-token.pypi ${pw}`,
      `composer config --global http-basic.repo.example.org deploy ${pw}`
    ]
    for (const text of cases) expect(redact(text)).toBe(text.replace(pw, R("cli-password")))
    unchanged(
      "cargo login",
      "cargo login --registry my-registry",
      "vault login -method=userpass username=alice",
      "vault login $VAULT_TOKEN",
      "bundle config set without development:test",
      "bundle config set --local path vendor/bundle",
      "lftp -u $USER,$PASS ftp.example.com",
      "twine upload -u __token__ -p $PYPI_TOKEN dist/*",
      `codecov -t \${{ secrets.CODECOV_TOKEN }}`,
      "sonar-scanner -Dsonar.login=$SONAR_TOKEN",
      "security add-generic-password -a me -s deploy -w",
      "openssl enc -d -aes-256-cbc -in f -k $PASS",
      "net user alice /delete",
      "net user alice * /add",
      "poetry config pypi-token.pypi $PYPI_TOKEN"
    )
  })

  it("secrets given as `config set` pairs (aws configure, hub, rclone)", () => {
    const pw = `${g.alnum(30)}9`
    for (const text of [
      `aws configure set aws_secret_access_key ${pw}`,
      `aws configure set --profile ci aws_session_token ${pw}`,
      `hub config oauth_token ${pw}`,
      `rclone config create backup s3 provider AWS access_key_id AKIAEXAMPLE secret_access_key ${pw}`
    ]) {
      expect(redact(text)).toBe(text.replace(pw, R("secret-assignment")))
    }
    unchanged(
      "aws configure set region us-east-1",
      "aws configure set aws_access_key_id $AWS_ACCESS_KEY_ID",
      "gh config set git_protocol ssh",
      "rclone config create remote s3 provider AWS env_auth true"
    )
  })

  it("a literal given as input to sudo -S, gh auth login or chpasswd, written into a token file, or encoded as Basic credentials", () => {
    const pw = `${g.alnum(16)}9`
    for (const text of [
      `echo '${pw}' | sudo -S apt-get install -y nginx`,
      `echo ${pw} | sudo -kS systemctl restart app`,
      `echo ${pw} | gh auth login --with-token`,
      `gh auth login --with-token <<< ${pw}`,
      `sudo -S whoami <<< '${pw}'`,
      `chpasswd <<< "deploy:${pw}"`,
      `echo "${pw}" > ~/.vault-token`,
      `printf '%s' '${pw}' > secrets/api_token.txt`
    ]) {
      expect(redact(text), text).not.toContain(pw)
    }
    expect(redact(`echo -n "deploy:${pw}" | base64`)).toBe(`echo -n "deploy:${R("cli-password")}" | base64`)
    unchanged(
      "echo $PASSWORD | sudo -S apt update",
      "echo 'deb http://deb.debian.org/debian stable main' | sudo tee /etc/apt/sources.list",
      "echo hello | sudo -u bob tee x",
      'echo "hello world" | base64',
      "echo -n dXNlcjpwYXNz | base64 -d",
      'echo -n "$USER:$PASS" | base64',
      'cat <<< "hello world"',
      'gh auth login --with-token <<< "$GH_TOKEN"',
      'echo "export PATH=$PATH:/opt/bin" >> ~/.bashrc',
      "echo tokenizer > tokens.txt",
      "echo $TOKEN > ~/.vault-token"
    )
  })

  it("a password or token under a label in another language, not a word after it", () => {
    const pw = `${g.alnum(12)}7`
    for (const label of [
      "Mot de passe : ",
      "contraseña: ",
      "Senha: ",
      "wachtwoord: ",
      "Hasło: ",
      "Пароль: ",
      "密码：",
      "パスワード：",
      "비밀번호: ",
      "Lösenord: ",
      "adgangskode: ",
      "salasana: ",
      "jelszó: ",
      "heslo: ",
      "Şifre: ",
      "geslo: ",
      "lozinka: ",
      "kata sandi: ",
      "mật khẩu: ",
      "Jeton : ",
      "токен: ",
      "clé API : ",
      "APIキー: ",
      "passord: "
    ]) {
      const text = `${label}${pw}`
      expect(redact(text), text).toBe(`${label}${R("secret-assignment")}`)
    }
    unchanged(
      "Mot de passe oublié ?",
      "Mot de passe : oublié",
      "La contraseña es demasiado corta",
      "пароль: неверный",
      "パスワード：変更しました",
      "Senha: ********",
      "wachtwoord: $WACHTWOORD",
      "Hasło: zmienione",
      "clé API : votre-clé-ici",
      "jeton: expiré",
      "parola: 12"
    )
  })

  it("the token a cloud CLI prints for a registry or an API, and a password told in German or French prose", () => {
    const token = `eyJwYXlsb2FkIjoi${g.alnum(60)}In0=`
    for (const command of [
      "$ aws ecr get-login-password --region us-east-1",
      "$ gcloud auth print-access-token",
      "$ az account get-access-token --query accessToken -o tsv"
    ]) {
      expect(redact(`${command}\n${token}\n`), command).toBe(`${command}\n${R("printed-secret")}\n`)
    }
    const pw = `${g.alnum(12)}7`
    expect(redact(`das Passwort ist ${pw}`)).toBe(`das Passwort ist ${R("secret-assignment")}`)
    expect(redact(`Le mot de passe est ${pw}`)).toBe(`Le mot de passe est ${R("secret-assignment")}`)
    unchanged(
      "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin 1234.dkr.ecr.us-east-1.amazonaws.com\nLogin Succeeded",
      "das Passwort ist falsch",
      "Le mot de passe est incorrect"
    )
  })

  it("a token in backticks after its name in prose, and 1Password's session variable", () => {
    const token = g.alnum(28)
    expect(redact(`Use token \`${token}\` for the API`)).toBe(`Use token \`${R("secret-assignment")}\` for the API`)
    expect(redact(`export OP_SESSION_acme=${token}`)).toBe(`export OP_SESSION_acme=${R("secret-assignment")}`)
    unchanged(
      "Use the token `GITHUB_TOKEN` for auth",
      "Pass `--no-verify` to skip the hooks",
      "the secret `mySecretName` field",
      "token `tokenizer`",
      "OP_SESSION_acme=$(op signin --raw)"
    )
  })
})

describe("redactText: secret names and calls the second evaluation found missing", () => {
  it("JWT libraries called with a literal secret, Go's []byte literal, Gradle's storePassword, *_ENCRYPTION_KEY", () => {
    const secret = g.alnum(32)
    for (const text of [
      `jwt.sign({ sub: user.id }, "${secret}", { expiresIn: "1h" })`,
      `jwt.encode({"sub": "42"}, "${secret}", algorithm="HS256")`,
      `var jwtKey = []byte("${secret}")`,
      `        storePassword "${secret}"`,
      `FIELD_ENCRYPTION_KEY=${secret}`,
      `webhook_key = "${secret}"`
    ]) {
      expect(redact(text)).toBe(text.replace(secret, R("secret-assignment")))
    }
    unchanged(
      "jwt.verify(token, process.env.JWT_SECRET)",
      'jwt.sign(payload, key, { algorithm: "RS256" })',
      "session_key = request.session.session_key",
      "PUSHER_APP_KEY=local",
      '  password "changeme"'
    )
  })

  it("generated secrets printed by openssl rand, artisan and Python's secrets, and wallets' private keys", () => {
    const b64 = `${g.b64(43)}=`
    expect(redact(`$ openssl rand -base64 32\n${b64}\n$ `)).toBe(
      `$ openssl rand -base64 32\n${R("printed-secret")}\n$ `
    )
    const laravel = `base64:${g.b64(43)}=`
    expect(gone(`$ php artisan key:generate --show\n${laravel}`, laravel)).toBe(true)
    const hex = g.hex(64)
    expect(gone(`python3 -c "import secrets; print(secrets.token_hex(32))"\n${hex}`, hex)).toBe(true)
    const key = `0x${g.hex(64)}`
    expect(redact(`new ethers.Wallet("${key}", provider)`)).toBe(`new ethers.Wallet("${R("private-key")}", provider)`)
    expect(redact(`accounts: ["${key}"],`)).toBe(`accounts: ["${R("private-key")}"],`)
    expect(redact(`privateKeyToAccount('${key}')`)).toBe(`privateKeyToAccount('${R("private-key")}')`)
    unchanged(`tx hash: ${key}`, `$ openssl rand -help\nUsage: rand [options] num`, `blockHash: "${key}"`)
  })

  it("parsed values keep publishable keys under secret names", () => {
    const pk = `pk.eyJ1IjoiYWNtZSIsImEiOiJj${g.b64url(20)}In0.${g.b64url(22)}`
    expect(redactValue({ mapbox: { accessToken: pk } })).toEqual({ mapbox: { accessToken: pk } })
  })
})

describe("redaction of lists and blocks under a secret-named key", () => {
  it("text: a JSON list, YAML items, a YAML map, a value on the next line and a block scalar", () => {
    const [a, b] = [g.alnum(32), g.alnum(32)]
    expect(redact(`{"tokens":["${a}","${b}"]}`)).toBe(
      `{"tokens":["${R("secret-assignment")}","${R("secret-assignment")}"]}`
    )
    expect(gone(`api_keys:\n  - ${a}\n  - ${b}\nname: app`, a, b)).toBe(true)
    expect(gone(`secrets:\n  github: ${a}\n  slack: ${b}\nother: 1`, a, b)).toBe(true)
    const hex = g.hex(40)
    expect(gone(`api_token:\n  ${hex}\n`, hex)).toBe(true)
    const pw = `m1vv${g.alnum(10)}`
    expect(gone(`db:\n  password: |\n    ${pw}\n  host: db`, pw)).toBe(true)
    // Names, settings and counts stay
    unchanged(
      '{"secrets":["DB_PASSWORD","API_KEY"],"tokens":["the","quick","fox"]}',
      "secrets:\n  - name: db-password\n    key: password\njobs: {}",
      "api_keys:\n  enabled: true\n  rotation_days: 90",
      "<total_tokens>14994154 tokens left</total_tokens>",
      "API keys: GET/POST /api/keys, DELETE /api/keys/:id",
      '{"usage":{"total_tokens":1234,"cache_read_tokens":99}}'
    )
  })

  it("values: the items of a secret-named list and the random members of a secret-named map", () => {
    const [a, b] = [g.alnum(32), g.alnum(32)]
    expect(redactValue({ tokens: [a, b], names: ["x"] })).toEqual({
      tokens: [R("secret-field"), R("secret-field")],
      names: ["x"]
    })
    expect(redactValue({ secrets: { github: a, region: "eu-west-1" } })).toEqual({
      secrets: { github: R("secret-field"), region: "eu-west-1" }
    })
    expect(redactValue({ secrets: ["DB_PASSWORD", "API_KEY"] })).toEqual({ secrets: ["DB_PASSWORD", "API_KEY"] })
  })
})

describe("redactText: look-alikes the broader evaluation redacted by mistake", () => {
  const unchanged = [
    // Python found by review (stop of 2026-12-06, third): slices, an argument passed under its own name, a regex
    "token = line[start:pos]",
    "secret = keypair[:32]",
    "pw = pw[:-1]",
    "self._signing_key = key[:16]",
    "    _token=_token,",
    "    key_password=key_password,",
    'HEX_PAT = "[0-9A-Fa-f]{1,4}"',
    'IPV4_PAT = r"^(?:\\d{1,3}\\.){3}\\d{1,3}$"',
    // AWS's documentation example keys
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    // placeholders and masks
    'stripe.api_key = "sk_live_YOUR_KEY"',
    "STRIPE_SECRET_KEY=sk_live_YOUR_SECRET_KEY_HERE",
    "GITHUB_TOKEN=ghp_****",
    "GITHUB_TOKEN=ghp_************************************",
    "API_TOKEN=xxxxxxxxxxxxxxxx",
    "token: <your-token>",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: literal shell syntax, not a template
    "export API_KEY=${API_KEY}",
    `Invalid API key provided: sk_test_************************${g.alnum(4)}`,
    "AKIA0000000000000000",
    // password hashes
    `password: "$argon2id$v=19$m=65536,t=3,p=4$${g.b64(22)}$${g.b64(43)}"`,
    `{"password": "$2b$12$${g.from("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 53)}"}`,
    `"password": "pbkdf2_sha256$600000$${g.alnum(22)}$${g.b64(43)}="`,
    // hashes, ids and encoded data without secret context
    `commit ${g.hex(40)}`,
    `request_id: ${g.uuid()}`,
    `<img src="data:image/png;base64,iVBORw0KGgo${g.b64(400)}==">`,
    `<script src="/a.js" integrity="sha384-${g.b64(64)}" crossorigin="anonymous"></script>`,
    `"integrity": "sha512-${g.b64(86)}=="`,
    // JWT-looking public data
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    `NEXT_PUBLIC_SUPABASE_ANON_KEY=${toBase64('{"alg":"HS256","typ":"JWT"}', true)}.${toBase64('{"iss":"supabase","role":"anon"}', true)}.${g.b64url(43)}`,
    // publishable keys
    `const stripe = Stripe("pk_live_51${g.alnum(97)}")`
  ]
  for (const text of unchanged) {
    it(text.slice(0, 60), () => {
      expect(redactText(text)).toEqual({ text, findings: [] })
    })
  }
})

describe("redactText: classic look-alikes stay", () => {
  const unchanged = [
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "id 550e8400-e29b-41d4-a716-446655440000",
    "/Users/ada/src/token/secretPatterns.ts",
    "Please enter your password.",
    "TOKEN_LIMIT=4096",
    "const token = getToken()",
    "const apiKey = process.env.API_KEY",
    'curl -H "Authorization: Bearer $TOKEN"',
    "color: #ffcc00",
    ".sk-circle-bounce-animation-delay {}",
    "password: string",
    "DB_PASSWORD=changeme",
    "API_KEY=<your-key>",
    "token: xxxxxxxx",
    "password = hashlib.sha256(raw.encode()).hexdigest()",
    'token = request.headers.get("Authorization")',
    "secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
    'fetch(url, { credentials: "same-origin" })',
    'const storageKey = "opensync.session"',
    "| `apiKey` | `CLAUDE_SYNC_API_KEY` | none |",
    "const KEYWORDS = /password|passwd|secret|token|api[_-]?key|bearer/gi",
    "routing_key: orders.created",
    "the token is invalid; the password is required",
    "user.password = hashedPassword",
    "password = user_input",
    "postgres://postgres:postgres@localhost:5432/postgres"
  ]
  for (const text of unchanged) {
    it(text, () => {
      expect(redactText(text)).toEqual({ text, findings: [] })
    })
  }
})

describe("redactText: what a second review at the same stop found", () => {
  it("secrets given to database, CI, VPN, keyring and cloud secret-store commands", () => {
    const pw = `${g.alnum(14)}#9`
    const token = g.alnum(40)
    const cases: ReadonlyArray<readonly [string, string]> = [
      [`neo4j-admin dbms set-initial-password '${pw}'`, pw],
      [`cypher-shell -a neo4j+s://a1b2.databases.neo4j.io -u neo4j -p '${pw}'`, pw],
      [`rabbitmqadmin -H mq.internal -u admin -p ${token} list queues`, token],
      [`crane auth login ghcr.io -u acme-bot -p ${token}`, token],
      [`java -jar jenkins-cli.jar -s https://jenkins.example.com/ -auth admin:${token} build deploy`, token],
      [`drone secret add --repository acme/api --name docker_password --data ${token}`, token],
      [`nmcli dev wifi connect "Acme-Office" password "${pw}"`, pw],
      [`@home-gw : PSK "${pw}"`, pw],
      [`echo '${pw}' | sudo openconnect --user=jdoe --passwd-on-stdin vpn.example.com`, pw],
      [`mysqladmin -u root password '${pw}'`, pw],
      [`usermod --password $(openssl passwd -6 '${pw}') deploy`, pw],
      [`kinit svc_etl@EXAMPLE.COM <<< '${pw}'`, pw],
      [`az keyvault secret set --vault-name acme-kv --name StripeKey --value ${token}`, token],
      [`vault write auth/approle/login role_id=3a25fa5e secret_id=${token}`, token],
      [`npx convex env set CLERK_SECRET_KEY ${token}`, token],
      [`gh secret set DEPLOY_KEY -b"${token}"`, token],
      [`glab variable set API_TOKEN --value ${token} --masked`, token],
      [`secret-tool store --label="Acme API" service acme-api <<< "${token}"`, token],
      [`echo "${token}" | pass insert -e acme/api-token`, token],
      [`claude config set -g apiKeyHelper "echo ${token}"`, token],
      [`pulumi config set --secret stripeKey ${token}`, token],
      [`pulumi config set --stack dev --secret db:password '${pw}'`, pw]
    ]
    for (const [text, secret] of cases) expect(gone(text, secret), text).toBe(true)
    expect(redact(`pulumi config set --secret stripeKey ${token}`)).toBe(
      `pulumi config set --secret stripeKey ${R("cli-password")}`
    )
    unchanged(
      "nmcli dev wifi connect Home password",
      "mysqladmin -u root -p status",
      "openssl passwd -6 -stdin",
      "drone secret add --repository acme/api --name x --data @secret.txt",
      "az keyvault secret set --vault-name v --name n --file secret.txt",
      "kinit alice@EXAMPLE.COM",
      "crane auth login ghcr.io -u bot --password-stdin",
      "npx convex env set SITE_URL https://example.com",
      "pulumi config set aws:region us-east-1",
      "pulumi config set --secret dbPassword"
    )
  })

  it("a key or password told in chat: a bare Key label, a qualifier, Markdown's bold, an arrow, `should be`", () => {
    const key = g.alnum(40)
    const pw = `${g.alnum(12)}=9`
    for (const [text, secret] of [
      [`Key: ${key}`, key],
      [`Datadog key: ${g.hex(32)}`, ""],
      [`ok, I've rotated it. New key = ${key}`, key],
      [`my mistral key is ${key}, put it in the .env please`, key],
      [`API key (prod): ${key}`, key],
      [`**Password:** ${pw}`, pw],
      [`Here's the password — ${pw}`, pw],
      [`token → ${key}`, key],
      [`the secret for the webhook should be ${key}`, key]
    ] as const) {
      const out = redact(text)
      expect(out, text).toContain("[REDACTED:")
      if (secret !== "") expect(out, text).not.toContain(secret)
    }
    unchanged(
      `key: \${{ runner.os }}-node-\${{ hashFiles('**/package-lock.json') }}`,
      `key: ${g.hex(40)}`,
      `- key: ${g.hex(64)}`,
      "Key: value",
      "the key is correct",
      "Primary key: id",
      "map key → value",
      "sort key (optional): createdAt",
      "API key (prod): see 1Password",
      "**Password:** (stored in vault)",
      `gpg:                using EDDSA key ${g.hex(40).toUpperCase()}`,
      `Cache restored from key: Linux-pnpm-store-${g.hex(64)}`,
      `VAPID public key: B${g.b64url(86)}`
    )
  })

  it("keys in C, Objective-C, Clojure, R and Elixir declarations, header setters, .NET paths, Android manifests and PHP curl", () => {
    const key = g.alnum(40)
    for (const text of [
      `#define API_KEY "${key}"`,
      `constexpr char kApiToken[] = "${key}";`,
      `static NSString * const kAPIKey = @"${key}";`,
      `(def api-key "${key}")`,
      `apiKey <- "${key}"`,
      `@api_key "${key}"`,
      `xhr.setRequestHeader("X-Api-Key", "${key}");`,
      `let headers: HeaderMap = [("x-api-key", "${key}")].into_iter().collect();`,
      `{"Authentication:Google:ClientSecret": "${key}"}`,
      `<meta-data android:name="com.acme.API_SECRET" android:value="${key}" />`
    ]) {
      expect(redact(text), text).toBe(text.replace(key, R("secret-assignment")))
    }
    expect(redact(`curl_setopt($ch, CURLOPT_USERPWD, "api:${key}");`)).toBe(
      `curl_setopt($ch, CURLOPT_USERPWD, "api:${R("secret-assignment")}");`
    )
    unchanged(
      "#define API_KEY_LENGTH 32",
      "token <- getToken",
      '(def api-key (System/getenv "API_KEY"))',
      'xhr.setRequestHeader("Content-Type", "application/json");',
      '{"Logging:LogLevel:Default": "Information"}',
      '<meta-data android:name="com.google.android.geo.API_KEY" android:value="@string/maps_key" />',
      'curl_setopt($ch, CURLOPT_USERPWD, "$user:$pass");',
      'char buf[] = "hello";'
    )
  })

  it("passwords passed positionally (PDO, mysqli, JDBC, Go's PlainAuth and MySQL DSN) and printed by MySQL or an API's error", () => {
    const pw = `${g.alnum(12)}#9`
    for (const text of [
      `$pdo = new PDO('mysql:host=localhost;dbname=shop', 'shop', '${pw}');`,
      `$mysqli = new mysqli("localhost", "shop", "${pw}", "shop");`,
      `Connection conn = DriverManager.getConnection("jdbc:oracle:thin:@db.example.com:1521/ORCL", "scott", "${pw}");`,
      `auth := smtp.PlainAuth("", "alerts@example.com", "${pw}", "smtp.example.com")`,
      `db, err := sql.Open("mysql", "app:${pw}@tcp(10.0.3.14:3306)/shop?parseTime=true")`,
      `[Note] A temporary password is generated for root@localhost: ${pw}`,
      `Error: Invalid API key provided: ${pw}. Check your key at https://dashboard.example.com`
    ]) {
      expect(gone(text, pw), text).toBe(true)
    }
    expect(redact(`new Checkout('sk_sbox_${g.lowerAlnum(26)}')`)).toBe(`new Checkout('${R("checkout-key")}')`)
    unchanged(
      'fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pass, host, db)',
      "root:root@tcp(127.0.0.1:3306)/test",
      "new PDO($dsn, $user, $pass)",
      "DriverManager.getConnection(url, user, password)",
      'smtp.PlainAuth("", user, pass, host)',
      "Incorrect API key provided: sk-abc12***************************xyz9.",
      "new Connection(a, b, 'c0nnection')"
    )
  })

  it("a client's .login(user, password), Algolia's key, keys in query parameters, web server headers, plists, .NET user secrets", () => {
    const pw = `${g.alnum(12)}#9`
    const key = g.alnum(32)
    for (const text of [
      `ftp.login("backup", "${pw}")`,
      `server.login('alerts@example.com', '${pw}')`,
      `const client = algoliasearch("VX0A1B2C3D", "${key}");`,
      `HTTPError: 401 Unauthorized for url: https://api.example.com/data/2.5/weather?q=London&appid=${key}`,
      `GET https://api.example.com/v1/data?format=json&ak=${key}&limit=10`,
      `    proxy_set_header X-Api-Key ${key};`,
      `RequestHeader set X-Api-Key "${key}"`,
      `<key>API_KEY</key>\n\t<string>${key}</string>`,
      `dotnet user-secrets set "Smtp:Password" "${pw}"`,
      `dotnet user-secrets set Stripe:SecretKey ${key} --project src/Web`
    ]) {
      expect(gone(text, text.includes(pw) ? pw : key), text).toBe(true)
    }
    unchanged(
      "ftp.login(user, password)",
      'auth.login("Sign in")',
      "algoliasearch(appId, process.env.ALGOLIA_KEY)",
      "https://graph.example.com/oauth?appid=123456789012345&x=1",
      "https://example.com/?appid=wx1234567890abcdef",
      "break=1&ak=short",
      "proxy_set_header X-Real-IP $remote_addr;",
      "proxy_set_header X-Api-Key $http_x_api_key;",
      "<key>CFBundleIdentifier</key>\n<string>com.example.app.extension.widget</string>",
      "<key>NSCameraUsageDescription</key>\n<string>We use the camera to scan receipts</string>",
      'dotnet user-secrets set "Logging:Level" "Information"',
      'dotnet user-secrets set "Stripe:PublishableKey" "pk_test_abc123def456"'
    )
  })

  it("a password a tool prints below its banner (Jenkins' first start, Elasticsearch's setup and reset)", () => {
    const hex = g.lowerAlnum(32)
    const pw = `${g.alnum(14)}*8#`
    for (const [text, secret] of [
      [
        "Jenkins initial setup is required. An admin user has been created and a password generated.\n" +
          `Please use the following password to proceed to installation:\n\n${hex}\n\n` +
          "This may also be found at: /var/jenkins_home/secrets/initialAdminPassword",
        hex
      ],
      [
        "Elastic password for the elastic user (reset with `bin/elasticsearch-reset-password -u elastic`):\n" +
          `  ${pw}\n`,
        pw
      ],
      [`Password for the [elastic] user successfully reset.\nNew value: ${pw}\n`, pw]
    ] as const) {
      expect(gone(text, secret), text).toBe(true)
    }
    unchanged(
      "Please use the following password to proceed to installation:\n\n<see the log>\n",
      "Elastic password for the elastic user (reset with `bin/elasticsearch-reset-password -u elastic`):\n  changeme\n",
      "Password for the [elastic] user successfully reset.\nNew value: ********\n",
      "Please use the following password to proceed to installation:\n\nThis may also be found at: /var/lib/x\n"
    )
  })

  it("a password quoted once more inside another quoted command (bash -c, ssh, a command in raw JSON text)", () => {
    const pw = `${g.alnum(12)}%9`
    for (const text of [
      `bash -c "sshpass -p \\"${pw}\\" ssh root@10.0.0.7"`,
      `ssh db "mysql -uroot -p\\"${pw}\\" -e 'select 1'"`,
      `{"command":"htpasswd -bc /etc/nginx/.htpasswd admin \\"${pw}\\""}`,
      `{"command":"curl -u \\"deploy:${pw}\\" https://ci.example.com/api"}`,
      `{"command":"gh secret set NPM_TOKEN --body \\"${pw}\\" --repo acme/sdk"}`
    ]) {
      expect(redact(text), text).toBe(text.replace(pw, R(/curl/.test(text) ? "basic-auth" : "cli-password")))
    }
  })

  it("leaves connection properties, Django settings, minified code and a Secret's certificates alone", () => {
    unchanged(
      "jdbc:sqlserver://acme.database.windows.net:1433;database=app;user=sqladmin@acme;encrypt=true;",
      'PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]',
      'SESSION_KEY = "django_session"',
      'e.apiKey=e.apiKey||"",e.baseURL=t',
      'o.password=o.password||"",o.apiKey=o.apiKey||""'
    )
    const manifest = (token: string) =>
      `apiVersion: v1\nkind: Secret\ndata:\n  ca.crt: ${g.b64(48)}\n  namespace: ZGVmYXVsdA==\n  token: ${token}\n`
    const token = g.b64(60)
    const text = manifest(token)
    expect(redact(text)).toBe(text.replace(token, R("kubernetes-secret")))
    // Azure's ClientSecretCredential(tenant, client id, secret): the secret, not the client id
    const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    const client = "3f1c2b7e-9a44-4d1e-8c33-5b0e2f6a9d11"
    const secret = `${g.alnum(30)}~9` // (not the format of Azure AD's secrets, which has a rule of its own)
    expect(redact(`new ClientSecretCredential("${tenant}", "${client}", "${secret}")`)).toBe(
      `new ClientSecretCredential("${tenant}", "${client}", "${R("secret-assignment")}")`
    )
  })
})

describe("findings", () => {
  it("report the rule and the span of the secret in the original text", () => {
    const gh = `ghp_${g.alnum(36)}`
    const pw = g.urlPassword()
    const text = `GITHUB_TOKEN=${gh}\nDATABASE_URL=postgres://app:${pw}@db/app`
    const { findings } = redactText(text)
    expect(findings.map((f) => [f.rule, text.slice(f.start, f.end)])).toEqual([
      ["github-token", gh],
      ["connection-string", pw]
    ])
  })

  it("overlapping findings are merged and named by the more specific rule", () => {
    const gh = `ghp_${g.alnum(36)}`
    const { text, findings } = redactText(`API_TOKEN="${gh}"`)
    expect(text).toBe(`API_TOKEN="${R("github-token")}"`)
    expect(findings).toHaveLength(1)
  })

  it("an empty text has none", () => {
    expect(redactText("")).toEqual({ text: "", findings: [] })
  })
})

describe("redactValue", () => {
  it("walks nested objects and arrays, and redacts values of secret-named keys", () => {
    const gh = `ghp_${g.alnum(36)}`
    const input = {
      tool_name: "Bash",
      tool_input: { command: `GITHUB_TOKEN=${gh} gh pr list`, timeout: 120 },
      env: [{ name: "A", password: "hunter2" }, "DB_PASSWORD=s3cr3t!", 42, null, true],
      headers: { Authorization: "Bearer short", "x-api-key": "k", apiKey: "", client_secret: "abc" },
      config: { api_key: "my value", private_key: gh, secretName: "db-credentials", max_tokens: "1024" }
    }
    expect(redactValue(input)).toEqual({
      tool_name: "Bash",
      tool_input: { command: `GITHUB_TOKEN=${R("github-token")} gh pr list`, timeout: 120 },
      env: [{ name: "A", password: R("secret-field") }, `DB_PASSWORD=${R("secret-assignment")}`, 42, null, true],
      headers: {
        Authorization: R("secret-field"),
        "x-api-key": R("secret-field"),
        apiKey: "",
        client_secret: R("secret-field")
      },
      config: {
        api_key: R("secret-field"),
        private_key: R("github-token"),
        secretName: "db-credentials",
        max_tokens: "1024"
      }
    })
  })

  it("under `…_key` names only random-looking values are secrets", () => {
    const key = g.alnum(32)
    expect(redactValue({ storage_key: key, sort_key: "created_at", cache_key: "user:1:profile" })).toEqual({
      storage_key: R("secret-field"),
      sort_key: "created_at",
      cache_key: "user:1:profile"
    })
  })

  it("returns the same object when nothing changes and never mutates its input", () => {
    const input = { a: [1, "two", { b: "three" }], c: { d: "enter your password" } }
    const copy = structuredClone(input)
    expect(redactValue(input)).toBe(input)
    const withSecret = { ...input, token: "s3cr3t-value" }
    const out = redactValue(withSecret)
    expect(out.a).toBe(input.a)
    expect(out.token).toBe(R("secret-field"))
    expect(input).toEqual(copy)
  })

  it("handles strings and cycles", () => {
    expect(redactValue("DB_PASSWORD=hunter2")).toBe(`DB_PASSWORD=${R("secret-assignment")}`)
    const cyclic: Record<string, unknown> = { password: "hunter2" }
    cyclic.self = cyclic
    const out = redactValue(cyclic)
    expect(out.password).toBe(R("secret-field"))
  })
})

describe("Redactor service", () => {
  it.effect("Default redacts text and values", () =>
    Effect.gen(function* () {
      const redactor = yield* Redactor
      expect(yield* redactor.text("DB_PASSWORD=hunter2")).toBe(`DB_PASSWORD=${R("secret-assignment")}`)
      expect(yield* redactor.value({ password: "hunter2" })).toEqual({ password: R("secret-field") })
      const scan = yield* redactor.scan("DB_PASSWORD=hunter2")
      expect(scan.findings).toEqual([{ rule: "secret-assignment", start: 12, end: 19 }])
    }).pipe(Effect.provide(Redactor.Default))
  )

  it.effect("layerWith adds user patterns (whole match or the `secret` group)", () =>
    Effect.gen(function* () {
      const redactor = yield* Redactor
      expect(yield* redactor.text("ticket TKT-12345678 and ACME-KEY:abcdef")).toBe(
        `ticket ${R("ticket-token")} and ACME-KEY:${R("acme")}`
      )
      expect(yield* redactor.value(["TKT-00000001"])).toEqual([R("ticket-token")])
    }).pipe(
      Effect.provide(
        Redactor.layerWith([
          { name: "ticket-token", pattern: /TKT-\d{8}/ },
          { name: "acme", pattern: "(?<pre>ACME-KEY:)(?<secret>[a-z]+)" }
        ])
      )
    )
  )

  it.effect("redactEvents redacts a failed command's error with its command: a secret it printed is found", () =>
    Effect.gen(function* () {
      const password = "Xk9!mP2qLz7w"
      const call = (summary: string, error: string) =>
        Event.make({
          kind: "tool_call",
          source: "claude-code",
          sessionId: "s1",
          at: 1,
          callId: "c1",
          messageId: "m1",
          name: "Bash",
          status: "error",
          startedAt: 1,
          input: { summary, paths: [], bytes: summary.length },
          output: { bytes: 40, exitCode: 2, error }
        })
      const printed = call(
        "vault kv get -field=password secret/prod/db && psql -h db -U app",
        `Exit code 2\n${password}\npsql: error: connection to server failed`
      )
      // Alone, the error has nothing to go by; with its command, the printed value is a secret.
      expect(redact(printed.output.error ?? "")).toContain(password)
      const [out] = yield* redactEvents([printed])
      expect(JSON.stringify(out)).not.toContain(password)
      expect(out?.kind === "tool_call" ? out.output?.error : "").toMatch(
        /^Exit code 2\n\[REDACTED:[a-z-]+\]\npsql: error/
      )
      expect(out?.id).not.toBe(printed.id)
      // An error with nothing a command printed stays as it was, and keeps its id.
      const plain = call("ls /missing", "Exit code 2\nls: cannot access '/missing': No such file or directory")
      expect(yield* redactEvents([plain])).toEqual([plain])
    }).pipe(Effect.provide(Redactor.Default))
  )

  it.effect("an unpaired surrogate (an emoji cut in half) becomes U+FFFD, so the server takes the event", () =>
    Effect.gen(function* () {
      const text = "cut emoji \ud83d and a whole one 😀, a low half alone \ude00"
      const reply = Event.make({
        kind: "message",
        source: "gemini-cli",
        sessionId: "s1",
        messageId: "m1",
        role: "assistant",
        text,
        parts: [{ type: "text", text }],
        createdAt: 1_790_000_000_000,
        at: 1_790_000_000_000
      })
      // As the server decodes it: refused before
      const decode = Schema.decodeUnknownEither(Event.Event)
      expect(Either.isLeft(decode(reply))).toBe(true)
      const [out] = yield* redactEvents([reply])
      expect(out?.kind === "message" ? out.text : "").toBe(
        "cut emoji \uFFFD and a whole one 😀, a low half alone \uFFFD"
      )
      expect(Either.isRight(decode(out))).toBe(true)
      expect(out?.id).not.toBe(reply.id)
    }).pipe(Effect.provide(Redactor.Default))
  )

  it.effect("layerWith fails on an invalid pattern or rule name", () =>
    Effect.gen(function* () {
      const bad = yield* Layer.build(Redactor.layerWith([{ name: "broken", pattern: "(" }])).pipe(
        Effect.scoped,
        Effect.flip
      )
      expect(bad).toBeInstanceOf(InvalidRedactionPattern)
      expect(bad.name).toBe("broken")
      expect(() => compileExtraPattern({ name: "has]bracket", pattern: /x/ })).toThrow(InvalidRedactionPattern)
    })
  )
})

interface Tally {
  total: number
  bad: number
}

const tallyBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string, isBad: (a: A) => boolean) => {
  const byKey = new Map<string, Tally>()
  const bad: Array<A> = []
  for (const item of items) {
    const t = byKey.get(key(item)) ?? { total: 0, bad: 0 }
    t.total++
    if (isBad(item)) {
      t.bad++
      bad.push(item)
    }
    byKey.set(key(item), t)
  }
  return { byKey, bad }
}

describe("corpus measurement", () => {
  const { positives, negatives } = buildCorpus()
  const missed = (p: PositiveSample) => {
    const out = redact(p.text)
    return p.secrets.some((s) => out.includes(s))
  }
  const changed = (n: NegativeSample) => redact(n.text) !== n.text

  it("covers at least 60 credential kinds and 25 look-alike families", () => {
    expect(new Set(positives.filter((p) => p.family !== "classic").map((p) => p.kind)).size).toBeGreaterThanOrEqual(60)
    expect(new Set(negatives.filter((n) => n.family !== "classic").map((n) => n.family)).size).toBeGreaterThanOrEqual(
      25
    )
    expect(positives.length).toBeGreaterThanOrEqual(1000)
    expect(negatives.length).toBeGreaterThanOrEqual(300)
  })

  it("recall >= 0.99 and false-positive rate <= 0.01, printed per family", () => {
    const recall = tallyBy(positives, (p) => p.family, missed)
    const fp = tallyBy(negatives, (n) => n.family, changed)
    const kinds = new Set(positives.map((p) => p.kind)).size
    const overallRecall = 1 - recall.bad.length / positives.length
    const overallFp = fp.bad.length / negatives.length
    const row = (name: string, t: Tally, what: "recall" | "fp") =>
      `  ${name.padEnd(28)} ${String(t.total).padStart(5)}  ${what} ${(what === "recall" ? 1 - t.bad / t.total : t.bad / t.total).toFixed(4)}`
    console.log(
      [
        `[redactor corpus] positives=${positives.length} (${kinds} kinds, ${recall.byKey.size} families) ` +
          `negatives=${negatives.length} (${fp.byKey.size} families) recall=${overallRecall.toFixed(4)} fpRate=${overallFp.toFixed(4)}`,
        "positives by family:",
        ...[...recall.byKey].sort(([a], [b]) => a.localeCompare(b)).map(([name, t]) => row(name, t, "recall")),
        "look-alikes by family:",
        ...[...fp.byKey].sort(([a], [b]) => a.localeCompare(b)).map(([name, t]) => row(name, t, "fp")),
        ...recall.bad.map((p) => `  missed ${p.id}`),
        ...fp.bad.map((n) => `  false positive ${n.id}`)
      ].join("\n")
    )
    expect(overallRecall).toBeGreaterThanOrEqual(0.99)
    expect(overallFp).toBeLessThanOrEqual(0.01)
  })

  it("a token with a published prefix is redacted with no key name around it (command output, prose, logs)", () => {
    const unkeyed = positives.filter((p) => UNKEYED_CONTEXTS.has(p.id.slice(p.id.lastIndexOf("/") + 1)))
    expect(unkeyed.length).toBeGreaterThanOrEqual(300)
    expect(unkeyed.filter(missed).map((p) => p.id)).toEqual([])
  })

  it("the same secrets in a tool result's JSON, once or twice encoded, or as a command's: found, and the JSON whole", () => {
    const wraps: ReadonlyArray<readonly [string, (text: string) => string, (out: string) => unknown]> = [
      ["once", (t) => JSON.stringify({ type: "tool_result", content: t, is_error: false }), (o) => JSON.parse(o)],
      [
        "twice",
        (t) => JSON.stringify({ content: JSON.stringify({ type: "tool_result", content: t }), is_error: false }),
        (o) => JSON.parse(JSON.parse(o).content)
      ],
      ["command", (t) => JSON.stringify({ command: t, description: "run it" }), (o) => JSON.parse(o)]
    ]
    for (const [name, wrap, parse] of wraps) {
      const leaked = positives.filter((p) => {
        const out = redact(wrap(p.text))
        return p.secrets.some((s) => out.includes(s) || out.includes(JSON.stringify(s).slice(1, -1)))
      })
      const broken = positives.filter((p) => {
        try {
          parse(redact(wrap(p.text)))
          return false
        } catch {
          return true
        }
      })
      const damaged = negatives.filter((n) => redact(wrap(n.text)) !== wrap(n.text))
      expect([name, leaked.map((p) => p.id), broken.map((p) => p.id), damaged.map((n) => n.id)]).toEqual([
        name,
        [],
        [],
        []
      ])
    }
  })

  it("redacting twice equals redacting once, for every sample", () => {
    const notIdempotent = [...positives, ...negatives].filter((s) => {
      const once = redact(s.text)
      return redact(once) !== once
    })
    expect(notIdempotent.map((s) => s.id)).toEqual([])
  })

  it("redacting twice equals redacting once (values)", () => {
    const value = {
      password: "hunter2",
      token: `Bearer ${g.alnum(40)}`,
      nested: positives.slice(0, 200).map((p) => ({ text: p.text, api_key: p.secrets[0] }))
    }
    const once = redactValue(value)
    expect(redactValue(once)).toEqual(once)
  })

  it("keeps the text length manageable: a marker is at most a few characters longer than what it replaces", () => {
    for (const p of positives) {
      const { text, findings } = redactText(p.text)
      const removed = findings.reduce((n, f) => n + (f.end - f.start), 0)
      expect(text.length).toBeLessThanOrEqual(p.text.length - removed + findings.length * 40)
    }
  })
})

// Linear-time guarantees: each input must finish within the (generous) test timeout; the assertions check the output.
describe("pathological inputs", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["100 KB of a", "a".repeat(100_000)],
    ["1 MB of one base64 run", g.b64(1 << 20)],
    ["base64 runs split by slashes", `${g.b64(60)}/`.repeat(20_000)],
    ["key=key=key=…", "key=".repeat(100_000)],
    ["password=password=…", "password=".repeat(100_000)],
    ["token: token: …", "token: ".repeat(100_000)],
    ["BEGIN lines without END", "-----BEGIN RSA PRIVATE KEY-----\n".repeat(30_000)],
    ["https://a:a:a:…", `https://${"a:".repeat(200_000)}`],
    ["eyJ followed by 1 MB", `eyJ${"a".repeat(1 << 20)}`],
    ["dots between eyJ", "eyJaaaaaaaaaaa.".repeat(60_000)],
    ["Bearer × many", "Bearer ".repeat(140_000)],
    ["curl -u × many", "curl -u ".repeat(100_000)],
    ["postgres://uuu…", `postgres://${"u".repeat(1 << 20)}`],
    ["AccountKey=AAA…", `AccountKey=${"A".repeat(1 << 20)}`],
    ["one 1 MB line of code", "const x = obj.key + token(a, b); ".repeat(30_000)],
    ["kind: Secret × many", "kind: Secret\ndata:\n".repeat(50_000)],
    ["PuTTY headers × many", "PuTTY-User-Key-File-3: ssh-rsa\n".repeat(30_000)],
    ["mysql -p × many", "mysql -p ".repeat(100_000)],
    ["nested quotes", `"password": "${'\\"'.repeat(100_000)}"`],
    // Decoded views: one long line with an escape every so often, and escapes back to back
    ["1 MB JSON line with a \\n every 2 KB", `{"text":"${`${"a ".repeat(1000)}\\n`.repeat(500)}"}`],
    ["terminal colours × many", "\u001b[32mok\u001b[0m token ".repeat(50_000)],
    ["%41 and \\\\ × many", "%41\\\\&amp;".repeat(100_000)],
    // One long line of anchors whose scanners look at the whole line (each line is looked at once)
    [".pgpass ports × many", "db:5432:".repeat(300_000)],
    ["sasl_passwd ports × many", "[h]:587 ".repeat(300_000)],
    ["::add-mask:: × many", "::add-mask::".repeat(200_000)],
    ["<ns:password attributes × many", '<ns:password a="b" '.repeat(60_000)],
    // Labels in other languages, and commands that take a secret on their line
    ["contraseña: × many", "contraseña: ".repeat(100_000)],
    ["Пароль: x1 × many", "Пароль: x1".repeat(100_000)],
    ["echo … | sudo -S × many lines", "echo abcdefgh1 | sudo -S x\n".repeat(50_000)],
    ["cargo login × many", "cargo login ".repeat(100_000)],
    // A value put into a variable, Netscape cookie lines (as text and in a JSON string), labels before a few words
    ["put … in TOKEN × many", "put abcdefghij1234567 in TOKEN ".repeat(50_000)],
    ["tab-separated runs on one line", `.a.io\tTRUE\t/\tTRUE\t1\tsid\t${"abcdefghijklmnopqrstuv\t".repeat(60_000)}`],
    [
      "\\t-separated runs in a JSON string",
      `"x\\tTRUE\\t/\\tTRUE\\t1\\tsid\\t${"abcdefghijklmnopqrstuv\\t".repeat(60_000)}"`
    ],
    ["mot de passe a b c d × many", "mot de passe a b c d ".repeat(50_000)],
    ["define('NONCE_SALT', × many", "define('NONCE_SALT', ".repeat(50_000)],
    ['ENV.fetch("TOKEN") { × many', 'ENV.fetch("TOKEN") { '.repeat(50_000)],
    [
      "AUTH PLAIN and Honeycomb headers × many",
      "AUTH PLAIN AGFsZXJ0c0BhY21lLmlvAHlF x-honeycomb-team: ab12cd34ef56gh78ij90 ".repeat(20_000)
    ],
    ["anaconda.org/t/ × many", "anaconda.org/t/ac-abcdefgh12345678/".repeat(30_000)],
    // A label of another script followed by its verb and no space, over and over (each read up to 300 characters)
    ["密码是 × many", "密码是".repeat(333_334)],
    ["トークンは × many", "トークンは".repeat(200_000)]
  ]
  for (const [name, input] of cases) {
    it(name, { timeout: 60_000 }, () => {
      const { text, findings } = redactText(input)
      expect(findings.every((f) => f.end > f.start)).toBe(true)
      expect(text.length).toBeLessThanOrEqual(input.length + findings.length * 40)
      // compared as booleans: a failure must not print megabytes
      expect(redact(text) === text).toBe(true)
    })
  }

  it("1 MB of code without secrets comes out unchanged", { timeout: 60_000 }, () => {
    const code = "export const readToken = (key: string) => cache.get(key) ?? process.env[key] // pass it on\n"
    const input = code.repeat(Math.ceil((1 << 20) / code.length))
    expect(redact(input) === input).toBe(true)
  })
})

describe("redactText: what the review of the next stop found", () => {
  it("keeps a contract's public address under a token-named key (it is no secret: the name ends in address)", () => {
    const address = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
    unchanged(
      `const TOKEN_ADDRESS = "${address}"`,
      `tokenAddress: "${address}"`,
      `{"tokenAddress": "${address}", "chainId": 1}`,
      `usdcTokenAddress = '${address}'`,
      `const SECRET_CONTRACT = "${address}"`
    )
    // the secret beside it still goes
    expect(redact(`PRIVATE_KEY=0x${"4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"}`)).not.toContain(
      "4c0883a69102937d"
    )
  })
})

describe("redactText: heredocs given to commands that read a secret", () => {
  it("redacts the heredoc's lines up to its tag, and leaves other heredocs alone", () => {
    const token = `dckr_pat_${g.b64url(27)}`
    const pw = "Xk3pL9qZ2wR7"
    const pw2 = "Tb8mQ4vN6yH1"
    expect(
      gone(`docker login -u bob --password-stdin registry.example.com <<EOF\n${token}\nEOF\necho done`, token)
    ).toBe(true)
    expect(gone(`sudo -S apt-get update <<'EOF'\n${pw}\nEOF`, pw)).toBe(true)
    expect(gone(`chpasswd <<-END\n\talice:${pw}\n\tbob:${pw2}\n\tEND`, pw, pw2)).toBe(true)
    // after the tag, lines are read as ever; a heredoc given to another command is its text
    expect(redact(`passwd --stdin alice <<EOF\n${pw}\nEOF\nls -la`)).toContain("\nEOF\nls -la")
    unchanged("cat <<EOF > notes.txt\nhello world\nEOF", "psql <<SQL\nSELECT 1;\nSQL")
  })
})

describe("redactText: a BuildKit secret's spec names where a secret comes from", () => {
  it("keeps `--secret id=…,src=…` and `env=…` (the command's arguments were redacted with it)", () => {
    unchanged(
      "docker build --secret id=npm,src=$HOME/.npmrc .",
      "docker buildx build --secret id=aws,src=$HOME/.aws/credentials -t app .",
      "podman build --secret=id=netrc,src=/home/u/.netrc .",
      "docker build --secret id=gh_token,env=GH_TOKEN ."
    )
    expect(redact("API_SECRET=id=abc123xyz789")).toBe(`API_SECRET=${R("secret-assignment")}`)
    expect(gone("mytool --secret Zq8vW2kP9xR4tL6m", "Zq8vW2kP9xR4tL6m")).toBe(true)
  })
})

describe("redactText: server configuration directives that set a variable", () => {
  it("redacts Apache's SetEnv and nginx's fastcgi_param of a secret-named variable, and leaves the others", () => {
    const secret = "q8ZkW3vP0xR7tL2mN5bJ9cH4"
    expect(gone(`<VirtualHost *:80>\n  SetEnv API_SECRET ${secret}\n</VirtualHost>`, secret)).toBe(true)
    expect(gone(`location ~ \\.php$ {\n  fastcgi_param DB_PASSWORD ${secret};\n}`, secret)).toBe(true)
    unchanged("SetEnv APP_ENV production", "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;")
  })
})
