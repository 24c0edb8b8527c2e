import type { InventoryBlock } from "../config/messaging-config.js";
import { defaultCountryNames, defaultInventory } from "./default-inventory.js";

export type Capability = "none" | "inbound" | "outbound" | "inbound+outbound";
export interface Capabilities {
  calling: Capability;
  sms: Capability;
}

/** One available number of the inventory and the block (offering) it belongs to. */
export interface InventoryNumber {
  phoneNumber: string;
  block: InventoryBlock;
}

export interface NumberFilter {
  countryCode: string;
  phoneNumberType?: string | undefined;
  assignmentType?: string | undefined;
  areaCode?: string | undefined;
  locality?: string | undefined;
  administrativeDivision?: string | undefined;
  capabilities?: Partial<Capabilities> | undefined;
  prefixes?: readonly string[] | undefined;
}

/** True when a number offering `offered` can be given the `requested` capability. */
export function capabilityWithin(requested: Capability | undefined, offered: Capability): boolean {
  if (requested === undefined || requested === "none") return true;
  if (offered === "inbound+outbound") return true;
  return requested === offered;
}

/** True when the capability includes outbound traffic (a number that may send SMS). */
export function allowsOutbound(capability: string): boolean {
  return capability === "outbound" || capability === "inbound+outbound";
}

function expandBlock(block: InventoryBlock): string[] {
  const digits = block.first.slice(1);
  const start = BigInt(digits);
  const out: string[] = [];
  for (let i = 0; i < block.count; i++) out.push(`+${(start + BigInt(i)).toString().padStart(digits.length, "0")}`);
  return out;
}

/**
 * The configured catalogue of numbers that can be searched, browsed and purchased, per country and offering. It is
 * static: which of its numbers are taken (purchased or held) lives in the database.
 */
export class Inventory {
  private readonly numbers: InventoryNumber[];
  private readonly byNumber = new Map<string, InventoryNumber>();

  constructor(
    readonly blocks: readonly InventoryBlock[] = defaultInventory,
    private readonly countryNames: Record<string, string> = defaultCountryNames,
  ) {
    this.numbers = blocks.flatMap((block) => expandBlock(block).map((phoneNumber) => ({ phoneNumber, block })));
    for (const n of this.numbers) this.byNumber.set(n.phoneNumber, n);
  }

  find(phoneNumber: string): InventoryNumber | undefined {
    return this.byNumber.get(phoneNumber);
  }

  countries(): Array<{ countryCode: string; localizedName: string }> {
    const codes = [...new Set(this.blocks.map((b) => b.countryCode))].sort();
    return codes.map((countryCode) => ({ countryCode, localizedName: this.countryNames[countryCode] ?? countryCode }));
  }

  hasCountry(countryCode: string): boolean {
    return this.blocks.some((b) => b.countryCode === countryCode);
  }

  blocksMatching(filter: NumberFilter): InventoryBlock[] {
    return this.blocks.filter(
      (b) =>
        b.countryCode === filter.countryCode &&
        (filter.phoneNumberType === undefined || b.phoneNumberType === filter.phoneNumberType) &&
        (filter.assignmentType === undefined || b.assignmentType === filter.assignmentType) &&
        (filter.areaCode === undefined || b.areaCode === filter.areaCode) &&
        (filter.locality === undefined || b.locality?.toLowerCase() === filter.locality.toLowerCase()) &&
        (filter.administrativeDivision === undefined ||
          b.administrativeDivision?.abbreviatedName.toLowerCase() === filter.administrativeDivision.toLowerCase() ||
          b.administrativeDivision?.localizedName.toLowerCase() === filter.administrativeDivision.toLowerCase()) &&
        capabilityWithin(filter.capabilities?.calling, b.capabilities.calling) &&
        capabilityWithin(filter.capabilities?.sms, b.capabilities.sms),
    );
  }

  /** Numbers of the matching blocks, in a stable order (so concurrent searches take holds in the same order). */
  numbersMatching(filter: NumberFilter): InventoryNumber[] {
    const blocks = new Set(this.blocksMatching(filter));
    return this.numbers.filter(
      (n) =>
        blocks.has(n.block) &&
        (filter.prefixes === undefined || filter.prefixes.length === 0 || filter.prefixes.some((p) => n.phoneNumber.startsWith(p.startsWith("+") ? p : `+${p}`))),
    );
  }
}
