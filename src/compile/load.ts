/**
 * Loads a device file: type-check it with the TypeScript compiler (through ts-morph),
 * transpile it, evaluate it in a sandbox, and map every value of the description back to
 * the line and column it was written at.
 *
 * A file that already passed the check unchanged is not checked again: on 10,000 registers
 * the check takes seconds, the rest of `devgen generate` about one. The compiler is only
 * loaded when something needs it: a check, or a place to report.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";
import { inspect } from "node:util";
import { fileURLToPath } from "node:url";
import type { Project, SourceFile, ts } from "ts-morph";
import * as dsl from "../dsl/index.js";
import type { DeviceSpec } from "../dsl/types.js";
import { contentKey, readEntry, storeEntry } from "../util/content-cache.js";
import { DevgenError, type SourceLocation, type SpecPath } from "../util/diagnostics.js";
import { decodeMappings, originalPosition } from "./sourcemap.js";
import { escapeRegExp } from "../util/regexp.js";

/** A register a hook model names by a literal: `dev.set("CTRL", v)`, placed at the `set`. */
export interface ModelRegisterName {
  name: string;
  location: SourceLocation;
  /** Named by push or pop: a FIFO storage, not a register. */
  queue?: true;
}

export interface LoadedDevice {
  spec: DeviceSpec;
  /**
   * The register names written as literals in calls of a HookContext's get and set, anywhere
   * in the file: the names a hook model may reach that are known before it runs.
   */
  modelRegisterNames: ModelRegisterName[];
  /** The device file as given (relative paths stay relative, for stable messages). */
  file: string;
  /** Where the value at `path` was written, or the nearest enclosing value that has a place. */
  locate(path: SpecPath): SourceLocation;
  /**
   * A function of the file (a hook model, at `path`) as devgen may call it later: bounded as
   * the file's evaluation is, and what it throws reported at the place in the file.
   */
  bounded<A extends unknown[], R>(fn: (...args: A) => R, what: string, path: SpecPath): (...args: A) => R;
}

export const DSL_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  // Run from dist/src/compile or from src/compile: the declarations are always the sources.
  ...(import.meta.url.includes("/dist/") ? ["..", "..", "..", "src", "dsl"] : ["..", "dsl"]),
);
const DSL_ENTRY = path.join(DSL_DIR, "index.ts");

/** As in a tsconfig.json, so that the check cache can key on them without loading the compiler. */
export const COMPILER_OPTIONS = {
  strict: true,
  target: "ES2022",
  module: "commonjs",
  moduleResolution: "node10",
  lib: ["es2022"],
  types: [],
  skipLibCheck: true,
  paths: { devgen: [DSL_ENTRY] },
};

const EVALUATION_TIMEOUT_MS = 2000;

const require = createRequire(import.meta.url);
let tsMorph: typeof import("ts-morph") | undefined;
/** ts-morph and its compiler take a quarter of a second to load: not needed for a checked file. */
function compiler(): typeof import("ts-morph") {
  return (tsMorph ??= require("ts-morph") as typeof import("ts-morph"));
}

