/** The PCI IDs a QEMU tree assigns, read from its include/hw/pci/pci.h. */
import { compileDevice } from "../../src/compile/index.js";
import { assignedPciIds, checkTreePciIds } from "../../src/integrate/tree-pci-ids.js";
import { caught } from "../helpers/caught.js";

/** An excerpt of QEMU 10.2's include/hw/pci/pci.h, plus an ID assigned after devgen's table was written. */
const HEADER = `
#define PCI_VENDOR_ID_REDHAT_QUMRANET    0x1af4
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_SUBDEVICE_ID_QEMU            0x1100
#define PCI_VENDOR_ID_REDHAT             0x1b36
#define PCI_DEVICE_ID_REDHAT_BRIDGE      0x0001
#define PCI_DEVICE_ID_REDHAT_QXL         0x0100
#define PCI_DEVICE_ID_REDHAT_QUMRANET_NEW 0x10f0
`;

test("each device ID goes with the longest vendor name it starts with", () => {
  const assigned = assignedPciIds(HEADER);
  expect(assigned.get("1b36:0001")).toBe("PCI_DEVICE_ID_REDHAT_BRIDGE");
  expect(assigned.get("1b36:0100")).toBe("PCI_DEVICE_ID_REDHAT_QXL");
  expect(assigned.get("1af4:10f0")).toBe("PCI_DEVICE_ID_REDHAT_QUMRANET_NEW");
  expect(assigned.has("1b36:10f0")).toBe(false);
});

test("a device the tree assigns elsewhere is refused, naming the define and the file", () => {
  const xche = compileDevice("devices/xche");
  const error = caught(() => checkTreePciIds((file) => (file === "include/hw/pci/pci.h" ? HEADER : null), "/src/qemu", [xche]));
  expect(error.message).toBe(
    "error: xche: PCI ID 1af4:10f0 is PCI_DEVICE_ID_REDHAT_QUMRANET_NEW in /src/qemu/include/hw/pci/pci.h\n  hint: give the device an ID the tree does not assign; for experiments 1af4:10f0..10ff",
  );
  expect(() => checkTreePciIds((file) => (file === "include/hw/pci/pci.h" ? HEADER.replace("0x10f0", "0x10ff") : null), "/src/qemu", [xche])).not.toThrow();
});
