import { type GenericId, type GenericValidator, type Validator, v } from "convex/values"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/**
 * The Effect Schema → Convex validator compiler. It compiles the *encoded* side of a schema (what is stored and sent),
 * so refinements compile to their base type: a handler must still decode with the schema to check them.
 */

/** Annotation that makes a string compile to `v.id(table)`. */
export const TableIdAnnotationId: unique symbol = Symbol.for("@opensync/convex/TableId")

/** A Convex document id of `table`, as a string schema that compiles to `v.id(table)`. */
export const tableId = <Table extends string>(table: Table) =>
  Schema.String.annotations({ [TableIdAnnotationId]: table }) as unknown as Schema.Schema<
    GenericId<Table>,
    GenericId<Table>
  >

/** Thrown at module load for a schema that has no Convex representation; names the offending node. */
export class UnsupportedSchema extends Error {
  constructor(
    readonly path: ReadonlyArray<string>,
    readonly node: string
  ) {
    super(`Cannot compile ${node} to a Convex validator at ${path.length === 0 ? "(root)" : path.join(".")}`)
  }
}

const tableOf = (ast: AST.AST): string | undefined =>
  Option.getOrUndefined(AST.getAnnotation<string>(ast, TableIdAnnotationId))

const compileAst = (ast: AST.AST, path: ReadonlyArray<string>): GenericValidator => {
  const table = tableOf(ast)
  if (table !== undefined) return v.id(table)
  switch (ast._tag) {
    case "StringKeyword":
      return v.string()
    case "NumberKeyword":
      return v.number()
    case "BooleanKeyword":
      return v.boolean()
    case "UnknownKeyword":
    case "AnyKeyword":
      return v.any()
    case "Literal":
      if (ast.literal === null) return v.null()
      if (typeof ast.literal === "bigint") throw new UnsupportedSchema(path, "a bigint literal")
      return v.literal(ast.literal)
    case "Enums":
      return union(
        ast.enums.map(([, value]) => v.literal(value)),
        path
      )
    case "Union": {
      const members = ast.types.filter((member) => member._tag !== "UndefinedKeyword")
      if (members.length !== ast.types.length && !(path[path.length - 1] ?? "").endsWith("?")) {
        throw new UnsupportedSchema(path, "undefined outside an optional property")
      }
      return union(
        members.map((member) => compileAst(member, path)),
        path
      )
    }
    case "TypeLiteral":
      return typeLiteral(ast, path)
    case "TupleType": {
      if (ast.elements.length === 0 && ast.rest.length === 1)
        return v.array(compileAst(ast.rest[0].type, [...path, "[]"]))
      throw new UnsupportedSchema(path, "a tuple (only arrays are supported)")
    }
    case "Refinement":
      return compileAst(ast.from, path)
    case "Transformation":
      return compileAst(ast.from, path)
    case "Suspend":
      throw new UnsupportedSchema(path, "a recursive (suspended) schema")
    case "Declaration":
      throw new UnsupportedSchema(
        path,
        `a declared type (${String(AST.getIdentifierAnnotation(ast).pipe(Option.getOrElse(() => "Declaration")))})`
      )
    default:
      throw new UnsupportedSchema(path, ast._tag)
  }
}

const union = (members: ReadonlyArray<GenericValidator>, path: ReadonlyArray<string>): GenericValidator => {
  if (members.length === 0) throw new UnsupportedSchema(path, "an empty union")
  if (members.length === 1) return members[0]
  const [first, second, ...rest] = members
  return v.union(first, second, ...rest)
}

const typeLiteral = (ast: AST.TypeLiteral, path: ReadonlyArray<string>): GenericValidator => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 1) {
    const [signature] = ast.indexSignatures
    if (signature.parameter._tag !== "StringKeyword") throw new UnsupportedSchema(path, "a non-string record key")
    return v.record(v.string(), compileAst(signature.type, [...path, "[key]"]))
  }
  if (ast.indexSignatures.length > 0)
    throw new UnsupportedSchema(path, "a struct with both fields and an index signature")
  const fields: Record<string, GenericValidator> = {}
  for (const property of ast.propertySignatures) {
    if (typeof property.name !== "string") throw new UnsupportedSchema(path, "a symbol key")
    const name = property.name
    const inner = compileAst(property.type, [...path, property.isOptional ? `${name}?` : name])
    fields[name] = property.isOptional ? v.optional(inner) : inner
  }
  return v.object(fields)
}

type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T]

/** The validator type of each field of an encoded struct: optional properties become `v.optional(...)`. */
export type FieldValidators<E> = {
  -readonly [K in keyof E]-?: K extends OptionalKeys<E>
    ? Validator<Exclude<E[K], undefined>, "optional", string>
    : Validator<E[K], "required", string>
}

/** Compiles the encoded side of a schema to a Convex validator; throws `UnsupportedSchema` for what Convex cannot store. */
export const compile = <A, I, R>(schema: Schema.Schema<A, I, R>): Validator<I, "required", string> =>
  compileAst(schema.ast, []) as Validator<I, "required", string>

/** The field validators of a struct schema (its encoded side), to spread into `defineTable` or `args`. */
export const fields = <A, I extends object, R>(schema: Schema.Schema<A, I, R>): FieldValidators<I> => {
  const validator: GenericValidator = compile(schema)
  if (validator.kind !== "object") throw new UnsupportedSchema([], `a ${validator.kind} where a struct was expected`)
  return validator.fields as FieldValidators<I>
}

/** The validator of what `.paginate()` answers, with pages of `item`. */
export const paginated = <V extends GenericValidator>(item: V) =>
  v.object({
    page: v.array(item),
    isDone: v.boolean(),
    continueCursor: v.string(),
    splitCursor: v.optional(v.union(v.string(), v.null())),
    pageStatus: v.optional(v.union(v.literal("SplitRecommended"), v.literal("SplitRequired"), v.null()))
  })
