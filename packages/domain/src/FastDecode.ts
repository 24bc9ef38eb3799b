import * as AST from "effect/SchemaAST"

/**
 * A schema's decoding compiled into plain JavaScript, for the shapes of schema that only check types (strings,
 * numbers, booleans, literals, structs, records, arrays, unions of members told apart by type): several times faster
 * than interpreting the schema, for input read by the thousand (transcript lines). It answers what
 * `Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })` answers on success (the same value: each
 * struct's declared properties, in its order), and `NO` wherever that fails; the caller then decodes with the schema,
 * which also says what is wrong. `compile` answers undefined for a schema with any other node (a transformation, a
 * refinement, a union the schema decodes by a literal field, an annotation that changes decoding), which this does
 * not mirror, and where code cannot be generated from strings. The code is generated with
 * the property names as string literals (`JSON.stringify`), so that V8 reads and writes them as named properties.
 * `test/FastDecode.test.ts` holds the two equal on random input.
 */

/** What a compiled decoder answers where the schema's decoding fails. */
export const NO: unique symbol = Symbol("FastDecode.NO")

export type Decoder = (input: unknown) => unknown

class Unsupported {}

/** Whether a union member would be found by the schema through a literal field (its search tree), not in order. */
const hasLiteralField = (member: AST.AST): boolean =>
  member._tag === "TypeLiteral" &&
  member.propertySignatures.some(
    (ps) =>
      ps.type._tag === "Literal" ||
      ps.type._tag === "UniqueSymbol" ||
      (ps.type._tag === "Union" && ps.type.types.some((t) => t._tag === "Literal" || t._tag === "UniqueSymbol"))
  )

/**
 * The generated functions: `f<n>(input)` answers the decoded value or `NO`. One per node of the schema (`named`), however
 * often the node occurs: a struct whose two fields are the same schema, nested, would otherwise double the code at each
 * level.
 */
interface Program {
  readonly functions: Array<string>
  readonly literals: Array<unknown>
  readonly named: Map<AST.AST, string>
}

const isRecord = "(typeof input !== 'object' || input === null || Array.isArray(input))"

/** Adds the function decoding `ast` to the program and answers its name. */
const emit = (program: Program, ast: AST.AST): string => {
  const known = program.named.get(ast)
  if (known !== undefined) return known
  const name = `f${program.functions.length}`
  program.named.set(ast, name)
  program.functions.push("")
  program.functions[Number(name.slice(1))] = `function ${name}(input) {\n${body(program, ast)}\n}`
  return name
}

/** Annotations that change how the schema decodes a node (options for it and below it, a value to fall back on). */
const changesDecoding = (ast: AST.AST): boolean =>
  AST.ParseOptionsAnnotationId in ast.annotations || AST.DecodingFallbackAnnotationId in ast.annotations

const body = (program: Program, ast: AST.AST): string => {
  if (changesDecoding(ast)) throw new Unsupported()
  switch (ast._tag) {
    case "StringKeyword":
      return "return typeof input === 'string' ? input : NO"
    case "NumberKeyword":
      return "return typeof input === 'number' ? input : NO"
    case "BooleanKeyword":
      return "return typeof input === 'boolean' ? input : NO"
    case "UndefinedKeyword":
      return "return input === undefined ? input : NO"
    case "UnknownKeyword":
    case "AnyKeyword":
      return "return input"
    case "Literal": {
      program.literals.push(ast.literal)
      return `return input === literals[${program.literals.length - 1}] ? input : NO`
    }
    case "TypeLiteral": {
      if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
        return "return input === null || input === undefined ? NO : input"
      }
      if (ast.indexSignatures.length > 1) throw new Unsupported()
      const index = ast.indexSignatures[0]
      if (index !== undefined && index.parameter._tag !== "StringKeyword") throw new Unsupported()
      const lines = [`if ${isRecord} return NO`, "const output = {}", "let value"]
      const declared: Array<string> = []
      for (const ps of ast.propertySignatures) {
        if (typeof ps.name !== "string") throw new Unsupported()
        const key = JSON.stringify(ps.name)
        declared.push(ps.name)
        const decode = `value = ${emit(program, ps.type)}(input[${key}]); if (value === NO) return NO; output[${key}] = value`
        // An absent optional property is left out; an absent required one is decoded from what reading it gives.
        lines.push(ps.isOptional ? `if (hasOwn(input, ${key})) { ${decode} }` : decode)
      }
      if (index !== undefined) {
        const item = emit(program, index.type)
        let skip = ""
        if (declared.length > 0) {
          // Kept as the schema's decoding keeps them: assigned into a plain object (so a declared `__proto__` is no key
          // of it), and looked up as own keys.
          const keys: Record<string, null> = {}
          for (const name of declared) keys[name] = null
          program.literals.push(keys)
          skip = `if (!hasOwn(literals[${program.literals.length - 1}], key)) `
        }
        // Every key's value is decoded, the declared ones' too, but only the others are set here. (An assignment, as the
        // schema's decoding makes it: a `__proto__` key sets the prototype there too.)
        lines.push(
          `for (const key of Object.keys(input)) { value = ${item}(input[key]); if (value === NO) return NO; ${skip}output[key] = value }`
        )
      }
      lines.push("return output")
      return lines.join("\n")
    }
    case "TupleType": {
      if (ast.elements.length !== 0 || ast.rest.length !== 1) throw new Unsupported()
      const item = emit(program, (ast.rest[0] as AST.Type).type)
      return [
        "if (!Array.isArray(input)) return NO",
        "const output = new Array(input.length)",
        `for (let i = 0; i < input.length; i++) { const value = ${item}(input[i]); if (value === NO) return NO; output[i] = value }`,
        "return output"
      ].join("\n")
    }
    case "Union": {
      if (ast.types.some(hasLiteralField)) throw new Unsupported()
      const members = ast.types.map((member) => emit(program, member))
      return `let value\n${members.map((m) => `value = ${m}(input); if (value !== NO) return value`).join("\n")}\nreturn NO`
    }
    default:
      throw new Unsupported()
  }
}

/** The program of a schema, or undefined when the schema has a node this does not mirror or is too deep to compile. */
const programOf = (ast: AST.AST): { readonly program: Program; readonly entry: string } | undefined => {
  const program: Program = { functions: [], literals: [], named: new Map() }
  try {
    return { program, entry: emit(program, ast) }
  } catch (error) {
    // (a schema nested deeper than the stack, which the schema's own decoding may still handle: decoded by it)
    if (error instanceof Unsupported || error instanceof RangeError) return undefined
    throw error
  }
}

/** How many functions the compiled decoder of a schema has (for tests: one per distinct node), or undefined. */
export const functionCount = (ast: AST.AST): number | undefined => programOf(ast)?.program.functions.length

/** The schema's decoding compiled (see above), or undefined when the schema has a node this does not mirror. */
export const compile = (ast: AST.AST): Decoder | undefined => {
  const compiled = programOf(ast)
  if (compiled === undefined) return undefined
  const source = `${compiled.program.functions.join("\n")}\nreturn ${compiled.entry}`
  try {
    return new Function("NO", "literals", "hasOwn", source)(NO, compiled.program.literals, Object.hasOwn) as Decoder
  } catch (error) {
    // Code generation disallowed (`node --disallow-code-generation-from-strings`, a CSP): the schema decodes instead;
    // a program too deep for the parser's stack likewise
    if (error instanceof EvalError || error instanceof RangeError) return undefined
    throw error
  }
}
