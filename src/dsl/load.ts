/**
 * Loads a device file: type-check it with the TypeScript compiler (through ts-morph),
 * transpile it, evaluate it in a sandbox, and map every value of the description back to
 * the line and column it was written at.
 */
import * as path from "node:path";
import * as vm from "node:vm";
import { fileURLToPath } from "node:url";
import { Node, Project, ts, type Expression, type SourceFile } from "ts-morph";
import * as dsl from "./index.js";
import type { DeviceSpec } from "./types.js";
import { DevgenError, type SourceLocation, type SpecPath } from "../util/diagnostics.js";
import { decodeMappings, originalPosition } from "./sourcemap.js";

export interface LoadedDevice {
  spec: DeviceSpec;
  /** The device file as given (relative paths stay relative, for stable messages). */
  file: string;
  /** Where the value at `path` was written, or the nearest enclosing value that has a place. */
  locate(path: SpecPath): SourceLocation;
}

const DSL_ENTRY = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  // Run from dist/src/dsl or from src/dsl: the declarations are always the sources.
  ...(import.meta.url.includes("/dist/") ? ["..", "..", "..", "src", "dsl"] : []),
  "index.ts",
);

const EVALUATION_TIMEOUT_MS = 2000;

export function loadDevice(file: string): LoadedDevice {
  const project = new Project({
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      lib: ["lib.es2022.d.ts"],
      types: [],
      skipLibCheck: true,
      noEmit: false,
      sourceMap: false,
      baseUrl: ".",
      paths: { devgen: [DSL_ENTRY] },
    },
  });
  let source: SourceFile;
  try {
    source = project.addSourceFileAtPath(file);
  } catch {
    throw DevgenError.single(`cannot read device file '${file}'`, "check the path", null);
  }
  const compilerSource = source.compilerNode;
  // The compiler's line map is a binary search; ts-morph's helper rescans the text each call.
  const locationOf = (position: number): SourceLocation => {
    const { line, character } = ts.getLineAndCharacterOfPosition(compilerSource, position);
    return { file, line: line + 1, column: character + 1 };
  };
  const at = (node: Node): SourceLocation => locationOf(node.getStart());

  checkImports(source, at);
  typeCheck(project, source, file);
  const exported = findDefaultExport(source, file);
  const spec = evaluate(project, source, file);
  const places = mapPlaces(exported.compilerNode, project.getTypeChecker().compilerObject);
  const fallback = exported.getStart();
  return {
    spec,
    file,
    locate(specPath) {
      for (let n = specPath.length; n >= 0; n--) {
        const place = places.get(keyOf(specPath.slice(0, n)));
        if (place !== undefined) return locationOf(place);
      }
      return locationOf(fallback);
    },
  };
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

function typeCheck(project: Project, source: SourceFile, file: string): void {
  const diagnostics = project
    .getPreEmitDiagnostics()
    .filter((d) => d.getSourceFile()?.getFilePath() === source.getFilePath());
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

function findDefaultExport(source: SourceFile, file: string): Expression {
  const assignment = source.getExportAssignment((e) => !e.isExportEquals());
  if (!assignment) {
    throw DevgenError.single(
      "the device file has no default export",
      "end it with `export default defineDevice({ ... });`",
      { file, line: 1, column: 1 },
    );
  }
  return assignment.getExpression();
}

function transpile(source: SourceFile, file: string, sourceMap: boolean): ts.TranspileOutput {
  return ts.transpileModule(source.getFullText(), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap },
    fileName: path.basename(file),
  });
}

/** The device file as CommonJS, emitted from the program that type-checked it (no second parse). */
function emitted(project: Project, source: SourceFile): string {
  let text = "";
  project.getProgram().compilerObject.emit(source.compilerNode, (name, data) => {
    if (name.endsWith(".js")) text = data;
  });
  return text;
}

function evaluate(project: Project, source: SourceFile, file: string): DeviceSpec {
  // The source map is only needed to place an exception, so it is only made then.
  const output = { outputText: emitted(project, source) };
  const module = { exports: {} as Record<string, unknown> };
  const require = (name: string): unknown => {
    if (name === "devgen") return dsl;
    throw new Error(`cannot import "${name}"`);
  };
  const generatedName = `${file}.js`;
  try {
    // The call is inside the script, so the timeout covers the module body, not only the
    // creation of the wrapper function.
    vm.runInNewContext(
      `(function (exports, require, module) {${output.outputText}\n})(exports, require, module)`,
      { exports: module.exports, require, module },
      { filename: generatedName, timeout: EVALUATION_TIMEOUT_MS },
    );
  } catch (err) {
    const error = err as Error;
    const mappings = decodeMappings(JSON.parse(transpile(source, file, true).sourceMapText ?? "{}").mappings ?? "");
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

/**
 * Records where each value of the description was written, following consts it names.
 * Walks the compiler's own nodes and keeps positions as offsets: a 10,000-register file
 * has some 100,000 values, and wrapping each in a ts-morph node would dominate load time.
 */
function mapPlaces(root: ts.Node, checker: ts.TypeChecker): Map<string, number> {
  const places = new Map<string, number>();
  const visiting = new Set<ts.Node>();

  const visit = (node: ts.Node, specPath: (string | number)[]): void => {
    const key = keyOf(specPath);
    if (!places.has(key)) places.set(key, node.getStart());
    const value = unwrap(node, checker);
    if (visiting.has(value)) return;
    visiting.add(value);
    if (ts.isObjectLiteralExpression(value)) {
      for (const property of value.properties) {
        const name = property.name ? propertyName(property.name) : null;
        if (name === null) continue;
        if (ts.isPropertyAssignment(property)) visit(property.initializer, [...specPath, name]);
        else if (ts.isShorthandPropertyAssignment(property)) visit(property.name, [...specPath, name]);
        else places.set(keyOf([...specPath, name]), property.getStart());
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
  return places;
}

function propertyName(name: ts.PropertyName): string | null {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

/** Looks through `as const`, `satisfies`, parentheses and references to local consts. */
function unwrap(node: ts.Node, checker: ts.TypeChecker): ts.Node {
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
