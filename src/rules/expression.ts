/**
 * A small, safe expression language for alarm rules, e.g.
 *   motor_current > 1.2 * rated_current && state == "running"
 *   abs(point("Line 1/Motor current") - setpoint) > 3
 *
 * Source text is lexed, parsed to an AST, type checked and then evaluated by walking the AST.
 * Nothing is ever handed to `eval` or `Function`, and the only names an expression can reach are
 * point values supplied by the caller and the fixed function table below.
 */
import { RulesErrors } from './rules-errors.ts'

export type ExprType = 'number' | 'string' | 'boolean' | 'unknown'
export type ExprValue = number | string | boolean

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||'
export type UnaryOp = '!' | '-'

export type ExprNode =
  | { readonly type: 'number'; readonly value: number; readonly pos: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number }
  | { readonly type: 'boolean'; readonly value: boolean; readonly pos: number }
  | { readonly type: 'ref'; readonly name: string; readonly pos: number }
  | { readonly type: 'unary'; readonly op: UnaryOp; readonly arg: ExprNode; readonly pos: number }
  | {
      readonly type: 'binary'
      readonly op: BinaryOp
      readonly left: ExprNode
      readonly right: ExprNode
      readonly pos: number
    }
  | { readonly type: 'call'; readonly fn: string; readonly args: readonly ExprNode[]; readonly pos: number }

/** Limits keep a hostile or broken expression from costing more than a rule should. */
export const EXPRESSION_MAX_LENGTH = 4096
export const EXPRESSION_MAX_DEPTH = 64

// ---------------------------------------------------------------- lexer

type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'eof'
interface Token {
  readonly kind: TokenKind
  readonly text: string
  readonly value?: number | string
  readonly pos: number
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '(', ')', ',']

function fail(source: string, pos: number, expected: string, found?: string): never {
  let line = 1
  let column = 1
  for (let i = 0; i < pos && i < source.length; i++) {
    if (source[i] === '\n') {
      line++
      column = 1
    } else column++
  }
  const shown = found ?? (pos >= source.length ? 'end of input' : JSON.stringify(source.slice(pos, pos + 12)))
  throw RulesErrors.expressionInvalid(
    `expression: expected ${expected} but found ${shown} at line ${line}, column ${column}`,
    { position: pos, line, column, expected, found: shown },
  )
}

const IDENT_START = /[\p{L}_]/u
const IDENT_PART = /[\p{L}\p{N}_]/u

export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const ch = source[i] as string
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++
      continue
    }
    const start = i
    if ((ch >= '0' && ch <= '9') || (ch === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i))
      const text = m?.[0] ?? ch
      i += text.length
      if (IDENT_START.test(source[i] ?? '')) fail(source, i, 'an operator or end of number')
      tokens.push({ kind: 'number', text, value: Number(text), pos: start })
      continue
    }
    if (ch === '"' || ch === "'") {
      let value = ''
      i++
      for (;;) {
        if (i >= source.length) fail(source, i, `closing ${ch}`)
        const c = source[i] as string
        if (c === ch) {
          i++
          break
        }
        if (c === '\n') fail(source, i, `closing ${ch}`, 'end of line')
        if (c === '\\') {
          const e = source[i + 1]
          const map: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" }
          const rep = e === undefined ? undefined : map[e]
          if (rep === undefined) fail(source, i, 'an escape \\n \\t \\\\ \\" or \\\'')
          value += rep
          i += 2
          continue
        }
        value += c
        i++
      }
      tokens.push({ kind: 'string', text: source.slice(start, i), value, pos: start })
      continue
    }
    if (IDENT_START.test(ch)) {
      // dotted names (line1.motor.current) are one identifier: point keys are often hierarchical
      i++
      while (i < source.length) {
        const c = source[i] as string
        if (IDENT_PART.test(c)) i++
        else if (c === '.' && IDENT_START.test(source[i + 1] ?? '')) i += 2
        else break
      }
      tokens.push({ kind: 'ident', text: source.slice(start, i), pos: start })
      continue
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i))
    if (op === undefined) {
      if (ch === '=' || ch === '&' || ch === '|') {
        fail(source, i, ch === '=' ? '"==" (single "=" is not an operator)' : `"${ch}${ch}"`)
      }
      fail(source, i, 'a number, string, name, operator or parenthesis')
    }
    tokens.push({ kind: 'op', text: op, pos: start })
    i += op.length
  }
  tokens.push({ kind: 'eof', text: '', pos: source.length })
  return tokens
}

