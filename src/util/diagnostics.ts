/** Errors a user can act on: where (file:line:col), what, and how to fix it. */

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A path into the device description, e.g. `["registers", 2, "fields", 0, "bits"]`. */
export type SpecPath = readonly (string | number)[];

export interface Diagnostic {
  location: SourceLocation | null;
  message: string;
  hint: string;
}

export function formatLocation(location: SourceLocation | null): string {
  return location ? `${location.file}:${location.line}:${location.column}` : "<unknown>";
}

export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? `\n  hint: ${d.hint}` : "";
  const where = d.location ? `${formatLocation(d.location)}: ` : "";
  return `${where}error: ${d.message}${hint}`;
}

/**
 * Raised when input cannot be used. `exitCode` follows the CLI's contract: 2 for bad
 * input or usage, 3 for a broken environment.
 */
export class DevgenError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly exitCode: 2 | 3 = 2,
  ) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "DevgenError";
  }

  static single(message: string, hint = "", location: SourceLocation | null = null): DevgenError {
    return new DevgenError([{ location, message, hint }]);
  }
}

/** Collects every problem before failing, so a user sees them all in one run. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly locate: (path: SpecPath) => SourceLocation | null) {}

  error(path: SpecPath, message: string, hint = ""): void {
    this.diagnostics.push({ location: this.locate(path), message, hint });
  }

  get failed(): boolean {
    return this.diagnostics.length > 0;
  }

  throwIfFailed(): void {
    if (this.failed) throw new DevgenError(this.diagnostics);
  }
}
