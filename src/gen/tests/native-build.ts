/**
 * The sanitized host build of the native vector runner, shared by the native tests and the
 * mutation score (bench/mutants.ts): optimized as the kernel builds it, with ASan and UBSan,
 * where any report stops the program with a status of its own.
 */
export const SANITIZER_FLAGS = ["-O2", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"];
/** The exit status of a program a sanitizer stopped, apart from the program's own failures. */
export const SANITIZER_EXIT = 23;
/**
 * Fixed runtime options, so the user's own cannot turn a report into a pass. Leak checking
 * is off: LeakSanitizer stops under ptrace and in some containers, and the core allocates
 * nothing.
 */
export const SANITIZER_ENV = {
  ASAN_OPTIONS: `detect_leaks=0:halt_on_error=1:exitcode=${SANITIZER_EXIT}`,
  UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:exitcode=${SANITIZER_EXIT}`,
};
/** The first line of an ASan or UBSan report. */
export const SANITIZER_REPORT = /^(==\d+==ERROR: AddressSanitizer: .*|.*: runtime error: .*)$/m;
