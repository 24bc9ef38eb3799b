// Secrets a review found surviving redaction (2026-12-07), and the text damage it found: each case failed before.
import { describe, expect, it } from "@effect/vitest"
import { redactText, redactValue } from "../src/Redaction.js"

const R = (rule: string) => `[REDACTED:${rule}]`
const redact = (text: string) => redactText(text).text

// Fake key material, assembled so that no scanner of this repository sees a whole key in the source
const L0 = ["8xMz0HF/T1BNQjA7sB0hS17prPXQ", "SzP21OB0DAfCcHO1oQDE7UrzV/sHXRQ7vqQA"].join("")
const L1 = ["imwat4ESDkzKE7H931zjMMJrGm/B", "zXwCOTfWjpDhqAlwE+vulqndnxOapJdxhnAA"].join("")
const LAST = "y7x8OI64BZ51rA=="
const BEGIN = ["-----BEGIN", "PRIVATE KEY-----"].join(" ")
const END = ["-----END", "PRIVATE KEY-----"].join(" ")
const body = [L0, L1, LAST]

/** True when none of `secrets` is left in `out`, escaped or not. */
const gone = (out: string, ...secrets: ReadonlyArray<string>) =>
  secrets.every((s) => !out.includes(s) && !out.includes(JSON.stringify(s).slice(1, -1)))

const notebook = (source: ReadonlyArray<string>) =>
  JSON.stringify({ cells: [{ cell_type: "code", metadata: {}, source }] }, null, 1)