// ---------------------------------------------------------------- parser

const BINARY_LEVELS: readonly (readonly BinaryOp[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%'],
]

export function parseExpression(source: string): ExprNode {
  if (source.length > EXPRESSION_MAX_LENGTH) {
    fail(source, EXPRESSION_MAX_LENGTH, `at most ${EXPRESSION_MAX_LENGTH} characters`, 'more')
  }
  const tokens = tokenize(source)
  let k = 0
  let depth = 0
  const peek = (): Token => tokens[k] as Token
  const isOp = (text: string): boolean => peek().kind === 'op' && peek().text === text
  const expectOp = (text: string, what: string): void => {
    if (!isOp(text)) fail(source, peek().pos, what)
    k++
  }
  const enter = (pos: number): void => {
    if (++depth > EXPRESSION_MAX_DEPTH) fail(source, pos, `nesting depth at most ${EXPRESSION_MAX_DEPTH}`)
  }

  function binary(level: number): ExprNode {
    if (level >= BINARY_LEVELS.length) return unary()
    const ops = BINARY_LEVELS[level] as readonly BinaryOp[]
    let left = binary(level + 1)
    // comparisons do not chain: `a < b < c` would compare a boolean with a number
    const chains = level !== 3 && level !== 2
    for (;;) {
      const t = peek()
      if (t.kind !== 'op' || !ops.includes(t.text as BinaryOp)) return left
      k++
      const right = binary(level + 1)
      left = { type: 'binary', op: t.text as BinaryOp, left, right, pos: t.pos }
      if (!chains) {
        const n = peek()
        if (n.kind === 'op' && ops.includes(n.text as BinaryOp)) {
          fail(source, n.pos, 'parentheses around a chained comparison')
        }
        return left
      }
    }
  }

  function unary(): ExprNode {
    const t = peek()
    if (t.kind === 'op' && (t.text === '!' || t.text === '-')) {
      k++
      enter(t.pos)
      const arg = unary()
      depth--
      return { type: 'unary', op: t.text as UnaryOp, arg, pos: t.pos }
    }
    return primary()
  }

  function primary(): ExprNode {
    const t = peek()
    if (t.kind === 'number') {
      k++
      return { type: 'number', value: t.value as number, pos: t.pos }
    }
    if (t.kind === 'string') {
      k++
      return { type: 'string', value: t.value as string, pos: t.pos }
    }
    if (t.kind === 'ident') {
      k++
      if (t.text === 'true' || t.text === 'false')
        return { type: 'boolean', value: t.text === 'true', pos: t.pos }
      if (!isOp('(')) return { type: 'ref', name: t.text, pos: t.pos }
      k++
      enter(t.pos)
      if (t.text === 'point') {
        // point("Line 1/Motor current") names a point whose key is not a valid identifier
        const arg = peek()
        if (arg.kind !== 'string') fail(source, arg.pos, 'a quoted point name')
        k++
        expectOp(')', '")"')
        depth--
        return { type: 'ref', name: arg.value as string, pos: t.pos }
      }
      const args: ExprNode[] = []
      if (!isOp(')')) {
        for (;;) {
          args.push(binary(0))
          if (isOp(',')) {
            k++
            continue
          }
          break
        }
      }
      expectOp(')', '"," or ")"')
      depth--
      return { type: 'call', fn: t.text, args, pos: t.pos }
    }
    if (t.kind === 'op' && t.text === '(') {
      k++
      enter(t.pos)
      const inner = binary(0)
      expectOp(')', '")"')
      depth--
      return inner
    }
    return fail(source, t.pos, 'a number, string, name, function call or "("')
  }

  const ast = binary(0)
  if (peek().kind !== 'eof') fail(source, peek().pos, 'an operator or end of input')
  return ast
}

// ---------------------------------------------------------------- functions

interface FunctionSpec {
  readonly minArgs: number
  readonly maxArgs: number
  readonly impl: (args: readonly number[]) => number
}

const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  abs: { minArgs: 1, maxArgs: 1, impl: (a) => Math.abs(a[0] as number) },
  sqrt: { minArgs: 1, maxArgs: 1, impl: (a) => Math.sqrt(a[0] as number) },
  floor: { minArgs: 1, maxArgs: 1, impl: (a) => Math.floor(a[0] as number) },
  ceil: { minArgs: 1, maxArgs: 1, impl: (a) => Math.ceil(a[0] as number) },
  min: { minArgs: 1, maxArgs: 32, impl: (a) => Math.min(...a) },
  max: { minArgs: 1, maxArgs: 32, impl: (a) => Math.max(...a) },
  pow: { minArgs: 2, maxArgs: 2, impl: (a) => (a[0] as number) ** (a[1] as number) },
  round: {
    minArgs: 1,
    maxArgs: 2,
    impl: (a) => {
      const f = 10 ** Math.trunc(a[1] ?? 0)
      return Math.round((a[0] as number) * f) / f
    },
  },
  clamp: {
    minArgs: 3,
    maxArgs: 3,
    impl: (a) => Math.min(Math.max(a[0] as number, a[1] as number), a[2] as number),
  },
}

