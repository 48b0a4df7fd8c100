/**
 * The device file's scenarios as vectors, each from reset, and the check of their claims:
 * a read's `expect` and an `irq` step say what the author believes the device does, and
 * the reference model must agree, or the file is wrong (or the model is).
 */
import { lowestBit } from "../ir/bits.js";
import type { Device, Scenario } from "../ir/types.js";
import { hex } from "../compile/message-words.js";
import { DeviceModel, type ReadResult } from "./device-model.js";
import type { VectorWriter } from "./vector-writer.js";

/** A claim the model does not meet: scenario and step index, and the key of the claim in the step. */
export interface ClaimMismatch {
  scenario: number;
  step: number;
  key: "expect" | "irq" | "read" | "write";
  message: string;
  hint: string;
}

const CLAIM_HINT = "the model follows the registers and hook models of the file: correct the claim, or the description if the model is what is wrong";

interface Player {
  /** The model's stored values, to tell which bank an offset decodes to. */
  regs: readonly bigint[];
  read(offset: number, size: number): ReadResult;
  write(offset: number, size: number, value: bigint): void;
  reset(): void;
  irq(): boolean | null;
}

export function writeScenarios(writer: VectorWriter): void {
  const player: Player = {
    regs: writer.model.regs,
    read: writer.read,
    write: writer.write,
    reset: writer.reset,
    irq: () => {
      writer.checkIrq(true);
      return writer.model.irqLevel();
    },
  };
  for (const scenario of writer.device.scenarios) play(scenario, player, writer.device);
}

/** Runs every scenario on a model of its own and returns the claims it refutes. */
export function scenarioClaims(device: Device): ClaimMismatch[] {
  const model = new DeviceModel(device);
  const player: Player = {
    regs: model.regs,
    read: (offset, size) => model.read(offset, size),
    write: (offset, size, value) => void model.write(offset, size, value),
    reset: () => model.reset(),
    irq: () => model.irqLevel(),
  };
  return device.scenarios.flatMap((scenario, i) =>
    play(scenario, player, device).map((m) => ({ ...m, scenario: i, message: `scenario "${scenario.name}": ${m.message}` })),
  );
}

function play(scenario: Scenario, player: Player, device: Device): ClaimMismatch[] {
  const mismatches: ClaimMismatch[] = [];
  player.reset();
  scenario.steps.forEach((step, j) => {
    const refuted = (key: ClaimMismatch["key"], message: string, hint = CLAIM_HINT) => mismatches.push({ scenario: 0, step: j, key, message, hint });
    // A step naming a register of a bank must find that bank selected: else it reaches another.
    const checkBank = (name: string, key: "read" | "write"): void => {
      const bank = device.registers.find((r) => r.name === name)?.bank;
      if (!bank) return;
      const selected = (player.regs[bank.select.register]! & bank.select.mask) >> BigInt(lowestBit(bank.select.mask));
      if (selected !== bank.value) {
        refuted(
          key,
          `${name} is not selected here: ${bank.select.label} is ${selected}, and ${name} needs ${bank.value}`,
          `write ${bank.value} to ${bank.select.label} in an earlier step, or name the register ${bank.select.label} = ${selected} selects`,
        );
      }
    };
    switch (step.op) {
      case "reset":
        player.reset();
        return;
      case "write":
        checkBank(step.label, "write");
        player.write(step.offset, step.size, step.value);
        return;
      case "irq": {
        const level = player.irq();
        const says = (high: boolean) => (high ? "asserted" : "deasserted");
        if (level === null) refuted("irq", "the reference model cannot tell the interrupt line here: a hook without a model decides it");
        else if (level !== step.expect) refuted("irq", `the reference model has the interrupt line ${says(level)} here, where the step says ${says(step.expect)}`);
        return;
      }
      case "read": {
        checkBank(step.label, "read");
        const result = player.read(step.offset, step.size);
        if (!step.expect) return;
        const { value, mask } = step.expect;
        const bits = mask === (1n << BigInt(step.size * 8)) - 1n ? "" : ` in bits ${hex(mask)}`;
        if (result.unknown & mask) {
          refuted("expect", `the reference model cannot predict bits ${hex(result.unknown & mask)} of this read of ${step.label}: a hook without a model decides them`);
        } else if ((result.value & mask) !== value) {
          refuted("expect", `the reference model reads ${hex(result.value & mask)}${bits} from ${step.label} here, where the step expects ${hex(value)}`);
        }
      }
    }
  });
  return mismatches;
}
