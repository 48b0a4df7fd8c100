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
import { fileURLToPath } from "node:url";
import type { Node, Project, SourceFile, ts } from "ts-morph";
import * as dsl from "./index.js";
import type { DeviceSpec } from "./types.js";
import { contentKey, readEntry, storeEntry } from "../util/content-cache.js";
import { DevgenError, type SourceLocation, type SpecPath } from "../util/diagnostics.js";
import { decodeMappings, originalPosition } from "./sourcemap.js";

export interface LoadedDevice {
  spec: DeviceSpec;
  /** The device file as given (relative paths stay relative, for stable messages). */
  file: string;
  /** Where the value at `path` was written, or the nearest enclosing value that has a place. */
  locate(path: SpecPath): SourceLocation;
}

const DSL_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  // Run from dist/src/dsl or from src/dsl: the declarations are always the sources.
  ...(import.meta.url.includes("/dist/") ? ["..", "..", "..", "src", "dsl"] : []),
);
const DSL_ENTRY = path.join(DSL_DIR, "index.ts");

/** As in a tsconfig.json, so that the check cache can key on them without loading the compiler. */
const COMPILER_OPTIONS = {
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
  const spec = evaluate(checkedJavaScript(file, text), text, file);
  let places: Places | undefined;
  return {
    spec,
    file,
    locate(specPath) {
      // Only errors ask for places: a file that loads and validates never parses for them.
      places ??= mapPlaces(file, text);
      for (let n = specPath.length; n >= 0; n--) {
        const place = places.offsets.get(keyOf(specPath.slice(0, n)));
        if (place !== undefined) return places.locationOf(place);
      }
      return places.locationOf(places.fallback);
    },
  };
}

/**
 * The device file as CommonJS, once the compiler has found no error in it: from the check
 * cache if this exact file passed before, else from the program that type-checked it.
 */
function checkedJavaScript(file: string, text: string): string {
  const key = contentKey([
    compilerVersion(),
    JSON.stringify(COMPILER_OPTIONS),
    ...dslDeclarations(),
    path.extname(file),
    text,
  ]);
  const cached = readEntry("typecheck", key);
  if (cached !== null) return cached;

  const { Project, ts } = compiler();
  const { options } = ts.convertCompilerOptionsFromJson(COMPILER_OPTIONS, DSL_DIR);
  const project = new Project({ compilerOptions: options });
  const source = project.createSourceFile(file, text, { overwrite: true });
  const compilerSource = source.compilerNode;
  const at = (node: Node): SourceLocation => {
    const { line, character } = ts.getLineAndCharacterOfPosition(compilerSource, node.getStart());
    return { file, line: line + 1, column: character + 1 };
  };
  checkImports(source, at);
  typeCheck(source, file);
  findDefaultExport(source, file);
  const javascript = emitted(project, source);
  if (onlyKnownInputs(project, source)) storeEntry("typecheck", key, javascript);
  return javascript;
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

function checkImports(source: SourceFile, at: (node: Node) => SourceLocation): void {
  const bad = source
    .getImportDeclarations()
    .filter((d) => d.getModuleSpecifierValue() !== "devgen")
    .map((d) => ({
      location: at(d.getModuleSpecifier()),
      message: `device files may only import "devgen", not "${d.getModuleSpecifierValue()}"`,
      hint: 'write everything in this file, or use `import { defineDevice } from "devgen";`',
    }));
  if (bad.length) throw new DevgenError(bad);
}

function typeCheck(source: SourceFile, file: string): void {
  const { ts } = compiler();
  // The file's own diagnostics: the DSL's declarations are not checked again on every load.
  const diagnostics = source.getPreEmitDiagnostics().filter((d) => d.getSourceFile()?.getFilePath() === source.getFilePath());
  if (!diagnostics.length) return;
  throw new DevgenError(
    diagnostics.map((d) => {
      const { line, character } = ts.getLineAndCharacterOfPosition(source.compilerNode, d.getStart() ?? 0);
      const text = ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, " ");
      return {
        location: { file, line: line + 1, column: character + 1 },
        message: text,
        hint: "fix the type error; your editor shows the same message with the DSL's documentation",
      };
    }),
  );
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

function evaluate(javascript: string, text: string, file: string): DeviceSpec {
  const module = { exports: {} as Record<string, unknown> };
  const require = (name: string): unknown => {
    if (name === "devgen") return dsl;
    throw new Error(`cannot import "${name}"`);
  };
  const generatedName = `${file}.js`;
  // The call is inside the script, so the timeout covers the module body, not only the
  // creation of the wrapper function.
  const code = `(function (exports, require, module) {${javascript}\n})(exports, require, module)`;
  // V8's compiled form of the script, kept like the check: compiling 10,000 registers'
  // literals costs more than running them. V8 rejects a stale one itself.
  const codeKey = contentKey([process.version, code]);
  const cachedData = readEntry("v8", codeKey, "binary") ?? undefined;
  let script: vm.Script;
  try {
    script = new vm.Script(code, { filename: generatedName, cachedData });
    script.runInNewContext({ exports: module.exports, require, module }, { timeout: EVALUATION_TIMEOUT_MS });
  } catch (err) {
    const error = err as Error;
    const mappings = decodeMappings(JSON.parse(sourceMapOf(text, file)).mappings ?? "");
    const location = locateThrow(error, generatedName, mappings, file);
    const timedOut = /timed out/.test(String(error.message));
    throw DevgenError.single(
      timedOut
        ? `evaluating the device file took longer than ${EVALUATION_TIMEOUT_MS} ms`
        : `the device file threw while being evaluated: ${error.message ?? String(err)}`,
      timedOut ? "look for a loop that does not end" : "the description must evaluate without throwing",
      location,
    );
  }
  if (!cachedData || script.cachedDataRejected) storeEntry("v8", codeKey, script.createCachedData());
  const value = module.exports.default;
  if (typeof value !== "object" || value === null) {
    throw DevgenError.single(
      "the default export is not a device description",
      "export the result of defineDevice({ ... })",
      { file, line: 1, column: 1 },
    );
  }
  return value as DeviceSpec;
}

function locateThrow(
  error: Error,
  generatedName: string,
  mappings: ReturnType<typeof decodeMappings>,
  file: string,
): SourceLocation {
  const escaped = generatedName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(String(error?.stack ?? ""));
  if (!match) return { file, line: 1, column: 1 };
  // The wrapper function shares the first line with the module; its prefix shifts columns.
  const line = Number(match[1]) - 1;
  const column = Number(match[2]) - 1 - (line === 0 ? "(function (exports, require, module) {".length : 0);
  const original = originalPosition(mappings, line, column);
  return original ? { file, line: original.line + 1, column: original.column + 1 } : { file, line: 1, column: 1 };
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
