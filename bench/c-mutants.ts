/**
 * Mutants of C source text, for `npm run bench -- --mutants` (bench/mutants.ts): each one
 * change at one place (an operator, a constant, a dropped statement, a negated condition)
 * that a good set of vectors should notice. Pure functions of text: a small tokenizer that
 * skips comments, strings, character constants and preprocessor lines (macros and includes
 * are the headers' business, and mutating them would mutate every use at once), then the
 * operators over its tokens.
 */

export interface Token {
  kind: "identifier" | "number" | "punctuator" | "literal";
  text: string;
  /** Offset of the first character in the source. */
  start: number;
  line: number;
  column: number;
}

export type MutationOperator = "operator" | "constant" | "drop-statement" | "negate-condition" | "drop-unary";

export interface Mutant {
  operator: MutationOperator;
  line: number;
  column: number;
  original: string;
  replacement: string;
  /** The function, or the initialized variable and its designated field, holding the change. */
  scope: string;
  /** The whole mutated source. */
  source: string;
}

// Longest first, so `<<=` is one token and not `<<` then `=`.
const PUNCTUATORS = [
  "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
  "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=",
];

/** The tokens of `source`, without comments, string or character literals' insides, or preprocessor lines. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  let i = 0;
  const advance = (to: number) => {
    for (; i < to; i++) {
      if (source[i] === "\n") {
        line++;
        lineStart = i + 1;
        atLineStart = true;
      }
    }
  };
  while (i < source.length) {
    const c = source[i]!;
    const rest = source.slice(i, i + 3);
    if (/\s/.test(c)) {
      advance(i + 1);
      continue;
    }
    if (atLineStart && c === "#") {
      // A directive runs to the first newline not escaped by a backslash.
      const end = /(?<!\\)\n|$/.exec(source.slice(i))!;
      advance(i + end.index);
      continue;
    }
    atLineStart = false;
    if (rest.startsWith("//")) {
      const end = source.indexOf("\n", i);
      advance(end < 0 ? source.length : end);
      continue;
    }
    if (rest.startsWith("/*")) {
      const end = source.indexOf("*/", i + 2);
      advance(end < 0 ? source.length : end + 2);
      continue;
    }
    const token = (kind: Token["kind"], length: number) => {
      tokens.push({ kind, text: source.slice(i, i + length), start: i, line, column: i - lineStart + 1 });
      advance(i + length);
    };
    if (c === '"' || c === "'") {
      const match = new RegExp(`${c}(\\\\.|[^\\\\${c}\\n])*${c}`).exec(source.slice(i));
      token("literal", match ? match[0].length : 1);
      continue;
    }
    const word = /^[A-Za-z_]\w*/.exec(source.slice(i, i + 256));
    if (word) {
      token("identifier", word[0].length);
      continue;
    }
    const number = /^(0[xX][0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?)[uUlLfF]*/.exec(source.slice(i, i + 64));
    if (number) {
      token("number", number[0].length);
      continue;
    }
    token("punctuator", PUNCTUATORS.find((p) => rest.startsWith(p))?.length ?? 1);
  }
  return tokens;
}

/** Binary operators and what each becomes; compound assignments follow their operator. */
const BINARY: Record<string, string[]> = {
  "&": ["|"],
  "|": ["&"],
  "^": ["|"],
  "<<": [">>"],
  ">>": ["<<"],
  "<": ["<="],
  "<=": ["<"],
  ">": [">="],
  ">=": [">"],
  "==": ["!="],
  "!=": ["=="],
  "&&": ["||"],
  "||": ["&&"],
  "+": ["-"],
  "-": ["+"],
  "&=": ["|="],
  "|=": ["&="],
  "^=": ["|="],
  "<<=": [">>="],
  ">>=": ["<<="],
  "+=": ["-="],
  "-=": ["+="],
};
/** Operators that are unary when no operand precedes them: `&x`, `-1`. */
const MAYBE_UNARY = new Set(["&", "-", "+"]);
/** Keywords after which an operator starts an operand: `return -1`, `case -1:`. */
const NOT_OPERANDS = new Set(["return", "case", "sizeof", "else", "do"]);
const ASSIGNMENTS = new Set(["=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="]);
const CONTROL = new Set(["if", "for", "while", "switch"]);
/** Words that start a declaration, which a dropped statement must not remove (the name would go). */
const DECLARATION_WORDS = new Set([
  "const", "static", "struct", "union", "enum", "unsigned", "signed", "int", "char", "long", "short",
  "bool", "void", "volatile", "register", "extern", "typedef",
]);