export function loadDevice(file: string): LoadedDevice {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw DevgenError.single(`cannot read device file '${file}'`, "check the path", null);
  }
  const checked = checkedJavaScript(file, text);
  const { exported, context } = evaluate(checked.javascript, text, file);
  let places: Places | undefined;
  const locate = (specPath: SpecPath): SourceLocation => {
    // Only errors ask for places: a file that loads and validates never parses for them.
    places ??= mapPlaces(file, text);
    for (let n = specPath.length; n >= 0; n--) {
      const place = places.offsets.get(keyOf(specPath.slice(0, n)));
      if (place !== undefined) return places.locationOf(place);
    }
    return places.locationOf(places.fallback);
  };
  if (!isPlainObject(exported)) {
    throw DevgenError.single(
      "the default export is not a device description",
      "export the result of defineDevice({ ... })",
      locate([]),
    );
  }
  const bounded = <A extends unknown[], R>(fn: (...args: A) => R, what: string, specPath: SpecPath) =>
    (...args: A): R => {
      context[CALL] = () => fn(...args);
      try {
        return CALL_SCRIPT.runInContext(context, { timeout: EVALUATION_TIMEOUT_MS }) as R;
      } catch (thrown) {
        const run = { doing: `running ${what}`, threw: `${what} threw`, rule: `${what} must run without throwing`, code: what, start: locate(specPath) };
        throw runError(thrown, run, text, file);
      } finally {
        delete context[CALL];
      }
    };
  const modelRegisterNames = checked.modelRegisterNames.map(({ name, line, column, queue }) => ({ name, location: { file, line, column }, ...(queue ? { queue } : {}) }));
  return { spec: exported as unknown as DeviceSpec, modelRegisterNames, file, locate, bounded };
}

/**
 * An object written as `{ ... }` (or made by Object.create(null)), not an array, a function
 * or a class instance: lowering reads a description's properties and nothing else. The
 * value comes from the sandbox's realm, so its prototype is compared by shape, not identity.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** What the check learns of a file, kept in the check cache: the compiler is slow to load. */
interface Checked {
  javascript: string;
  /** Where in the file: the same text has the same positions wherever it is. */
  modelRegisterNames: { name: string; line: number; column: number; queue?: true }[];
}

/** A cache entry: the register names as a JSON line, then the JavaScript. */
const CHECK_ENTRY_FORMAT = "model register names (JSON), newline, JavaScript";

/**
 * The device file as CommonJS, once the compiler has found no error in it, and what the
 * check found in it: from the check cache if this exact file passed before, else from the
 * program that type-checked it.
 */
function checkedJavaScript(file: string, text: string): Checked {
  const key = contentKey([
    CHECK_ENTRY_FORMAT,
    compilerVersion(),
    JSON.stringify(COMPILER_OPTIONS),
    ...dslDeclarations(),
    path.extname(file),
    text,
  ]);
  const cached = readEntry("typecheck", key);
  if (cached !== null) {
    const newline = cached.indexOf("\n");
    return { modelRegisterNames: JSON.parse(cached.slice(0, newline)), javascript: cached.slice(newline + 1) };
  }

  const { Project, ts } = compiler();
  const { options } = ts.convertCompilerOptionsFromJson(COMPILER_OPTIONS, DSL_DIR);
  const project = new Project({ compilerOptions: options });
  const source = project.createSourceFile(file, text, { overwrite: true });
  const compilerSource = source.compilerNode;
  const at = (position: number): SourceLocation => {
    const { line, character } = ts.getLineAndCharacterOfPosition(compilerSource, position);
    return { file, line: line + 1, column: character + 1 };
  };
  checkSyntax(project, compilerSource, at);
  checkImports(compilerSource, at);
  typeCheck(source, at);
  findDefaultExport(source, file);
  const checked = { javascript: emitted(project, source), modelRegisterNames: modelRegisterNames(project, compilerSource) };
  if (onlyKnownInputs(project, source)) {
    storeEntry("typecheck", key, `${JSON.stringify(checked.modelRegisterNames)}\n${checked.javascript}`);
  }
  return checked;
}

/**
 * Every call the compiler resolves to HookContext's get, set, push or pop whose register (or
 * FIFO storage, for push and pop) is a literal,
 * placed at the method's name, where V8 places a throw from the call: a name that is no
 * register is reported at one place whether the check finds it or a run of the model.
 */
