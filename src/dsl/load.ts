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
      noEmit: true,
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
  const at = (node: Node): SourceLocation => {
    const { line, column } = source.getSourceFile().getLineAndColumnAtPos(node.getStart());
    return { file, line, column };
  };

  checkImports(source, at);
  typeCheck(project, source, file);
  const exported = findDefaultExport(source, file);
  const spec = evaluate(source, file);
  const places = mapPlaces(exported, at);
  const fallback = at(exported);
  return {
    spec,
    file,
    locate(specPath) {
      for (let n = specPath.length; n >= 0; n--) {
        const place = places.get(keyOf(specPath.slice(0, n)));
        if (place) return place;
      }
      return fallback;
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
      const { line, column } = source.getLineAndColumnAtPos(d.getStart() ?? 0);
      const text = ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, " ");
      return {
        location: { file, line, column },
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

function evaluate(source: SourceFile, file: string): DeviceSpec {
  const output = ts.transpileModule(source.getFullText(), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: true },
    fileName: path.basename(file),
  });
  const mappings = decodeMappings(JSON.parse(output.sourceMapText ?? "{}").mappings ?? "");
  const module = { exports: {} as Record<string, unknown> };
  const require = (name: string): unknown => {
    if (name === "devgen") return dsl;
    throw new Error(`cannot import "${name}"`);
  };
  const generatedName = `${file}.js`;
  try {
    vm.runInNewContext(
      `(function (exports, require, module) {${output.outputText}\n})`,
      {},
      { filename: generatedName, timeout: EVALUATION_TIMEOUT_MS },
    )(module.exports, require, module);
  } catch (err) {
    const error = err as Error;
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

/** Records where each value of the description was written, following consts it names. */
function mapPlaces(root: Expression, at: (node: Node) => SourceLocation): Map<string, SourceLocation> {
  const places = new Map<string, SourceLocation>();
  const visiting = new Set<Node>();

  const visit = (node: Node, specPath: (string | number)[]): void => {
    if (!places.has(keyOf(specPath))) places.set(keyOf(specPath), at(node));
    const value = unwrap(node);
    if (visiting.has(value)) return;
    visiting.add(value);
    if (Node.isObjectLiteralExpression(value)) {
      for (const property of value.getProperties()) {
        if (Node.isPropertyAssignment(property)) {
          const name = propertyName(property.getNameNode());
          if (name !== null) visit(property.getInitializerOrThrow(), [...specPath, name]);
        } else if (Node.isShorthandPropertyAssignment(property)) {
          visit(property.getNameNode(), [...specPath, property.getName()]);
        } else if (Node.isMethodDeclaration(property)) {
          const name = propertyName(property.getNameNode());
          if (name !== null) places.set(keyOf([...specPath, name]), at(property));
        }
      }
    } else if (Node.isArrayLiteralExpression(value)) {
      // After a spread, indices are only known at run time: those elements fall back to the array.
      for (const [index, element] of value.getElements().entries()) {
        if (Node.isSpreadElement(element)) break;
        visit(element, [...specPath, index]);
      }
    } else if (Node.isCallExpression(value) && value.getExpression().getText() === "defineDevice") {
      const [argument] = value.getArguments();
      if (argument) visit(argument, specPath);
    }
    visiting.delete(value);
  };

  visit(root, []);
  return places;
}

function propertyName(name: Node): string | null {
  if (Node.isIdentifier(name) || Node.isStringLiteral(name) || Node.isNumericLiteral(name)) {
    return Node.isIdentifier(name) ? name.getText() : String(name.getLiteralValue());
  }
  return null;
}

/** Looks through `as const`, `satisfies`, parentheses and references to local consts. */
function unwrap(node: Node): Node {
  let current = node;
  for (let depth = 0; depth < 32; depth++) {
    if (
      Node.isAsExpression(current) ||
      Node.isSatisfiesExpression(current) ||
      Node.isParenthesizedExpression(current) ||
      Node.isTypeAssertion(current)
    ) {
      current = current.getExpression();
    } else if (Node.isIdentifier(current)) {
      const declaration = current.getSymbol()?.getDeclarations()[0];
      const initializer =
        declaration && Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
      if (!initializer) return current;
      current = initializer;
    } else {
      return current;
    }
  }
  return current;
}