function endsOperand(token: Token | undefined): boolean {
  if (!token) return false;
  if (token.kind === "identifier") return !NOT_OPERANDS.has(token.text);
  return token.kind === "number" || token.kind === "literal" || token.text === ")" || token.text === "]";
}

/** Index of the token closing the bracket opened at `open`. */
function matching(tokens: readonly Token[], open: number): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const close = pairs[tokens[open]!.text]!;
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === tokens[open]!.text) depth++;
    else if (tokens[i]!.text === close && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/**
 * For each token, the scope holding it: the function whose body it is in, or, in a
 * top-level initializer, the variable and the last designator (`xche_regs.holds`).
 */
function scopes(tokens: readonly Token[]): string[] {
  const result: string[] = [];
  let depth = 0;
  let name = "";
  let designator = "";
  for (const [i, t] of tokens.entries()) {
    if (depth === 0) {
      designator = "";
      // A function's name precedes its parameter list; a variable's its `=` or `[`.
      if (t.kind === "identifier" && ["(", "=", "["].includes(tokens[i + 1]?.text ?? "")) name = t.text;
    }
    const inList = tokens[i - 1]?.text === "{" || tokens[i - 1]?.text === ",";
    if (inList && t.text === "." && tokens[i + 1]?.kind === "identifier" && tokens[i + 2]?.text === "=") designator = tokens[i + 1]!.text;
    if (t.text === "{") depth++;
    if (t.text === "}") depth--;
    result.push(designator ? `${name}.${designator}` : name);
  }
  return result;
}

interface Change {
  operator: MutationOperator;
  /** Token range replaced, inclusive. */
  from: number;
  to: number;
  replacement: string;
}

function operatorChanges(tokens: readonly Token[]): Change[] {
  return tokens.flatMap((t, i) => {
    if (t.kind !== "punctuator" || !BINARY[t.text]) return [];
    if (MAYBE_UNARY.has(t.text) && !endsOperand(tokens[i - 1])) return [];
    return BINARY[t.text]!.map((replacement) => ({ operator: "operator" as const, from: i, to: i, replacement }));
  });
}

/** A unary `!` or `~` removed: `!x` → `x`. */
function unaryChanges(tokens: readonly Token[]): Change[] {
  return tokens.flatMap((t, i) =>
    (t.text === "!" || t.text === "~") && t.kind === "punctuator" ? [{ operator: "drop-unary" as const, from: i, to: i, replacement: "" }] : [],
  );
}

/** The integer constant `text` with value `value`, in the same base and with the same suffix. */
function integerLike(text: string, value: bigint): string {
  const suffix = /[uUlL]*$/.exec(text)![0];
  const hex = /^0[xX]/.test(text);
  return (hex ? `0x${value.toString(16)}` : value.toString()) + suffix;
}

function constantChanges(tokens: readonly Token[]): Change[] {
  return tokens.flatMap((t, i) => {
    if (t.kind !== "number" || /[.eEfF]/.test(t.text.replace(/^0[xX][0-9a-fA-F]+/, ""))) return [];
    const value = BigInt(t.text.replace(/[uUlL]+$/, ""));
    const values = value === 0n ? [1n] : [0n, value + 1n];
    return values.map((v) => ({ operator: "constant" as const, from: i, to: i, replacement: integerLike(t.text, v) }));
  });
}

/**
 * Indices where a statement may start: after `;`, `{`, `}`, `else`, a label's `:`, or the
 * `)` closing an `if`, `for`, `while` or `switch` head. Inside a `for` head's parentheses
 * nothing starts.
 */
function statementStarts(tokens: readonly Token[]): number[] {
  const starts = new Set<number>();
  const heads = new Set<number>();
  for (const [i, t] of tokens.entries()) {
    if (CONTROL.has(t.text) && tokens[i + 1]?.text === "(") {
      const close = matching(tokens, i + 1);
      for (let j = i + 1; j <= close; j++) heads.add(j);
      starts.add(close + 1);
    }
  }
  for (const [i, t] of tokens.entries()) {
    if (heads.has(i)) continue;
    const label = t.text === ":" && (tokens[i - 2]?.text === "case" || tokens[i - 1]?.text === "default");
    if ([";", "{", "}", "else"].includes(t.text) || label) starts.add(i + 1);
  }
  return [...starts].filter((i) => i < tokens.length).sort((a, b) => a - b);
}

/**
 * An expression statement that assigns, increments or calls, replaced by an empty one: a
 * dropped store or a dropped call. Declarations, returns and jumps stay: dropping them
 * gives a program that does not compile or a mutant of another kind.
 */
function dropChanges(tokens: readonly Token[]): Change[] {
  return statementStarts(tokens).flatMap((start) => {
    const first = tokens[start]!;
    // A head or a label: the statement after it starts on its own.
    if (CONTROL.has(first.text) || first.text === "default" || tokens[start + 1]?.text === ":") return [];
    if (first.kind === "identifier" && (DECLARATION_WORDS.has(first.text) || tokens[start + 1]?.kind === "identifier")) return [];
    let depth = 0;
    let effect = false;
    for (let i = start; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.text === "(" || t.text === "[") depth++;
      else if (t.text === ")" || t.text === "]") depth--;
      else if (depth === 0 && (t.text === "{" || t.text === "}" || t.text === ",")) return [];
      else if (depth === 0 && t.text === ";") {
        return effect && i > start ? [{ operator: "drop-statement" as const, from: start, to: i, replacement: ";" }] : [];
      }
      if (t.text === "++" || t.text === "--" || (depth === 0 && ASSIGNMENTS.has(t.text))) effect = true;
      if (i === start && t.kind === "identifier" && tokens[i + 1]?.text === "(" && !CONTROL.has(t.text)) effect = true;
      if (i === start && !["identifier", "punctuator"].includes(t.kind)) return [];
      if (i === start && NOT_OPERANDS.has(t.text)) return [];
    }
    return [];
  });
}