describe("a private key written a line per string literal inside JSON text", () => {
  it("pem-ipynb: a notebook's source lines, each its own JSON string", () => {
    const text = notebook([
      "import jwt\n",
      `KEY = """${BEGIN}\n`,
      ...body.map((l) => `${l}\n`),
      `${END}"""\n`,
      "print(KEY)\n"
    ])
    const out = redact(text)
    expect(gone(out, ...body)).toBe(true)
    // Each literal's content is replaced within its string: the notebook stays JSON, its other lines intact
    const source: Array<string> = JSON.parse(out).cells[0].source
    expect(source).toEqual([
      "import jwt\n",
      `KEY = """${R("private-key")}`,
      R("private-key"),
      R("private-key"),
      R("private-key"),
      `${R("private-key")}"""\n`,
      "print(KEY)\n"
    ])
  })

  it("pem-pyconcat-in-json: Python string pieces inside a JSON string", () => {
    const code = `key = ("${BEGIN}\\n"\n${body.map((l) => `       "${l}\\n"\n`).join("")}       "${END}\\n")`
    const text = JSON.stringify({ role: "user", content: code })
    const out = redact(text)
    expect(gone(out, ...body)).toBe(true)
    expect(JSON.parse(out).content).toBe(
      `key = ("${R("private-key")}"\n${body.map(() => `       "${R("private-key")}"\n`).join("")}       "${R("private-key")}\\n")`
    )
  })

  it("pem-jsconcat-in-json: JS string concatenation inside a JSON string (`+` at either end of a line)", () => {
    const trailing = `const key =\n  "${BEGIN}\\n" +\n${body.map((l) => `  "${l}\\n" +\n`).join("")}  "${END}\\n";`
    const leading = `const key = "${BEGIN}\\n"\n${body.map((l) => `  + "${l}\\n"\n`).join("")}  + "${END}\\n";`
    for (const code of [trailing, leading]) {
      const out = redact(JSON.stringify({ command: `cat > key.js <<'EOF'\n${code}\nEOF` }))
      expect(gone(out, ...body)).toBe(true)
      expect(JSON.parse(out).command).toMatch(/^cat > key\.js <<'EOF'\nconst key =[\s\S]*\\n";\nEOF$/)
    }
  })

  it("without an END line, the body's literals are redacted up to the first literal that is no line of a key", () => {
    const out = redact(notebook([`KEY = """${BEGIN}\n`, ...body.map((l) => `${l}\n`), "print(x)\n"]))
    expect(gone(out, ...body)).toBe(true)
    expect(JSON.parse(out).cells[0].source.at(-1)).toBe("print(x)\n")
  })

  it("a cut-off key in one JSON string does not take the strings after it", () => {
    const text = JSON.stringify([
      { type: "text", text: `${BEGIN}\n${L0}\n${L1.slice(0, 20)}` },
      { type: "text", text: "hello there" }
    ])
    expect(JSON.parse(redact(text))).toEqual([
      { type: "text", text: R("private-key") },
      { type: "text", text: "hello there" }
    ])
  })
})

describe("passwords that only look like placeholders, under a password- or secret-named key", () => {
  it("digits, runs (`1234567`, `abcdefg`), dots and zeros are real passwords there", () => {
    expect(redact("MYSQL_ROOT_PASSWORD=83920174")).toBe(`MYSQL_ROOT_PASSWORD=${R("secret-assignment")}`)
    expect(redact('{"username": "admin", "password": "83920174"}')).toBe(
      `{"username": "admin", "password": "${R("secret-assignment")}"}`
    )
    expect(redact("database:\n  user: app\n  password: 739104")).toBe(
      `database:\n  user: app\n  password: ${R("secret-assignment")}`
    )
    for (const pw of ["Acme1234567!", "Qwerty1234567", "Zx9abcdefgQ!", "Hunter2...", "K9m2pQ00000000", "123456"]) {
      expect(redact(`DB_PASSWORD=${pw}`)).toBe(`DB_PASSWORD=${R("secret-assignment")}`)
    }
    expect(redact("<password>83920174</password>")).toBe(`<password>${R("secret-assignment")}</password>`)
    expect(redact("--password 12345678")).toBe(`--password ${R("secret-assignment")}`)
    expect(redact("client_secret: abcdefg1234567")).toBe(`client_secret: ${R("secret-assignment")}`)
    expect(redactValue({ password: "Acme1234567!", pw: "Hunter2..." })).toEqual({
      password: R("secret-field"),
      pw: R("secret-field")
    })
  })

  it("obvious placeholders stay, and so do numbers under names that say nothing secret", () => {
    for (const text of [
      "DB_PASSWORD=changeme",
      "DB_PASSWORD=<password>",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference as a .env holds it, not a template
      "DB_PASSWORD=${DB_PASSWORD}",
      "DB_PASSWORD=$DB_PASSWORD",
      "DB_PASSWORD=***",
      "DB_PASSWORD=xxxx",
      "DB_PASSWORD=xxxxxxxx",
      "DB_PASSWORD=",
      "DB_PASSWORD=your_password_here",
      "DB_PASSWORD=password123",
      "DB_PASSWORD=000000",
      "DB_PASSWORD=12345",
      "GITHUB_TOKEN=ghp_...",
      "token: eyJhbGciOi...",
      "PASSWORD_TIMEOUT=300000",
      "PASSWORD_MIN_LENGTH=123456",
      "SECRET_KEY=1234567890",
      '"max_tokens": 1234567',
      '{"usage": {"total_tokens": 1234567}}',
      "password_expiry: 86400000"
    ]) {
      expect(redact(text)).toBe(text)
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference as a config holds it, not a template
    const reference = "${X}"
    expect(redactValue({ db_password: "changeme", token: "abc...", nested: { password: reference } })).toEqual({
      db_password: "changeme",
      token: "abc...",
      nested: { password: reference }
    })
  })
})

describe("passwords of several words, unquoted on a line of their own", () => {
  it("dotenv and YAML read the rest of the line (up to a comment)", () => {
    expect(redact("DB_PASSWORD=correct horse battery staple")).toBe(`DB_PASSWORD=${R("secret-assignment")}`)
    expect(redact("export DB_PASSWORD=correct horse battery staple # prod")).toBe(
      `export DB_PASSWORD=${R("secret-assignment")} # prod`
    )
    expect(redact("CLIENT_SECRET=alpha beta gamma delta")).toBe(`CLIENT_SECRET=${R("secret-assignment")}`)
    expect(redact("  - password: hello world again")).toBe(`  - password: ${R("secret-assignment")}`)
    // in a JSON string, a line of its own too
    expect(redact('{"content":"DB_PASSWORD=correct horse battery staple\\nA=1"}')).toBe(
      `{"content":"DB_PASSWORD=${R("secret-assignment")}\\nA=1"}`
    )
  })

  it("Google app passwords: four groups of four letters, in .env, YAML and after `app password` in prose", () => {
    expect(redact("SMTP_PASSWORD=tixl zwxu qaoy hubf")).toBe(`SMTP_PASSWORD=${R("secret-assignment")}`)
    expect(redact("smtp:\n  host: smtp.gmail.com\n  password: tixl zwxu qaoy hubf")).toBe(
      `smtp:\n  host: smtp.gmail.com\n  password: ${R("secret-assignment")}`
    )
    expect(redact("Your app password for your device: tixl zwxu qaoy hubf")).toBe(
      `Your app password for your device: ${R("secret-assignment")}`
    )
    expect(redact("App password\n\ntixl zwxu qaoy hubf\n\nHow do I use it?")).toBe(
      `App password\n\n${R("secret-assignment")}\n\nHow do I use it?`
    )
  })

  it("a command run with the variable set keeps its arguments; notes, types and code are left alone", () => {
    expect(redact("PGPASSWORD=s3cretPw psql -h db -U app")).toBe(
      `PGPASSWORD=${R("secret-assignment")} psql -h db -U app`
    )
    expect(redact("DB_PASSWORD=hunter2x npm start")).toBe(`DB_PASSWORD=${R("secret-assignment")} npm start`)
    for (const text of [
      "password: Optional[str] = None",
      "  password: string | null",
      "password: Enter your password",
      "password: the same as staging",
      "password: must be at least 8 characters",
      "Password: see vault",
      "token: abc def ghi",
      "api_key: some words here",
      "password: !vault |",
      "passwd: files systemd",
      "echo DB_PASSWORD=foo bar",
      "DB_PASSWORD=secret docker compose up",
      "the app password: when done copy this code into your mail app",
      "Create an app password, then paste it into the mail app and sign in again"
    ]) {
      expect(redact(text)).toBe(text)
    }
  })
})

describe("Slack's browser session", () => {
  const xoxc = [
    "xoxc",
    "527980235129",
    "433231965958",
    "5661589288914",
    "6ad340c251bec1d1bfadde07682d7d40ab83e3c3a30f47c123c50a303f992173"
  ].join("-")
  const xoxd = [
    "xoxd",
    "JVg7JdJu3Kl0eplPpDNSW8zqxMz8wJA9fyGp7A1V%2B9kASKWLR7HREjPz54jkgFVE6SH8CLU2lirWmjLGu7o2SI9XsQT2AM2LLr4nt%3D"
  ].join("-")

  it("`xoxc-` tokens and `xoxd-` cookies have a format of their own", () => {
    expect(redact(`use token ${xoxc} with cookie d`)).toBe(`use token ${R("slack-token")} with cookie d`)
    expect(redact(`SLACK_COOKIE=${xoxd}`)).toBe(`SLACK_COOKIE=${R("slack-token")}`)
    expect(redact(`curl -H 'cookie: d=${xoxd}' https://slack.com/api/auth.test`)).toBe(
      `curl -H 'cookie: d=${R("slack-token")}' https://slack.com/api/auth.test`
    )
  })
})

describe("the text after an unquoted value stays", () => {
  const T = "C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcM"
  const S = R("secret-assignment")

  it("the next parameter of a query string", () => {
    expect(redact(`api_key=${T}&format=json`)).toBe(`api_key=${S}&format=json`)
    // (a value that is a query itself is one value)
    expect(redact(`SAS_TOKEN=sv=2022-11-02&sig=${T}`)).not.toContain("sv=2022-11-02")
  })

  it("a closing bracket or quote that the value did not open", () => {
    expect(redact(`(API_KEY=${T})\n[API_KEY=${T}]`)).toBe(`(API_KEY=${S})\n[API_KEY=${S}]`)
    expect(redact(`cat > .env <<< "A=1\nAPI_KEY=${T}"`)).toBe(`cat > .env <<< "A=1\nAPI_KEY=${S}"`)
    expect(redact(`ENV = """\nDEBUG=1\nAPI_KEY=${T}"""`)).toBe(`ENV = """\nDEBUG=1\nAPI_KEY=${S}"""`)
    expect(redact(`const env = \`\nDEBUG=1\nAPI_KEY=${T}\``)).toBe(`const env = \`\nDEBUG=1\nAPI_KEY=${S}\``)
    // (a weak name's value read without the quote is token-like again)
    expect(redact(`cat > .env <<< "A=1\nANTHROPIC_KEY=${T}"`)).toBe(`cat > .env <<< "A=1\nANTHROPIC_KEY=${S}"`)
  })
})

describe("command forms", () => {
  const PW = "z9CPVNPkNa1Hed"

  it("REDISCLI_AUTH, influx -p, dotnet nuget -p, sshpass in a ProxyCommand, ODBC's braced PWD", () => {
    expect(redact(`REDISCLI_AUTH=${PW} redis-cli`)).toBe(`REDISCLI_AUTH=${R("secret-assignment")} redis-cli`)
    expect(redact(`influx setup -u admin -p ${PW} -o acme`)).toBe(
      `influx setup -u admin -p ${R("cli-password")} -o acme`
    )
    expect(
      redact(`dotnet nuget add source https://nuget.acme.io -n acme -u bob -p ${PW} --store-password-in-clear-text`)
    ).toBe(
      `dotnet nuget add source https://nuget.acme.io -n acme -u bob -p ${R("cli-password")} --store-password-in-clear-text`
    )
    expect(redact(`ssh -o 'ProxyCommand=sshpass -p ${PW} ssh jump nc %h %p' deploy@app`)).toBe(
      `ssh -o 'ProxyCommand=sshpass -p ${R("cli-password")} ssh jump nc %h %p' deploy@app`
    )
    expect(redact(`DRIVER={ODBC Driver 18 for SQL Server};SERVER=db;UID=sa;PWD={${PW}}`)).toBe(
      `DRIVER={ODBC Driver 18 for SQL Server};SERVER=db;UID=sa;PWD={${R("secret-assignment")}}`
    )
    for (const text of ["docker run -p 8080:80 influx", "influx -version"]) expect(redact(text)).toBe(text)
  })
})

describe("pathological inputs for these rules", () => {
  // Each must finish (a hang fails through the timeout) and come out consistent; no assertion is about time.
  const T = "C3J27XDCG2LmlZGEONYlgCtjfIZ4SOcM"
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["BEGIN literals in JSON", JSON.stringify({ a: "b", source: Array(30_000).fill(`${BEGIN}\n`) })],
    ["key lines in JSON", JSON.stringify({ a: "b", source: [`${BEGIN}\n`, ...Array(60_000).fill(`${L0}\n`)] })],
    ["literal gaps", `${BEGIN}\n${'"abc\\n",\n "'.repeat(100_000)}`],
    ["closing brackets and quotes", `API_KEY=${T}${'")'.repeat(2_000)}\n`.repeat(250)],
    ["query parameters", `api_key=${T}${"&a=1".repeat(1_000)}\n`.repeat(250)],
    ["many words", "DB_PASSWORD=a b c d e f g h i j k l m n o p q r s t u v w x y z\n".repeat(20_000)],
    ["app password × many", "app password ".repeat(80_000)],
    ["xoxd- × many", `xoxd-${"%2B".repeat(400)} `.repeat(800)]
  ]
  for (const [name, text] of cases) {
    it(name, { timeout: 20_000 }, () => {
      const { text: out, findings } = redactText(text)
      expect(out.length).toBeLessThanOrEqual(text.length + findings.length * 32)
      expect(redact(out)).toBe(out)
    })
  }
})