function modelRegisterNames(project: Project, source: ts.SourceFile): Checked["modelRegisterNames"] {
  const { ts } = compiler();
  const checker = project.getProgram().compilerObject.getTypeChecker();
  const found: Checked["modelRegisterNames"] = [];
  forEachNode(source, (node) => {
    if (!ts.isCallExpression(node)) return;
    const [register] = node.arguments;
    if (!register || !ts.isStringLiteralLike(register)) return;
    const method = checker.getResolvedSignature(node)?.declaration;
    const owner = method?.parent;
    if (!owner || !ts.isInterfaceDeclaration(owner) || owner.name.text !== "HookContext") return;
    if (path.dirname(owner.getSourceFile().fileName) !== DSL_DIR) return;
    const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
    const { line, character } = ts.getLineAndCharacterOfPosition(source, callee.getStart(source));
    const queue = ["push", "pop"].includes(callee.getText(source));
    found.push({ name: register.text, line: line + 1, column: character + 1, ...(queue ? { queue: true as const } : {}) });
  });
  return found;
}

/** ts-morph bundles the compiler of the @ts-morph/common it depends on: both versions name it. */
function compilerVersion(): string {
  const morph = require("ts-morph/package.json") as { version: string };
  const common = createRequire(require.resolve("ts-morph"))("@ts-morph/common/package.json") as { version: string };
  return `ts-morph ${morph.version}, @ts-morph/common ${common.version}`;
}

/**
 * What `import ... from "devgen"` declares: every source of the DSL's directory, by name.
 * The loader is one of them, so a change to how files are checked drops every entry too.
 */
function dslDeclarations(): string[] {
  return fs
    .readdirSync(DSL_DIR)
    .filter((name) => name.endsWith(".ts"))
    .sort()
    .flatMap((name) => [name, fs.readFileSync(path.join(DSL_DIR, name), "utf8")]);
}

/**
 * Whether the check read nothing but what the cache key covers: the standard library, the
 * DSL and the file itself. A `/// <reference>` or an `import("...")` type pulls in another
 * file, whose changes the key would miss: such a file is checked every time.
 */
function onlyKnownInputs(project: Project, source: SourceFile): boolean {
  const program = project.getProgram().compilerObject;
  return program
    .getSourceFiles()
    .every(
      (input) =>
        input === source.compilerNode ||
        program.isSourceFileDefaultLibrary(input) ||
        path.dirname(input.fileName) === DSL_DIR,
    );
}

/** Every node of the file, parents before children, in source order. */
function forEachNode(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => forEachNode(child, visit));
}

/**
 * Only the first syntax error: the parser recovers by guessing what was meant, and what it
 * reports after one (and every type error in the tree it guessed) mostly follows from it.
 */
function checkSyntax(project: Project, source: ts.SourceFile, at: (position: number) => SourceLocation): void {
  const { ts } = compiler();
  const [first] = project.getProgram().compilerObject.getSyntacticDiagnostics(source);
  if (!first) return;
  throw DevgenError.single(
    ts.flattenDiagnosticMessageText(first.messageText, " "),
    "fix the syntax error; errors after one often follow from it, so only the first is shown",
    at(unterminatedLiteralStart(source, first.start ?? 0) ?? first.start ?? 0),
  );
}

/**
 * The compiler reports a string or template that is never closed where the line ends; its
 * opening quote is what tells which one it is.
 */
function unterminatedLiteralStart(source: ts.SourceFile, reportedAt: number): number | null {
  let start: number | null = null;
  forEachNode(source, (node) => {
    if ((node as ts.LiteralLikeNode).isUnterminated && node.end === reportedAt) start = node.getStart(source);
  });
  return start;
}

const IMPORT_HINT = 'write everything in this file, or use `import { defineDevice } from "devgen";`';

/**
 * The sandbox gives a device file "devgen" and nothing else: every other module it names,
 * by declaration, `require()` or `import()`, is reported here rather than as whatever the
 * compiler or the sandbox would make of it.
 */