/** `if (c)` → `if (!(c))`: the branches swap. */
function negateChanges(tokens: readonly Token[]): Change[] {
  return tokens.flatMap((t, i) => {
    if (t.text !== "if" || tokens[i + 1]?.text !== "(") return [];
    const close = matching(tokens, i + 1);
    return [{ operator: "negate-condition" as const, from: i + 2, to: close - 1, replacement: "" }];
  });
}

/** Every mutant of `source`, in source order. */
export function mutants(source: string): Mutant[] {
  const tokens = tokenize(source);
  const scope = scopes(tokens);
  const changes = [
    ...operatorChanges(tokens),
    ...unaryChanges(tokens),
    ...constantChanges(tokens),
    ...dropChanges(tokens),
    ...negateChanges(tokens),
  ].sort((a, b) => tokens[a.from]!.start - tokens[b.from]!.start);
  return changes.map((change) => {
    const first = tokens[change.from]!;
    const last = tokens[change.to]!;
    const end = last.start + last.text.length;
    const original = source.slice(first.start, end);
    const replacement = change.operator === "negate-condition" ? `!(${original})` : change.replacement;
    return {
      operator: change.operator,
      line: first.line,
      column: first.column,
      original,
      replacement,
      scope: scope[change.from]!,
      source: source.slice(0, first.start) + replacement + source.slice(end),
    };
  });
}
