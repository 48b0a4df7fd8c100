// a FIFO cannot keep its entries over a reset: the reset empties it
import { defineDevice } from "devgen";

export default defineDevice({
  name: "foo",
  description: "Test device",
  pci: { vendorId: 0x1b36, deviceId: 0x0101 },
  bar: { index: 0, space: "io", size: 0x4 },
  kvm: { ioctl: { number: 0xe4 }, capability: { number: 1000 } },
  registers: [
    { name: "DATA", offset: 0x0, width: 8, access: "rw", fifo: "RXQ" },
  ],
  storage: { RXQ: { count: 16, fifo: {}, keepOnReset: /*@*/true } },
});
