import { compileDevice } from "../../src/compile/index.js";
import { generateKvm } from "../../src/gen/kvm/index.js";
import { LINUX_6_1, type KernelTarget } from "../../src/gen/kvm/target.js";
import { DEFAULT_TARGETS } from "../../src/gen/index.js";
import { wrapSignatures } from "../../src/gen/c.js";
import { uapiBlock } from "../../src/gen/uapi.js";
import type { Device } from "../../src/ir/types.js";
import type { GeneratedFile } from "../../src/gen/types.js";

const compiled = compileDevice("devices/xche");
const xche = compiled.device;

function generate(device: Device = xche, hooks = compiled.hooks, kernel: KernelTarget = LINUX_6_1): Map<string, string> {
  return new Map(generateKvm({ device, hooks, targets: { ...DEFAULT_TARGETS, kernel } }).map((f: GeneratedFile) => [f.path, f.contents]));
}

/** The text of the C function `name`, from its signature to its closing brace. */
function body(c: string, name: string): string {
  const start = c.search(new RegExp(`^[a-z][^\\n]*\\b${name}\\(`, "m"));
  expect(start).toBeGreaterThanOrEqual(0);
  return c.slice(start, c.indexOf("\n}\n", start) + 3);
}

/** Every function of the generated C: its name and its body. */
function functions(c: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of c.matchAll(/^[a-z][^\n(]*?\b(\w+)\([^;{]*\)\n\{\n/gm)) {
    found.set(m[1]!, c.slice(m.index!, c.indexOf("\n}\n", m.index!) + 3));
  }
  return found;
}

/**
 * The locks held at each call in the file, lines in order: a `mutex_lock(&X)` holds X until
 * its `mutex_unlock(&X)`, and a function's callers' locks are held in it too. Enough for
 * straight-line C with unlocks on every path, which the glue is; a goto path that unlocks
 * is read as the fall-through one.
 */
function locksAtCalls(c: string): { fn: string; callee: string; held: Set<string> }[] {
  const fns = functions(c);
  const local: { fn: string; callee: string; held: Set<string> }[] = [];
  for (const [fn, text] of fns) {
    const held = new Set<string>();
    // Comments and strings name functions too: only code calls them.
    const code = text.slice(text.indexOf("\n{\n")).replace(/\/\*[^]*?\*\//g, "").replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const line of code.split("\n")) {
      const lock = /\bmutex_(un)?lock\(&([^)]+)\);/.exec(line);
      if (lock) {
        if (lock[1]) held.delete(lock[2]!);
        else held.add(lock[2]!);
        continue;
      }
      for (const call of line.matchAll(/\b(\w+)\(/g)) local.push({ fn, callee: call[1]!, held: new Set(held) });
    }
  }
  // What a function is entered holding: the union over its callers, to a fixed point.
  const entry = new Map<string, Set<string>>([...fns.keys()].map((f) => [f, new Set<string>()]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const call of local) {
      const into = entry.get(call.callee);
      if (!into) continue;
      for (const lock of [...call.held, ...entry.get(call.fn)!]) {
        if (!into.has(lock)) changed = into.add(lock) !== null;
      }
    }
  }
  return local.map((call) => ({ ...call, held: new Set([...call.held, ...entry.get(call.fn)!]) }));
}

function columns(line: string): number {
  let width = 0;
  for (const ch of line) width = ch === "\t" ? (Math.floor(width / 8) + 1) * 8 : width + 1;
  return width;
}

describe("kvm backend for xche", () => {
  const files = generate();
  const c = files.get("kvm/xche.c")!;
  const h = files.get("kvm/xche.h")!;

  test("emits the glue, its header, the uapi block and the Makefile line", () => {
    expect([...files.keys()].sort()).toEqual(["kvm/Makefile.snippet", "kvm/xche.c", "kvm/xche.h", "kvm/xche_types.h", "kvm/xche_uapi.h"]);
    expect(files.get("kvm/xche_uapi.h")).toBe(uapiBlock(xche));
    expect(files.get("kvm/Makefile.snippet")).toBe("kvm-y\t\t\t+= xche.o xche_core.o xche_hooks.o\n");
  });

  test("the header exposes only the two entry points and does not depend on the registers", () => {
    const prototypes = h.match(/^\w[^\n]*\);$/gm);
    expect(prototypes).toEqual([
      "int kvm_xche_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);",
      "void kvm_xche_destroy(struct kvm *kvm);",
    ]);
    expect(h).not.toContain("xche_core.h");
    // x86.c includes this header: a register change must leave it byte-identical.
    const fewer = generate({ ...xche, registers: xche.registers.slice(0, 3), interrupt: null });
    expect(fewer.get("kvm/xche.h")).toBe(h);
  });

  test("the device struct embeds the io device, the lock and the core", () => {
    expect(c).toMatch(/struct kvm_xche \{\n\tstruct kvm_io_device dev;/);
    expect(c).toContain("\tstruct mutex lock;\n\tstruct xche_core core;");
    expect(c).toContain('#include "xche.h"\n#include "xche_core.h"');
    for (const member of ["gpa_t base;", "bool mapped;", "u32 gsi;", "int irq_source_id;", "bool irq_level;", "struct kvm *kvm;"]) {
      expect(c).toContain(`\t${member}\n`);
    }
  });

  test("the ioctl copies the argument in and hands each ioctl to its helper, taking no lock", () => {
    const ioctl = body(c, "kvm_xche_vm_ioctl");
    for (const [name, helper, arg] of [
      ["KVM_CREATE_XCHE", "xche_create", "config"],
      ["KVM_CONFIGURE_XCHE", "xche_configure", "config"],
      ["KVM_GET_XCHE_STATE", "xche_get_state", "state"],
      ["KVM_SET_XCHE_STATE", "xche_set_state", "state"],
    ]) {
      const call =
        helper === "xche_create" ? `r = ${helper}(kvm, &${arg});` : `xche = xche_find(kvm);\n\t\tr = xche ? ${helper}(xche, &${arg}) : -ENXIO;`;
      expect(ioctl).toContain(`case ${name}:\n\t\tif (copy_from_user(&${arg}, argp, sizeof(${arg})))\n\t\t\treturn -EFAULT;\n\t\t${call}\n`);
    }
    expect(ioctl).not.toContain("mutex_lock");
    expect(ioctl).toMatch(/default:\n\t\tr = -ENOTTY;/);
    expect(ioctl.match(/put_user\(XCHE_NR_STATE, &ustate->nr_regs\)/g)).toHaveLength(2);
  });

  test("create checks in order, takes slots_lock and unwinds every failure", () => {
    const create = body(c, "xche_create");
    const order = [
      "r = xche_check_config(config);",
      "mutex_lock(&kvm->lock);",
      "r = -EEXIST;\n\tif (kvm->arch.xche)\n\t\tgoto out;",
      "r = -ENOENT;\n\tif (!irqchip_kernel(kvm))\n\t\tgoto out;",
      "kzalloc(",
      "xche->irq_source_id = kvm_request_irq_source_id(kvm);",
      "mutex_lock(&kvm->slots_lock);",
      "kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, xche->base,",
      "mutex_unlock(&kvm->slots_lock);",
      "smp_store_release(&kvm->arch.xche, xche);\n\tmutex_unlock(&kvm->lock);",
      "mutex_lock(&xche->lock);\n\txche_update_irq(xche);\n\tmutex_unlock(&xche->lock);\n\treturn 0;",
      "fail_register:\n\tkvm_free_irq_source_id(kvm, xche->irq_source_id);\nfail_request:\n\tkfree(xche);\nout:\n\tmutex_unlock(&kvm->lock);\n\treturn r;",
    ];
    let at = -1;
    for (const step of order) {
      const next = create.indexOf(step);
      expect({ step, found: next > at }).toEqual({ step, found: true });
      at = next;
    }
    expect(create).toContain("goto fail_request;");
    expect(create).toContain("goto fail_register;");
    expect(create).toContain("if (xche->mapped) {");
  });

  test("configuration is validated: flags, pad, alignment, bus range, GSI", () => {
    const check = body(c, "xche_check_config");
    expect(check).toContain("if (config->flags & ~KVM_XCHE_FLAGS)");
    expect(check).toContain("memchr_inv(config->pad, 0, sizeof(config->pad))");
    expect(check).toContain("!IS_ALIGNED(config->base, XCHE_BAR_SIZE)");
    expect(check).toContain("config->base > 0x10000 - XCHE_BAR_SIZE");
    expect(check).toContain("config->gsi >= KVM_MAX_IRQ_ROUTES");
  });

  test("handlers range-check before locking and drive the line", () => {
    for (const handler of ["xche_read", "xche_write"]) {
      const text = body(c, handler);
      expect(text.indexOf("return -EOPNOTSUPP;")).toBeLessThan(text.indexOf("mutex_lock(&xche->lock);"));
      expect(text).toContain("addr - xche->base, len,");
      expect(text).toContain("xche_update_irq(xche);");
    }
    expect(body(c, "xche_in_range")).toContain("xche->mapped && len >= 1 && len <= 8");
    expect(body(c, "xche_update_irq")).toContain("kvm_set_irq(xche->kvm, xche->irq_source_id, xche->gsi, level, false);");
    expect(c).toMatch(/static const struct kvm_io_device_ops xche_ops = \{\n\t\.read = xche_read,\n\t\.write = xche_write,\n\};/);
    expect(c).not.toContain(".destructor =");
  });

  test("configure moves under slots_lock; state copies u64 regs with count checks", () => {
    const configure = body(c, "xche_configure");
    expect(configure.indexOf("mutex_lock(&kvm->slots_lock);")).toBeLessThan(configure.indexOf("xche_move(xche, config)"));
    expect(body(c, "xche_move")).toContain("kvm_io_bus_unregister_dev");
    expect(configure).toContain("xche_set_gsi(xche, config->gsi);");
    // The old line is deasserted before the new one is asserted; KVM_XCHE_NO_GSI drives nothing.
    expect(body(c, "xche_set_gsi")).toContain(
      "\tif (xche->irq_level && xche->gsi != KVM_XCHE_NO_GSI)\n\t\tkvm_set_irq(xche->kvm, xche->irq_source_id, xche->gsi, 0, false);\n" +
        "\tif (xche->irq_level && gsi != KVM_XCHE_NO_GSI)\n\t\tkvm_set_irq(xche->kvm, xche->irq_source_id, gsi, 1, false);",
    );
    expect(body(c, "xche_get_state")).toContain("if (state->nr_regs < XCHE_NR_STATE)\n\t\treturn -E2BIG;");
    expect(body(c, "xche_set_state")).toContain("if (state->nr_regs != XCHE_NR_STATE)\n\t\treturn -EINVAL;");
    // Another layout, or registers no state could hold, are refused before they replace the registers.
    const set = body(c, "xche_set_state");
    expect(set).toContain("if (state->layout != XCHE_STATE_LAYOUT)\n\t\treturn -EINVAL;");
    expect(set.indexOf("if (!xche_core_state_valid(regs)) {\n\t\tkfree(regs);\n\t\treturn -EINVAL;\n\t}")).toBeGreaterThan(set.indexOf("memdup_user"));
    expect(set.indexOf("xche_core_state_valid(regs)")).toBeLessThan(set.indexOf("memcpy(xche->core.regs, regs"));
    expect(body(c, "xche_set_state")).toContain("xche_update_irq(xche);");
  });

  test("destroy unregisters, frees the source id and is safe when never created", () => {
    const destroy = body(c, "kvm_xche_destroy");
    expect(destroy).toMatch(/if \(!xche\)\n\t\treturn;/);
    expect(destroy).toContain("kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &xche->dev);");
    expect(destroy).toContain("kvm_free_irq_source_id(kvm, xche->irq_source_id);");
    expect(destroy.indexOf("kvm_free_irq_source_id")).toBeLessThan(destroy.indexOf("kfree(xche);"));
  });

  describe("locking, as the PIT does", () => {
    const calls = locksAtCalls(c);
    const held = (callee: string) => calls.filter((call) => call.callee === callee).map((call) => ({ in: call.fn, held: [...call.held].sort() }));

    test("user memory is copied with no lock held: a fault may sleep, and the VMM's memory is its own", () => {
      for (const copy of ["copy_from_user", "copy_to_user", "memdup_user", "put_user"]) {
        const sites = held(copy);
        expect({ copy, some: sites.length > 0 }).toEqual({ copy, some: true });
        for (const site of sites) expect({ copy, ...site }).toEqual({ copy, in: site.in, held: [] });
      }
    });

    test("the line is driven holding the device's lock alone, never kvm->lock or slots_lock", () => {
      const sites = held("kvm_set_irq");
      expect(sites.length).toBeGreaterThan(0);
      for (const site of sites) {
        expect({ ...site, device: site.held.includes("xche->lock") }).toEqual({ ...site, device: true });
        expect(site.held.filter((lock) => lock.startsWith("kvm->"))).toEqual([]);
      }
    });

    test("KVM_CONFIGURE: config_lock keeps a move and its GSI together; the GSI follows only a successful move", () => {
      expect(c).toContain("\tstruct mutex config_lock;\n");
      const configure = body(c, "xche_configure");
      const steps = [
        "mutex_lock(&xche->config_lock);",
        "mutex_lock(&kvm->slots_lock);",
        "r = xche_move(xche, config);",
        "mutex_unlock(&kvm->slots_lock);",
        "if (!r) {\n\t\tmutex_lock(&xche->lock);\n\t\txche_set_gsi(xche, config->gsi);\n\t\tmutex_unlock(&xche->lock);\n\t}",
        "mutex_unlock(&xche->config_lock);",
      ];
      let at = -1;
      for (const step of steps) {
        const next = configure.indexOf(step);
        expect({ step, found: next > at }).toEqual({ step, found: true });
        at = next;
      }
      // The device's lock is never held across the bus calls: they wait for vCPUs in the handlers.
      for (const bus of ["kvm_io_bus_register_dev", "kvm_io_bus_unregister_dev"]) {
        for (const site of held(bus)) expect(site.held).not.toContain("xche->lock");
      }
    });

    test("a failed move is propagated and leaves the device unmapped at base 0", () => {
      const move = body(c, "xche_move");
      expect(move).toContain("lockdep_assert_held(&kvm->slots_lock);");
      expect(move).toMatch(/r = kvm_io_bus_unregister_dev\(kvm, KVM_PIO_BUS, &xche->dev\);\n\t\txche->mapped = false;\n\t\txche->base = 0;\n\t\tif \(r\)\n\t\t\treturn r;/);
      expect(move).toMatch(/r = kvm_io_bus_register_dev\(kvm, KVM_PIO_BUS, xche->base,[^;]*;\n\tif \(r < 0\) \{\n\t\txche->mapped = false;\n\t\txche->base = 0;\n\t\}\n\treturn r;/);
    });

    test("the device is published with a release, and read with an acquire where kvm->lock is not held", () => {
      expect(body(c, "xche_create")).toContain("smp_store_release(&kvm->arch.xche, xche);");
      expect(body(c, "xche_find")).toContain("return smp_load_acquire(&kvm->arch.xche);");
      expect(body(c, "kvm_xche_vm_ioctl").match(/xche = xche_find\(kvm\);/g)).toHaveLength(3);
    });
  });

  test("kernel style: tabs, SPDX line, no line wider than 100 columns", () => {
    expect(c.startsWith("// SPDX-License-Identifier: GPL-2.0-only\n")).toBe(true);
    expect(h.startsWith("/* SPDX-License-Identifier: GPL-2.0-only */\n")).toBe(true);
    for (const text of [c, h]) {
      expect(text).not.toMatch(/^ +[^ *]/m);
      expect(text).not.toMatch(/[ \t]$/m);
      expect(text.split("\n").filter((l) => columns(l) > 100)).toEqual([]);
    }
  });
});

describe("kvm backend variants", () => {
  test("an MMIO device without interrupt or hooks drops the IRQ code", () => {
    const device: Device = { ...xche, kvm: { ...xche.kvm, bus: "mmio" }, interrupt: null };
    const files = generate(device, null);
    const c = files.get("kvm/xche.c")!;
    expect(c).toContain("kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS,");
    expect(c).toContain("config->base > BIT_ULL(52) - XCHE_BAR_SIZE");
    for (const gone of ["kvm_set_irq", "irq_source_id", "irqchip_kernel", "fail_request", '"irq.h"', "->gsi =", "set_gsi"]) {
      expect(c).not.toContain(gone);
    }
    // No interrupt, no line: a GSI other than 0 is refused.
    expect(c).toContain("\t/* No interrupt, no line to route. */\n\tif (config->gsi)\n\t\treturn -EINVAL;\n");
    expect(files.get("kvm/Makefile.snippet")).toBe("kvm-y\t\t\t+= xche.o xche_core.o\n");
  });

  test("a 20-character name stays within 100 columns, on the port and the MMIO bus", () => {
    const name = "abcdefghijklmnopqrst";
    for (const bus of ["pio", "mmio"] as const) {
      const files = generate({ ...xche, name, prefix: name.toUpperCase(), kvm: { ...xche.kvm, bus } });
      for (const [file, text] of files) {
        if (file.startsWith("kvm/")) expect({ file, over: text.split("\n").filter((l) => columns(l) > 100) }).toEqual({ file, over: [] });
      }
    }
    const files = generate({ ...xche, name, prefix: name.toUpperCase() });
    // A long name gets a short pointer name; a short one is named after the device.
    expect(files.get(`kvm/${name}.c`)).toContain(`struct kvm_${name} *dev = kvm->arch.${name};`);
  });

  test("wrapSignatures aligns continuation lines with the parenthesis", () => {
    const long = `static int f(${Array.from({ length: 12 }, (_, i) => `int argument${i}`).join(", ")})`;
    const lines = wrapSignatures(long, 100).split("\n");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.startsWith("\t     int "))).toBe(true);
    expect(lines.every((l) => columns(l) <= 100)).toBe(true);
    expect(wrapSignatures("static int f(int a)", 100)).toBe("static int f(int a)");
  });
});

describe("the API spellings of Linux 7.x (fixed irq source ids, kzalloc_obj, CONFIG_KVM_IOAPIC)", () => {
  const linux7: KernelTarget = { irqSourceIds: { kind: "fixed", first: 3 }, zeroAlloc: "kzalloc_obj", objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)", fullIrqchip: "irqchip_full" };
  const old = generate().get("kvm/xche.c")!;
  const c = generate(xche, compiled.hooks, linux7).get("kvm/xche.c")!;

  test("no allocator: the line is driven with the device's own id and lowered on destroy", () => {
    expect(old).toContain("kvm_request_irq_source_id(kvm)");
    expect(old).toContain("kvm_free_irq_source_id(kvm, xche->irq_source_id)");
    expect(c).not.toMatch(/irq_source_id\b(?!_)/);
    expect(c).not.toContain("fail_request");
    expect(c.match(/kvm_set_irq\([^,]+, KVM_XCHE_IRQ_SOURCE_ID,/g)).toHaveLength(4);
    expect(c).toMatch(/if \(xche->irq_level && xche->gsi != KVM_XCHE_NO_GSI\)\n\t\tkvm_set_irq\(kvm, KVM_XCHE_IRQ_SOURCE_ID, xche->gsi, 0, false\);\n\tkvm->arch.xche = NULL;/);
  });

  test("the same locking: no user copy under a lock, the line never under kvm->lock or slots_lock", () => {
    for (const call of locksAtCalls(c)) {
      if (/^(copy_(from|to)_user|memdup_user|put_user)$/.test(call.callee)) expect({ ...call, held: [...call.held] }).toEqual({ ...call, held: [] });
      if (call.callee === "kvm_set_irq") expect([...call.held].filter((lock) => lock.startsWith("kvm->"))).toEqual([]);
    }
  });

  test("the allocation follows slab.h", () => {
    expect(old).toContain("xche = kzalloc(sizeof(*xche), GFP_KERNEL_ACCOUNT);");
    expect(c).toContain("xche = kzalloc_obj(*xche, GFP_KERNEL_ACCOUNT);");
  });

  test("the objects join the PIT's Makefile variable", () => {
    expect(generate().get("kvm/Makefile.snippet")).toBe("kvm-y\t\t\t+= xche.o xche_core.o xche_hooks.o\n");
    expect(generate(xche, compiled.hooks, linux7).get("kvm/Makefile.snippet")).toBe("kvm-$(CONFIG_KVM_IOAPIC) += xche.o xche_core.o xche_hooks.o\n");
  });
});

describe("kvm.api \"device\" (examples/hpet_timer): KVM_CREATE_DEVICE and attribute groups", () => {
  const hpet = compileDevice("examples/hpet_timer");
  const files = generate(hpet.device, hpet.hooks);
  const c = files.get("kvm/hpet_timer.c")!;
  const h = files.get("kvm/hpet_timer.h")!;
  const linux7: KernelTarget = { irqSourceIds: { kind: "fixed", first: 3 }, zeroAlloc: "kzalloc_obj", objectsVar: "kvm-$(CONFIG_KVM_IOAPIC)", fullIrqchip: "irqchip_full" };

  test("x86.c gets one entry point, the registration; nothing hangs off struct kvm_arch", () => {
    expect(h).toContain("void kvm_hpet_timer_register_ops(void);\n");
    expect(h).not.toContain("vm_ioctl");
    expect(c).not.toContain("kvm->arch");
    expect(body(c, "kvm_hpet_timer_register_ops")).toContain(
      "WARN_ON(kvm_register_device_ops(&hpet_timer_device_ops, KVM_DEV_TYPE_HPET_TIMER));",
    );
    expect(c).toMatch(
      /static const struct kvm_device_ops hpet_timer_device_ops = \{\n\t\.name = "kvm-hpet_timer",\n\t\.create = hpet_timer_create_device,\n\t\.destroy = hpet_timer_destroy_device,\n\t\.set_attr = hpet_timer_set_attr,\n\t\.get_attr = hpet_timer_get_attr,\n\t\.has_attr = hpet_timer_has_attr,\n\};/,
    );
    // Without .release, closing the fd leaves the device to the VM.
    expect(c).not.toMatch(/^\t\.release = /m);
  });

  test("create refuses a VM without the full in-kernel irqchip, then starts unmapped and driving no GSI", () => {
    const create = body(c, "hpet_timer_create_device");
    const order = ["if (!irqchip_kernel(kvm))\n\t\treturn -ENOENT;", "kzalloc(", "kvm_request_irq_source_id(kvm)", "dev->gsi = KVM_HPET_TIMER_NO_GSI;", "hpet_timer_init(dev, kvm);", "kdev->private = dev;"];
    const at = order.map((s) => create.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(create).not.toContain("kvm_io_bus_register_dev");
    expect(body(generate(hpet.device, hpet.hooks, linux7).get("kvm/hpet_timer.c")!, "hpet_timer_create_device")).toContain("if (!irqchip_full(kvm))");
  });

  test("destroy, after KVM has torn down the buses and the irqchip, only frees", () => {
    expect(body(c, "hpet_timer_destroy_device")).toMatch(/\{\n\tkfree\(kdev->private\);\n\tkfree\(kdev\);\n\}/);
  });

  test("attribute 0 of the two groups, and ENXIO for anything else", () => {
    const set = body(c, "hpet_timer_set_attr");
    expect(set).toContain("if (attr->attr)\n\t\treturn -ENXIO;");
    expect(set).toMatch(/case KVM_DEV_HPET_TIMER_GRP_CONFIG:\n\t\tif \(copy_from_user\(&config, uaddr, sizeof\(config\)\)\)\n\t\t\treturn -EFAULT;\n\t\treturn hpet_timer_configure\(dev, &config\);/);
    expect(set).toMatch(/case KVM_DEV_HPET_TIMER_GRP_STATE:[^]*r = hpet_timer_set_state\(dev, &state\);\n\t\tif \(put_user\(HPET_TIMER_NR_STATE, &ustate->nr_regs\)\)/);
    expect(set).toMatch(/\n\t}\n\treturn -ENXIO;\n}/);
    const get = body(c, "hpet_timer_get_attr");
    expect(get).toContain("if (attr->group != KVM_DEV_HPET_TIMER_GRP_STATE || attr->attr)\n\t\treturn -ENXIO;");
    expect(get).toContain("put_user(HPET_TIMER_STATE_LAYOUT, &ustate->layout)");
    expect(body(c, "hpet_timer_has_attr")).toContain(
      "switch (attr->group) {\n\tcase KVM_DEV_HPET_TIMER_GRP_CONFIG:\n\tcase KVM_DEV_HPET_TIMER_GRP_STATE:\n\t\treturn 0;\n\tdefault:\n\t\treturn -ENXIO;",
    );
  });

  test("user memory is copied with no lock held, and kvm_set_irq runs under the device's lock alone", () => {
    const calls = locksAtCalls(c);
    for (const call of calls.filter((x) => /^(copy_from_user|copy_to_user|memdup_user|put_user)$/.test(x.callee))) {
      expect({ ...call, held: [...call.held] }).toEqual({ ...call, held: [] });
    }
    const irq = calls.filter((x) => x.callee === "kvm_set_irq");
    expect(irq.length).toBeGreaterThan(0);
    for (const call of irq) expect({ fn: call.fn, held: [...call.held].filter((l) => l !== "dev->config_lock") }).toEqual({ fn: call.fn, held: ["dev->lock"] });
  });

  test("the uapi block declares the groups and no ioctl", () => {
    const uapi = files.get("kvm/hpet_timer_uapi.h")!;
    expect(uapi).toContain("#define KVM_DEV_HPET_TIMER_GRP_CONFIG\t1\n#define KVM_DEV_HPET_TIMER_GRP_STATE\t2\n");
    expect(uapi).not.toMatch(/_IO\w*\(KVMIO|KVM_CAP_/);
    expect(uapiBlock(hpet.device)).toBe(uapi);
  });
});
