/**
 * bench/equivalent.ts: mutants of a register descriptor table no access, hook or saved
 * state can tell apart, and only while the core uses the table as the rules assume.
 */
import { mutants } from "../../bench/c-mutants.js";
import { equivalentByConstruction } from "../../bench/equivalent.js";

const core = (read = "\tu64 val = (s->regs[reg] & d->readable) | (d->reset & d->constant);") =>
  [
    "static const struct t_reg_desc t_regs[T_NR_REGS] = {",
    "\t[T_REG_A] = {",
    "\t\t.reset = 0x2ULL,",
    "\t\t.readable = 0x0ULL,",
    "\t\t.constant = 0x2ULL,",
    "\t\t.writable = 0x1ULL,",
    "\t\t.w1c = 0x0ULL,",
    "\t\t.w1s = 0x0ULL,",
    "\t\t.element = 0,",
    "\t},",
    "};",
    "static u64 t_read_reg(struct t_core *s, unsigned int reg, u64 lanes)",
    "{",
    read,
    "\ts->access.element = d->element;",
    "\treturn val;",
    "}",
    "static void t_write_reg(struct t_core *s, unsigned int reg, u64 lanes, u64 val)",
    "{",
    "\ts->access.reg = reg;",
    "\tval &= lanes;",
    "\tstored = (stored & ~(d->writable & lanes)) | (val & d->writable);",
    "\tstored &= ~(val & d->w1c);",
    "\tstored |= val & d->w1s;",
    "}",
  ].join("\n");

const verdicts = (source: string, hooks = "") =>
  Object.fromEntries(mutants(source).map((m) => [`${m.scope} ${m.original}→${m.replacement}`, equivalentByConstruction(m, source, hooks) !== null]));

test("constant bits 0 in reset, readable bits constant and 1, w1s bits writable, and s->access nobody reads are equivalent; the others are not", () => {
  const v = verdicts(core());
  expect(v).toMatchObject({
    "t_regs.constant 0x2ULL→0x0ULL": false, // bit 1 is 1 in reset: reads change
    "t_regs.constant 0x2ULL→0x3ULL": true, // bit 0 is 0 in reset
    "t_regs.readable 0x0ULL→0x1ULL": false, // bit 0 is stored, not constant
    "t_regs.w1s 0x0ULL→0x1ULL": true, // bit 0 is writable
    "t_regs.w1c 0x0ULL→0x1ULL": false,
    "t_regs.writable 0x1ULL→0x0ULL": false,
    "t_regs.reset 0x2ULL→0x3ULL": false,
    "t_regs.element 0→1": true,
    "t_write_reg s->access.reg = reg;→;": true,
    "t_write_reg val &= lanes;→;": false,
  });
});

test("no rule holds once the core uses a field another way, or a hook reads s->access", () => {
  const other = verdicts(core("\tu64 val = (s->regs[reg] & d->readable) | d->constant;"));
  expect(other["t_regs.constant 0x2ULL→0x3ULL"]).toBe(false);
  const hooked = verdicts(core(), "u64 t_hook_x(struct t_core *s, u64 v)\n{\n\treturn s->access.element;\n}\n");
  expect(hooked["t_regs.element 0→1"]).toBe(false);
  expect(hooked["t_write_reg s->access.reg = reg;→;"]).toBe(false);
  expect(hooked["t_regs.w1s 0x0ULL→0x1ULL"]).toBe(true);
});