function checkImports(source: ts.SourceFile, at: (position: number) => SourceLocation): void {
  const { ts } = compiler();
  const bad: { location: SourceLocation; message: string; hint: string }[] = [];
  const check = (specifier: ts.Node | undefined): void => {
    if (!specifier) return;
    const named = ts.isStringLiteralLike(specifier) ? specifier.text : null;
    if (named === "devgen") return;
    bad.push({
      location: at(specifier.getStart(source)),
      message: `device files may only import "devgen", not ${named === null ? "a module named at run time" : `"${named}"`}`,
      hint: IMPORT_HINT,
    });
  };
  forEachNode(source, (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      check(node.moduleSpecifier);
    } else if (ts.isExternalModuleReference(node)) {
      check(node.expression);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require"))
    ) {
      check(node.arguments[0] ?? node);
    }
  });
  if (bad.length) throw new DevgenError(bad);
}

/** The type errors, and the number literals that are not what they say, in source order. */
function typeCheck(source: SourceFile, at: (position: number) => SourceLocation): void {
  const { ts } = compiler();
  // The file's own diagnostics: the DSL's declarations are not checked again on every load.
  const typeErrors = source
    .getProject()
    .getProgram()
    .compilerObject.getSemanticDiagnostics(source.compilerNode)
    .map((d) => ({
      position: d.start ?? 0,
      message: ts.flattenDiagnosticMessageText(d.messageText, " "),
      hint: "fix the type error; your editor shows the same message with the DSL's documentation",
    }));
  const problems = [...typeErrors, ...impreciseNumbers(source.compilerNode)].sort((a, b) => a.position - b.position);
  if (!problems.length) return;
  throw new DevgenError(problems.map(({ position, message, hint }) => ({ location: at(position), message, hint })));
}

/**
 * Integer literals above Number.MAX_SAFE_INTEGER, by the rule of the compiler's suggestion
 * 80008, made an error: such a literal may already be another number when devgen sees it
 * (0x8000000000000001 is 0x8000000000000000), and only here is the literal still known.
 */
function impreciseNumbers(source: ts.SourceFile): { position: number; message: string; hint: string }[] {
  const { ts } = compiler();
  const found: { position: number; message: string; hint: string }[] = [];
  forEachNode(source, (node) => {
    if (!ts.isNumericLiteral(node)) return;
    const literal = node.getText(source);
    // Fractions and exponents are not meant as exact integers (the compiler skips them too).
    if (/[.eE]/.test(literal) && !/^0[xX]/.test(literal)) return;
    if (Number(node.text) <= Number.MAX_SAFE_INTEGER) return;
    found.push({
      position: node.getStart(source),
      message: `number ${literal} is above Number.MAX_SAFE_INTEGER (2^53 - 1), where a number cannot hold every integer`,
      hint: `write it as a bigint: ${literal}n`,
    });
  });
  return found;
}

function findDefaultExport(source: SourceFile, file: string): void {
  if (!source.getExportAssignment((e) => !e.isExportEquals())) {
    throw DevgenError.single(
      "the device file has no default export",
      "end it with `export default defineDevice({ ... });`",
      { file, line: 1, column: 1 },
    );
  }
}

/** A source map of the JavaScript back to the file, made only to place an exception. */
function sourceMapOf(text: string, file: string): string {
  const { ts } = compiler();
  return (
    ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true },
      fileName: path.basename(file),
    }).sourceMapText ?? "{}"
  );
}

/** The device file as CommonJS, emitted from the program that type-checked it (no second parse). */
function emitted(project: Project, source: SourceFile): string {
  let text = "";
  project.getProgram().compilerObject.emit(source.compilerNode, (name, data) => {
    if (name.endsWith(".js")) text = data;
  });
  return text;
}

/**
 * The one way into the file's code after its evaluation: a call made from a script run in
 * the file's context, since only a script's run can be bounded by a timeout.
 */
const CALL = "__devgenCall";
const CALL_SCRIPT = new vm.Script(`${CALL}()`);

