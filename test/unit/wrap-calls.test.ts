/** Long lines of generated C folded as a maintainer would, and the QEMU glue of every example inside 80 columns. */
import { compileDevice } from "../../src/compile/index.js";
import { renderQemuDevice } from "../../src/gen/qemu/index.js";
import { DEFAULT_QEMU_TARGET } from "../../src/gen/qemu/target.js";
import { columns, wrapCalls } from "../../src/gen/wrap-calls.js";
import { DEVICES } from "../helpers/harness.js";

test.each([
  [
    '        error_report("dma_engine: KVM_CONFIGURE_DMA_ENGINE failed: %s", strerror(-ret));',
    '        error_report("dma_engine: KVM_CONFIGURE_DMA_ENGINE failed: %s",\n                     strerror(-ret));',
  ],
  [
    "    dma_engine_kvm_configure(s, pci_get_bar_addr(PCI_DEVICE(s), DMA_ENGINE_BAR_INDEX));",
    "    dma_engine_kvm_configure(s,\n                             pci_get_bar_addr(PCI_DEVICE(s),\n                                              DMA_ENGINE_BAR_INDEX));",
  ],
  [
    '        warn_report("dma_engine: KVM_CREATE_DMA_ENGINE failed: %s; emulating it in QEMU", strerror(-ret));',
    '        warn_report(\n            "dma_engine: KVM_CREATE_DMA_ENGINE failed: %s; emulating it in QEMU",\n            strerror(-ret));',
  ],
  ['    dc->desc = "16550-style UART register file with loopback, handled inside KVM";', '    dc->desc =\n        "16550-style UART register file with loopback, handled inside KVM";'],
  ["static void x_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val, int len)", "static void x_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,\n                           int len)"],
  ["    x_write(s, addr, val);", "    x_write(s, addr, val);"],
])("%s", (line, folded) => {
  expect(wrapCalls(line, 80, "    ")).toBe(folded);
});

test("a comment or a preprocessor line is never folded", () => {
  const comment = ` * ${"word ".repeat(20)}`;
  expect(wrapCalls(comment, 80, "    ")).toBe(comment);
});

test.each(DEVICES)("%s: every line of the QEMU glue fits 80 columns, or is a string literal alone", (dir) => {
  const glue = renderQemuDevice(compileDevice(dir).device, DEFAULT_QEMU_TARGET);
  const over = glue.split("\n").filter((l) => columns(l) > 80 && !/^\s*"(?:[^"\\]|\\.)*"(?:,|\);|;)?$/.test(l));
  expect(over).toEqual([]);
});