export const EXPRESSION_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS)

// ---------------------------------------------------------------- type checker

/** Types of the names an expression may use; a name it does not know is 'unknown' (checked at run time). */
export type TypeEnv = (name: string) => ExprType | undefined

function typeName(t: ExprType): string {
  return t === 'unknown' ? 'a value' : `a ${t}`
}

export function checkExpression(source: string, ast: ExprNode, env: TypeEnv = () => undefined): ExprType {
  const want = (node: ExprNode, t: ExprType, wanted: 'number' | 'boolean'): void => {
    if (t !== 'unknown' && t !== wanted) fail(source, node.pos, `a ${wanted}`, typeName(t))
  }
  const visit = (node: ExprNode): ExprType => {
    switch (node.type) {
      case 'number':
      case 'string':
      case 'boolean':
        return node.type
      case 'ref':
        return env(node.name) ?? 'unknown'
      case 'unary': {
        const t = visit(node.arg)
        want(node.arg, t, node.op === '!' ? 'boolean' : 'number')
        return node.op === '!' ? 'boolean' : 'number'
      }
      case 'binary': {
        const l = visit(node.left)
        const r = visit(node.right)
        switch (node.op) {
          case '&&':
          case '||':
            want(node.left, l, 'boolean')
            want(node.right, r, 'boolean')
            return 'boolean'
          case '==':
          case '!=':
            if (l !== 'unknown' && r !== 'unknown' && l !== r)
              fail(source, node.right.pos, typeName(l), typeName(r))
            return 'boolean'
          case '<':
          case '<=':
          case '>':
          case '>=':
            want(node.left, l, 'number')
            want(node.right, r, 'number')
            return 'boolean'
          default:
            want(node.left, l, 'number')
            want(node.right, r, 'number')
            return 'number'
        }
      }
      case 'call': {
        const spec = FUNCTIONS[node.fn]
        if (spec === undefined)
          fail(source, node.pos, `a function (${EXPRESSION_FUNCTIONS.join(', ')})`, node.fn)
        if (node.args.length < spec.minArgs || node.args.length > spec.maxArgs) {
          const n = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`
          fail(source, node.pos, `${n} argument(s) for ${node.fn}`, `${node.args.length}`)
        }
        for (const a of node.args) want(a, visit(a), 'number')
        return 'number'
      }
    }
  }
  return visit(ast)
}

// ---------------------------------------------------------------- evaluator

/**
 * Returns undefined when a value is missing or has the wrong type at run time, or when arithmetic
 * has no finite answer (x / 0, sqrt(-1)). `&&` and `||` follow three-valued logic so that
 * `false && missing` is still false and `true || missing` still true.
 */
export function evaluateNode(
  node: ExprNode,
  lookup: (name: string) => ExprValue | undefined,
): ExprValue | undefined {
  switch (node.type) {
    case 'number':
    case 'string':
    case 'boolean':
      return node.value
    case 'ref':
      return lookup(node.name)
    case 'unary': {
      const v = evaluateNode(node.arg, lookup)
      if (node.op === '!') return typeof v === 'boolean' ? !v : undefined
      return typeof v === 'number' ? -v : undefined
    }
    case 'binary': {
      if (node.op === '&&' || node.op === '||') {
        const l = evaluateNode(node.left, lookup)
        const lb = typeof l === 'boolean' ? l : undefined
        if (node.op === '&&' && lb === false) return false
        if (node.op === '||' && lb === true) return true
        const r = evaluateNode(node.right, lookup)
        const rb = typeof r === 'boolean' ? r : undefined
        if (node.op === '&&')
          return rb === false ? false : lb === undefined || rb === undefined ? undefined : true
        return rb === true ? true : lb === undefined || rb === undefined ? undefined : false
      }
      const l = evaluateNode(node.left, lookup)
      const r = evaluateNode(node.right, lookup)
      if (l === undefined || r === undefined) return undefined
      if (node.op === '==' || node.op === '!=') {
        if (typeof l !== typeof r) return undefined
        return node.op === '==' ? l === r : l !== r
      }
      if (typeof l !== 'number' || typeof r !== 'number') return undefined
      let out: number | boolean
      switch (node.op) {
        case '<':
          return l < r
        case '<=':
          return l <= r
        case '>':
          return l > r
        case '>=':
          return l >= r
        case '+':
          out = l + r
          break
        case '-':
          out = l - r
          break
        case '*':
          out = l * r
          break
        case '/':
          out = l / r
          break
        default:
          out = l % r
      }
      return Number.isFinite(out) ? out : undefined
    }
    case 'call': {
      const spec = FUNCTIONS[node.fn]
      if (spec === undefined) return undefined
      const args: number[] = []
      for (const a of node.args) {
        const v = evaluateNode(a, lookup)
        if (typeof v !== 'number') return undefined
        args.push(v)
      }
      const out = spec.impl(args)
      return Number.isFinite(out) ? out : undefined
    }
  }
}

export interface CompiledExpression {
  readonly source: string
  readonly ast: ExprNode
  readonly type: ExprType
  /** names the expression reads, in order of first use, without duplicates */
  readonly references: readonly string[]
  evaluate(lookup: (name: string) => ExprValue | undefined): ExprValue | undefined
}

export interface CompileOptions {
  readonly types?: TypeEnv
  /** the result must have this type (or be 'unknown', decided at run time) */
  readonly resultType?: 'number' | 'string' | 'boolean'
}

/** Parses and type checks; throws RongheError RULES_EXPRESSION_INVALID with {position, line, column, expected}. */
export function compileExpression(source: string, options: CompileOptions = {}): CompiledExpression {
  const ast = parseExpression(source)
  const type = checkExpression(source, ast, options.types)
  if (options.resultType !== undefined && type !== 'unknown' && type !== options.resultType) {
    fail(source, ast.pos, `an expression giving a ${options.resultType}`, typeName(type))
  }
  const references: string[] = []
  const collect = (n: ExprNode): void => {
    if (n.type === 'ref') {
      if (!references.includes(n.name)) references.push(n.name)
    } else if (n.type === 'unary') collect(n.arg)
    else if (n.type === 'binary') {
      collect(n.left)
      collect(n.right)
    } else if (n.type === 'call') for (const a of n.args) collect(a)
  }
  collect(ast)
  return { source, ast, type, references, evaluate: (lookup) => evaluateNode(ast, lookup) }
}
