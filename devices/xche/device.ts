import { defineDevice } from "devgen";

/*
 * xche: a data exchange device, after the classic KVM I/O-interception
 * walkthrough (a PCI device whose I/O BAR is decoded on addr & 0x1f).
 * The guest writes a word to DATA_IN; the device combines it with KEY according to
 * CTRL.MODE, latches the result in DATA_OUT, counts the exchange and raises DONE.
 */
export default defineDevice({
  name: "xche",
  description: "Data exchange device handled inside KVM",
  pci: {
    // QEMU keeps 1af4:10f0..10ff for experiments (docs/specs/pci-ids.rst); get an ID of
    // your own before the device leaves the lab.
    vendorId: 0x1af4,
    deviceId: 0x10f0,
    classCode: 0xff00,
    revision: 1,
  },
  bar: { index: 1, space: "io", size: 0x800, decodeMask: 0x1f },
  // The classic interface: KVM_CREATE_XCHE and the next three VM ioctls, at the top of
  // KVM's range, away from the numbers upstream hands out next (0xe4 up); a private
  // capability. kvm: { api: "device" } uses KVM_CREATE_DEVICE instead, as upstream asks of
  // new in-kernel devices (README: choosing a KVM API).
  kvm: {
    ioctl: { name: "KVM_CREATE_XCHE", number: 0xfc },
    capability: { name: "KVM_CAP_XCHE", number: 1000 },
  },
  interrupt: { status: "INT_STATUS", enable: "INT_ENABLE" },
  registers: [
    {
      name: "ID",
      offset: 0x00,
      access: "const",
      reset: 0x58434845,
      description: "Identification: ASCII \"XCHE\"",
    },
    {
      name: "CTRL",
      offset: 0x04,
      description: "Control",
      fields: [
        { name: "ENABLE", bits: 0, access: "rw", description: "Accept exchanges" },
        {
          name: "MODE",
          bits: [2, 1],
          access: "rw",
          description: "How DATA_IN is combined with KEY",
          values: { PASS: 0, XOR: 1, ADD: 2 },
        },
        { name: "RESET", bits: 31, access: "wo", description: "Write 1 to clear COUNT and DATA_OUT" },
      ],
      onWrite: [{ hook: "soft_reset", when: "RESET" }],
    },
    {
      name: "INT_STATUS",
      offset: 0x08,
      access: "w1c",
      description: "Interrupt causes; write 1 to clear",
      fields: [
        { name: "DONE", bits: 0, description: "An exchange completed" },
        { name: "REJECTED", bits: 1, description: "DATA_IN was written while CTRL.ENABLE was 0" },
      ],
    },
    {
      name: "INT_ENABLE",
      offset: 0x0c,
      access: "rw",
      description: "Interrupt enables, one per INT_STATUS cause",
      fields: [
        { name: "DONE", bits: 0 },
        { name: "REJECTED", bits: 1 },
      ],
    },
    {
      name: "DATA_IN",
      offset: 0x10,
      access: "rw",
      description: "Word to exchange; writing it starts the exchange",
      onWrite: [{ hook: "exchange" }],
    },
    {
      name: "DATA_OUT",
      offset: 0x14,
      access: "ro",
      description: "Result of the last exchange",
    },
    {
      name: "KEY",
      offset: 0x18,
      width: 16,
      access: "rw",
      reset: 0x5a5a,
      description: "Operand combined with DATA_IN",
    },
    {
      name: "COUNT",
      offset: 0x1a,
      width: 8,
      access: "rc",
      description: "Exchanges since last read (saturates at 255); reading clears it",
    },
    {
      name: "SCRATCH",
      offset: 0x1c,
      access: "rw",
      description: "Free for the driver",
    },
  ],
  hooks: {
    exchange: {
      description: "Combine DATA_IN with KEY into DATA_OUT, count it and flag DONE or REJECTED",
      model(dev) {
        const ctrl = dev.get("CTRL");
        if (!(ctrl & 1n)) {
          dev.set("INT_STATUS", dev.get("INT_STATUS") | 2n);
          return;
        }
        const key = dev.get("KEY");
        const mode = (ctrl >> 1n) & 3n;
        const data = dev.get("DATA_IN");
        const out = mode === 1n ? data ^ key : mode === 2n ? (data + key) & 0xffffffffn : data;
        dev.set("DATA_OUT", out);
        const count = dev.get("COUNT");
        if (count < 0xffn) dev.set("COUNT", count + 1n);
        dev.set("INT_STATUS", dev.get("INT_STATUS") | 1n);
      },
    },
    soft_reset: {
      description: "Clear COUNT and DATA_OUT",
      model(dev) {
        dev.set("COUNT", 0n);
        dev.set("DATA_OUT", 0n);
      },
    },
  },
  // Sequences the per-register vectors do not make: each runs from reset in every
  // implementation, and each value read is checked against the model when the file is.
  scenarios: [
    {
      name: "exchange_add",
      description: "Enable, choose ADD, exchange a word: DATA_OUT, COUNT and the DONE interrupt follow",
      steps: [
        { write: "INT_ENABLE", value: 0b01 },
        { write: "CTRL", value: 0b101 }, // ENABLE, MODE = ADD
        { write: "DATA_IN", value: 0x1000 },
        { read: "DATA_OUT", expect: 0x6a5a }, // 0x1000 + KEY's reset value
        { irq: true },
        { read: "COUNT", expect: 1 },
        { read: "COUNT", expect: 0 }, // reading cleared it
        { write: "INT_STATUS", value: 0b01 },
        { irq: false },
      ],
    },
    {
      name: "rejected_while_disabled",
      description: "A word written while CTRL.ENABLE is clear is rejected, not exchanged",
      steps: [
        { write: "DATA_IN", value: 0x1234 },
        { read: "INT_STATUS", expect: 0b10 },
        { read: "DATA_OUT", expect: 0 },
        { read: "COUNT", expect: 0 },
      ],
    },
    {
      name: "soft_reset_after_exchange",
      description: "CTRL.RESET clears what an exchange left in DATA_OUT and COUNT, and keeps KEY",
      steps: [
        { write: "KEY", value: 0x00ff },
        { write: "CTRL", value: 0b011 }, // ENABLE, MODE = XOR
        { write: "DATA_IN", value: 0x0f0f },
        { read: "DATA_OUT", expect: 0x0ff0 },
        { write: "CTRL", value: 0x80000003 },
        { read: "DATA_OUT", expect: 0 },
        { read: "COUNT", expect: 0 },
        { read: "KEY", expect: 0x00ff },
      ],
    },
  ],
});
