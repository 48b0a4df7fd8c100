/**
 * The per-device `device.h` of each guest program (kernel-harness/kvm_test.c, kvm_fuzz.c,
 * kvm_bench.c; qemu-harness/qemu_test.c; the L3 payload): what the generic program needs
 * to know about the device, rendered from templates/guest/. Not part of the artifact set
 * `generate` writes: the harness renders them beside the programs it compiles.
 */
import { bitMask } from "../../ir/bits.js";
import type { Device, KvmDeviceApi, KvmIoctlApi } from "../../ir/types.js";
import { cHex, cU32 } from "../c.js";
import { render } from "../render.js";
import { stateEntries, stateLayout } from "../../reference/state-rules.js";
import { testPlacement } from "./placement.js";

export { testPlacement };

/**
 * How the VMM-side programs reach the device: the four VM ioctls and the capability, or
 * KVM_CREATE_DEVICE of its type and its fd's attribute groups. For the device API the four
 * operations are pseudo requests that vm.h's dev_request() turns into attributes.
 */
function apiView(api: KvmIoctlApi | KvmDeviceApi) {
  if (api.kind === "ioctl") {
    return {
      apiDevice: 0,
      ioctl: {
        capability: api.capability.name,
        create: api.create.name,
        configure: api.configure.name,
        getState: api.getState.name,
        setState: api.setState.name,
      },
      device: null,
    };
  }
  return {
    apiDevice: 1,
    ioctl: null,
    device: {
      // The system's <linux/kvm.h> the programs compile against has no entry for it.
      typeName: api.type.name,
      typeNumber: api.type.number,
      configGroup: api.configGroup.name,
      stateGroup: api.stateGroup.name,
    },
  };
}

/** The VMM-side programs': the device's API, BAR placement, register reset values. */
export function deviceHeaderView(device: Device) {
  const place = testPlacement(device);
  return {
    name: device.name,
    prefix: device.prefix,
    source: device.source,
    ...apiView(device.kvm.api),
    mmio: device.kvm.bus === "mmio" ? 1 : 0,
    barSize: cHex(device.bar.size),
    busEnd: cHex(place.busEnd),
    base: cHex(place.base),
    movedBase: cHex(place.moved),
    misalignedBase: cHex(place.misaligned),
    maxAccess: Math.max(...device.busSizes),
    hasIrq: device.interrupt ? 1 : 0,
    nrRegs: device.stateSize,
    stateLayout: cU32(stateLayout(device)),
    registers: stateEntries(device).map((entry) => ({
      name: entry.name,
      reset: `${cHex(entry.reset)}ULL`,
      holds: `${cHex(entry.holds)}ULL`,
      fixed: `${cHex(entry.fixed)}ULL`,
      kept: entry.kept,
      max: entry.max === bitMask(64) ? "~0ULL" : `${cHex(entry.max)}ULL`,
    })),
  };
}

export function renderDeviceHeader(device: Device): string {
  return render("guest/kvm-test-device.h.hbs", deviceHeaderView(device));
}

/** What a guest needs to find the device on PCI and reach its BAR: both PCI guests' headers have it. */
export function pciDeviceView(device: Device) {
  return {
    name: device.name,
    prefix: device.prefix,
    source: device.source,
    vendorId: cHex(device.pci.vendorId),
    deviceId: cHex(device.pci.deviceId),
    barIndex: device.bar.index,
    mmio: device.bar.space === "mmio" ? 1 : 0,
    barSize: cHex(device.bar.size),
  };
}

/** Level qemu's Linux guest test: PCI identity, interrupt, registers that act on misaligned accesses. */
export function qemuDeviceHeaderView(device: Device) {
  return {
    ...pciDeviceView(device),
    hasIrq: device.interrupt ? 1 : 0,
    unalignedRegs: device.registers
      .filter((r) => r.policy.unaligned === "split" || r.policy.unaligned === "combine")
      .map((r) => ({ name: r.name, offset: cHex(r.offset), bytes: r.bytes })),
  };
}

export function renderQemuDeviceHeader(device: Device): string {
  return render("guest/qemu-test-device.h.hbs", qemuDeviceHeaderView(device));
}

/** The L3 payload's: PCI identity, where it places the BAR and moves it. */
export function payloadDeviceHeaderView(device: Device) {
  const place = testPlacement(device);
  return {
    ...pciDeviceView(device),
    base: cHex(place.base),
    movedBase: cHex(place.moved),
  };
}

export function renderPayloadDeviceHeader(device: Device): string {
  return render("guest/payload-device.h.hbs", payloadDeviceHeaderView(device));
}
