/** The mutation engine of `npm run bench -- --mutants`: which mutants a piece of C gives. */
import { mutants, tokenize } from "../../bench/c-mutants.js";

/** `line:column operator original → replacement` of each mutant, in source order. */
const listed = (source: string) => mutants(source).map((m) => `${m.line}:${m.column} ${m.operator} ${m.original} → ${m.replacement}`);

describe("tokenize", () => {
  test("skips comments, preprocessor lines and the insides of literals", () => {
    const source = [
      '#include "x.h"',
      "#define A(x) \\",
      "\t((x) + 1)",
      "/* a + b */ int f(void) // c - d",
      "{ return g(\"e & f\", 'g') + 0x1fULL; }",
    ].join("\n");
    expect(tokenize(source).map((t) => t.text)).toEqual(
      ["int", "f", "(", "void", ")", "{", "return", "g", "(", '"e & f"', ",", "'g'", ")", "+", "0x1fULL", ";", "}"],
    );
    expect(tokenize(source).find((t) => t.text === "+")).toMatchObject({ line: 5, column: 26 });
  });

  test("takes the longest punctuator", () => {
    expect(tokenize("a <<= b->c >= d").map((t) => t.text)).toEqual(["a", "<<=", "b", "->", "c", ">=", "d"]);
  });
});

describe("mutants", () => {
  test("replace binary operators, never unary ones", () => {
    expect(listed("int f(int *p) { return -*p & g(&x) < 2; }").filter((m) => m.includes(" operator "))).toEqual([
      "1:28 operator & → |",
      "1:36 operator < → <=",
    ]);
  });

  test("replace constants in the same base and with the same suffix", () => {
    expect(listed("u64 m = 0x3ULL, z = 0, d = 10;")).toEqual([
      "1:9 constant 0x3ULL → 0x0ULL",
      "1:9 constant 0x3ULL → 0x4ULL",
      "1:21 constant 0 → 1",
      "1:28 constant 10 → 0",
      "1:28 constant 10 → 11",
    ]);
  });

  test("drop stores and calls, not declarations, returns, labels or a whole if", () => {
    const source = [
      "void f(struct s *s)",
      "{",
      "\tu64 v = 1;",
      "\tif (v)",
      "\t\ts->r |= v;",
      "\tswitch (v) {",
      "\tdefault:",
      "\t\tg(s);",
      "\t}",
      "\treturn;",
      "}",
    ].join("\n");
    expect(listed(source).filter((m) => /drop-statement|negate/.test(m))).toEqual([
      "4:6 negate-condition v → !(v)",
      "5:3 drop-statement s->r |= v; → ;",
      "8:3 drop-statement g(s); → ;",
    ]);
  });

  test("drop a unary ! or ~, and record the scope: the function, or the initialized variable's field", () => {
    const source = "static const struct d t[1] = {\n\t[0] = { .mask = ~0x1ULL, },\n};\nint f(int a) { return !a; }";
    expect(mutants(source).map((m) => [m.operator, m.original, m.scope])).toEqual([
      ["constant", "1", "t"],
      ["constant", "1", "t"],
      ["constant", "0", "t"],
      ["drop-unary", "~", "t.mask"],
      ["constant", "0x1ULL", "t.mask"],
      ["constant", "0x1ULL", "t.mask"],
      ["drop-unary", "!", "f"],
    ]);
  });

  test("each mutant is the source with one change", () => {
    const [negated] = mutants("void f(void)\n{\n\tif (a == b)\n\t\tc();\n}").filter((m) => m.operator === "negate-condition");
    expect(negated!.source).toBe("void f(void)\n{\n\tif (!(a == b))\n\t\tc();\n}");
  });
});
