/** Identifiers a generated name must not take: C keywords and symbols the targets own. */

const C_KEYWORDS = new Set([
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
  "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
  "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
  "volatile", "while", "_Bool", "_Complex", "_Imaginary", "_Alignas", "_Alignof", "_Atomic",
  "_Generic", "_Noreturn", "_Static_assert", "_Thread_local", "bool", "true", "false", "asm",
  "typeof",
]);

/**
 * Device names that would collide with what already lives in `arch/x86/kvm/`, KVM's
 * generic code or QEMU's `hw/` (file names, struct names, function prefixes).
 */
const RESERVED_DEVICE_NAMES = new Set([
  "kvm", "x86", "vmx", "svm", "mmu", "pit", "i8254", "i8259", "pic", "ioapic", "lapic", "apic",
  "irq", "hyperv", "xen", "pmu", "cpuid", "emulate", "mtrr", "smm", "debugfs", "trace", "eventfd",
  "coalesced_mmio", "vfio", "iodev", "pci", "edu", "core", "hooks", "test", "qemu", "linux",
]);

export const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isCKeyword(name: string): boolean {
  return C_KEYWORDS.has(name) || C_KEYWORDS.has(name.toLowerCase());
}

export function isReservedDeviceName(name: string): boolean {
  return RESERVED_DEVICE_NAMES.has(name);
}
