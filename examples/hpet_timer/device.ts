import { defineDevice } from "devgen";

/*
 * hpet_timer: a simplified HPET-style timer block (64-bit main counter, three
 * comparators) behind a PCI memory BAR. There is no wall clock in the register core: the
 * counter advances by one tick each time it is read while the block is enabled, and a
 * comparator fires as soon as it is armed at or below the counter. Each firing sets its
 * bit in INT_STATUS (write 1 to clear); the line is raised while a cause is both pending
 * and enabled in INT_ENABLE, which stands in for the per-timer Tn_INT_ENB_CNF bits.
 *
 * Registers are 64 bits wide. As the HPET specification allows, drivers use whole
 * registers or 4-byte halves: a 1- or 2-byte access, or an unaligned one, is a bus error.
 */
export default defineDevice({
  name: "hpet_timer",
  description: "HPET-style 64-bit timer block handled inside KVM",
  pci: {
    vendorId: 0x1af4,
    deviceId: 0x10f2,
    classCode: 0x0803,
    revision: 1,
  },
  bar: { index: 0, space: "mmio", size: 0x400 },
  // KVM_CREATE_DEVICE(KVM_DEV_TYPE_HPET_TIMER), as upstream asks of new in-kernel devices;
  // xche keeps the VM ioctls of the classic walkthrough.
  kvm: { api: "device" },
  policy: { sizes: [4, 8], narrower: "combine", wider: "error", unaligned: "error" },
  interrupt: { status: "INT_STATUS", enable: "INT_ENABLE" },
  registers: [
    {
      name: "CAP",
      offset: 0x000,
      width: 64,
      access: "const",
      description: "General capabilities and ID",
      fields: [
        { name: "REV_ID", bits: [7, 0], reset: 0x01, description: "Revision" },
        { name: "NUM_TIM", bits: [12, 8], reset: 2, description: "Number of the last timer" },
        { name: "COUNT_SIZE", bits: 13, reset: 1, description: "The counter is 64 bits wide" },
        { name: "LEG_RT", bits: 15, reset: 1, description: "Legacy replacement routing capable" },
        { name: "VENDOR_ID", bits: [31, 16], reset: 0x1b36, description: "PCI vendor ID of the maker" },
        {
          name: "CLK_PERIOD",
          bits: [63, 32],
          reset: 10000000,
          description: "Counter tick period in femtoseconds (100 MHz)",
        },
      ],
    },
    {
      name: "CONFIG",
      offset: 0x010,
      width: 64,
      access: "rw",
      description: "General configuration",
      // Half-width writes could enable the counter with a stale routing bit.
      policy: { narrower: "error" },
      fields: [
        { name: "ENABLE", bits: 0, description: "Run the counter and the comparators" },
        { name: "LEG_RT", bits: 1, description: "Legacy replacement routing" },
      ],
      onWrite: [{ hook: "arm", when: "ENABLE" }],
    },
    {
      name: "INT_STATUS",
      offset: 0x020,
      width: 64,
      access: "w1c",
      description: "Interrupt causes, one per timer; write 1 to clear",
      // Clearing must be one full access: a partial one is dropped.
      policy: { narrower: "ignore" },
      fields: [
        { name: "T0", bits: 0 },
        { name: "T1", bits: 1 },
        { name: "T2", bits: 2 },
      ],
    },
    {
      name: "INT_ENABLE",
      offset: 0x028,
      width: 64,
      access: "rw",
      description: "Interrupt enables, one per INT_STATUS cause",
      fields: [
        { name: "T0", bits: 0 },
        { name: "T1", bits: 1 },
        { name: "T2", bits: 2 },
      ],
    },
    {
      name: "COUNTER",
      offset: 0x0f0,
      width: 64,
      access: "rw",
      description: "Main counter; advances by one on each read while enabled",
      // A stray byte or word access reads 0 rather than fault a polling loop.
      policy: { unaligned: "ignore", otherSizes: "ignore" },
      onRead: [{ hook: "tick" }],
    },
    {
      name: "T_CONFIG",
      offset: 0x100,
      count: 3,
      stride: 0x20,
      width: 64,
      access: "rw",
      description: "Timer configuration and capabilities",
      fields: [
        { name: "INT_TYPE", bits: 1, description: "Interrupt type", values: { EDGE: 0, LEVEL: 1 } },
        { name: "TYPE", bits: 3, description: "Timer mode", values: { ONESHOT: 0, PERIODIC: 1 } },
        { name: "PER_INT_CAP", bits: 4, access: "const", reset: 1, description: "Periodic capable" },
        { name: "SIZE_CAP", bits: 5, access: "const", reset: 1, description: "64-bit comparator" },
        { name: "VAL_SET", bits: 6, access: "wo", description: "Next comparator write sets the period" },
        { name: "MODE32", bits: 8, description: "Force 32-bit mode" },
        { name: "INT_ROUTE", bits: [13, 9], description: "I/O APIC input" },
        { name: "FSB_EN", bits: 14, description: "Deliver by FSB message" },
        { name: "FSB_CAP", bits: 15, access: "const", description: "FSB delivery capable: no" },
        {
          name: "INT_ROUTE_CAP",
          bits: [63, 32],
          access: "const",
          reset: 0x00f00000,
          description: "I/O APIC inputs the timer can use (20 to 23)",
        },
      ],
    },
    {
      name: "T_CMP",
      offset: 0x108,
      count: 3,
      stride: 0x20,
      width: 64,
      access: "rw",
      reset: 0xffffffffffffffffn,
      description: "Timer comparator; fires when the counter reaches it",
      onWrite: [{ hook: "arm" }],
    },
  ],
  hooks: {
    tick: {
      description: "Return the counter, then advance it by one tick if the block is enabled",
      model(dev, value) {
        if (dev.get("CONFIG") & 1n) dev.set("COUNTER", dev.get("COUNTER") + 1n);
        return value;
      },
    },
    arm: {
      description: "Fire every comparator at or below the counter while the block is enabled",
      model(dev) {
        if (!(dev.get("CONFIG") & 1n)) return;
        const now = dev.get("COUNTER");
        for (let n = 0; n < 3; n++) {
          if (dev.get(`T_CMP_${n}`) <= now) dev.set("INT_STATUS", dev.get("INT_STATUS") | (1n << BigInt(n)));
        }
      },
    },
  },
  scenarios: [
    {
      name: "enable_fires_armed",
      description: "A comparator armed while the block is off fires when it is enabled, and the counter then ticks on reads",
      steps: [
        { write: "T_CMP_0", value: 0 },
        { read: "INT_STATUS", expect: 0 },
        { write: "INT_ENABLE", value: 0b001 },
        { write: "CONFIG", value: 1 },
        { read: "INT_STATUS", expect: 0b001 },
        { irq: true },
        { read: "COUNTER", expect: 0 },
        { read: "COUNTER", expect: 1 },
        { write: "INT_STATUS", value: 0b001 },
        { irq: false },
      ],
    },
    {
      name: "arm_below_counter",
      description: "Arming a comparator at or below the running counter fires it at once",
      steps: [
        { write: "CONFIG", value: 1 },
        { write: "COUNTER", value: 100 },
        { write: "T_CMP_2", value: 101 },
        { read: "INT_STATUS", expect: 0 },
        { write: "T_CMP_2", value: 100 },
        { read: "INT_STATUS", expect: 0b100 },
      ],
    },
  ],
});