/** Runs the module and returns its default export, whatever it is, and the context it ran in. */
function evaluate(javascript: string, text: string, file: string): { exported: unknown; context: vm.Context } {
  const module = { exports: {} as Record<string, unknown> };
  const require = (name: string): unknown => {
    if (name === "devgen") return dsl;
    throw new Error(`cannot import "${name}"`);
  };
  const scriptName = generatedName(file);
  // The call is inside the script, so the timeout covers the module body, not only the
  // creation of the wrapper function.
  const code = `(function (exports, require, module) {${javascript}\n})(exports, require, module)`;
  // V8's compiled form of the script, kept like the check: compiling 10,000 registers'
  // literals costs more than running them. V8 rejects a stale one itself. It keeps the name
  // the script was compiled under, which stack frames then show: the name is in the key.
  const codeKey = contentKey([process.version, scriptName, code]);
  const cachedData = readEntry("v8", codeKey, "binary") ?? undefined;
  const context = vm.createContext({ exports: module.exports, require, module });
  let script: vm.Script;
  try {
    script = new vm.Script(code, { filename: scriptName, cachedData });
    script.runInContext(context, { timeout: EVALUATION_TIMEOUT_MS });
  } catch (thrown) {
    const run = {
      doing: "evaluating the device file",
      threw: "the device file threw while being evaluated",
      rule: "the description must evaluate without throwing",
      code: "the file",
      start: { file, line: 1, column: 1 },
    };
    throw runError(thrown, run, text, file);
  }
  if (!cachedData || script.cachedDataRejected) storeEntry("v8", codeKey, script.createCachedData());
  return { exported: module.exports.default, context };
}

/** What ran when the file's code failed, in the words of its diagnostics. */
interface Run {
  /** "evaluating the device file" */
  doing: string;
  /** "the device file threw while being evaluated" */
  threw: string;
  /** What a throw breaks: "the description must evaluate without throwing". */
  rule: string;
  /** "the file": what a timeout cannot place. */
  code: string;
  /** Where the code that ran starts: the place of a failure the stack cannot give. */
  start: SourceLocation;
}

/**
 * Why running the file's code failed, placed where it threw. Only an Error has a stack to
 * place it by; a timeout's error is raised from outside the script, so neither has a place
 * in the file.
 */
function runError(thrown: unknown, run: Run, text: string, file: string): DevgenError {
  const { code, message, stack } = (typeof thrown === "object" && thrown !== null ? thrown : {}) as Record<string, unknown>;
  if (code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
    return DevgenError.single(
      `${run.doing} took longer than ${EVALUATION_TIMEOUT_MS} ms`,
      `look for a loop that does not end; a timeout cannot tell where ${run.code} was`,
      run.start,
    );
  }
  const what = `${run.threw}: ${
    typeof message === "string" ? message : typeof thrown === "string" ? thrown : inspect(thrown, { breakLength: Infinity })
  }`;
  if (typeof stack !== "string") {
    return DevgenError.single(what, `${run.rule}; only a thrown Error records where it was thrown`, run.start);
  }
  const mappings = decodeMappings(JSON.parse(sourceMapOf(text, file)).mappings ?? "");
  return DevgenError.single(what, run.rule, locateThrow(stack, generatedName(file), mappings, run.start));
}

/** The name the file's JavaScript runs under: what its frames in a stack are named by. */
function generatedName(file: string): string {
  return `${file}.js`;
}

function locateThrow(
  stack: string,
  scriptName: string,
  mappings: ReturnType<typeof decodeMappings>,
  fallback: SourceLocation,
): SourceLocation {
  const escaped = escapeRegExp(scriptName);
  const match = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(stack);
  if (!match) return fallback;
  // The wrapper function shares the first line with the module; its prefix shifts columns.
  const line = Number(match[1]) - 1;
  const column = Number(match[2]) - 1 - (line === 0 ? "(function (exports, require, module) {".length : 0);
  const original = originalPosition(mappings, line, column);
  return original ? { file: fallback.file, line: original.line + 1, column: original.column + 1 } : fallback;
}

function keyOf(specPath: SpecPath): string {
  return specPath.join("\u0000");
}

interface Places {
  /** Offset in the file where the value at each path (`keyOf`) was written. */
  offsets: Map<string, number>;
  /** Where the default export starts: the place of anything not written in it. */
  fallback: number;
  locationOf(offset: number): SourceLocation;
}

/**
 * Records where each value of the description was written, following consts it names.
 * Walks the compiler's own nodes and keeps positions as offsets: a 10,000-register file
 * has some 100,000 values, and wrapping each in a ts-morph node would dominate the time.
 * Names only need the file's own declarations, so its program has no library and no imports.
 */
function mapPlaces(file: string, text: string): Places {
  const { ts } = compiler();
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const options = { noLib: true, noResolve: true, types: [] };
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name) => (name === file ? source : undefined);
  const checker = ts.createProgram({ rootNames: [file], options, host }).getTypeChecker();
  const exported = source.statements.find((s): s is ts.ExportAssignment => ts.isExportAssignment(s) && !s.isExportEquals);
  const root = exported?.expression ?? source;
  const offsets = new Map<string, number>();
  const visiting = new Set<ts.Node>();

  const visit = (node: ts.Node, specPath: (string | number)[]): void => {
    const key = keyOf(specPath);
    if (!offsets.has(key)) offsets.set(key, node.getStart());
    const value = unwrap(node, checker);
    if (visiting.has(value)) return;
    visiting.add(value);
    if (ts.isObjectLiteralExpression(value)) {
      for (const property of value.properties) {
        const name = property.name ? propertyName(property.name) : null;
        if (name === null) continue;
        if (ts.isPropertyAssignment(property)) visit(property.initializer, [...specPath, name]);
        else if (ts.isShorthandPropertyAssignment(property)) visit(property.name, [...specPath, name]);
        else offsets.set(keyOf([...specPath, name]), property.getStart());
      }
    } else if (ts.isArrayLiteralExpression(value)) {
      // After a spread, indices are only known at run time: those elements fall back to the array.
      for (const [index, element] of value.elements.entries()) {
        if (ts.isSpreadElement(element)) break;
        visit(element, [...specPath, index]);
      }
    } else if (ts.isCallExpression(value) && value.expression.getText() === "defineDevice") {
      const [argument] = value.arguments;
      if (argument) visit(argument, specPath);
    }
    visiting.delete(value);
  };

  visit(root, []);
  return {
    offsets,
    fallback: root.getStart(),
    // The compiler's line map is a binary search; ts-morph's helper rescans the text each call.
    locationOf(offset) {
      const { line, character } = ts.getLineAndCharacterOfPosition(source, offset);
      return { file, line: line + 1, column: character + 1 };
    },
  };
}

function propertyName(name: ts.PropertyName): string | null {
  const { ts } = compiler();
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

/** Looks through `as const`, `satisfies`, parentheses and references to local consts. */
function unwrap(node: ts.Node, checker: ts.TypeChecker): ts.Node {
  const { ts } = compiler();
  let current = node;
  for (let depth = 0; depth < 32; depth++) {
    if (
      ts.isAsExpression(current) ||
      ts.isSatisfiesExpression(current) ||
      ts.isParenthesizedExpression(current) ||
      ts.isTypeAssertionExpression(current)
    ) {
      current = current.expression;
    } else if (ts.isIdentifier(current)) {
      // A shorthand property's name is the property; the const it stands for is its value symbol.
      const symbol = ts.isShorthandPropertyAssignment(current.parent)
        ? checker.getShorthandAssignmentValueSymbol(current.parent)
        : checker.getSymbolAtLocation(current);
      const declaration = symbol?.declarations?.[0];
      if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return current;
      current = declaration.initializer;
    } else {
      return current;
    }
  }
  return current;
}
