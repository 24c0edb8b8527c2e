import type { InventoryBlock } from "../config/messaging-config.js";

const both = "inbound+outbound" as const;

/**
 * The built-in inventory of available numbers, used unless `phoneNumbers.inventory` is configured. The numbers come
 * from ranges reserved for fiction or testing where they exist (NANP 555-01xx, Ofcom's drama ranges), so a number
 * Switchboard hands out never reaches a real subscriber.
 */
export const defaultInventory: InventoryBlock[] = [
  { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "800", first: "+18005550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 2, currencyCode: "USD" } },
  { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "833", first: "+18335550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 2, currencyCode: "USD" } },
  { countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "844", first: "+18445550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 2, currencyCode: "USD" } },
  { countryCode: "US", phoneNumberType: "geographic", assignmentType: "application", areaCode: "425", locality: "Redmond", administrativeDivision: { localizedName: "Washington", abbreviatedName: "WA" }, first: "+14255550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 1, currencyCode: "USD" } },
  { countryCode: "US", phoneNumberType: "geographic", assignmentType: "person", areaCode: "206", locality: "Seattle", administrativeDivision: { localizedName: "Washington", abbreviatedName: "WA" }, first: "+12065550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 1, currencyCode: "USD" } },
  { countryCode: "US", phoneNumberType: "geographic", assignmentType: "application", areaCode: "212", locality: "New York", administrativeDivision: { localizedName: "New York", abbreviatedName: "NY" }, first: "+12125550100", count: 100, capabilities: { calling: both, sms: "none" }, cost: { amount: 1, currencyCode: "USD" } },
  { countryCode: "CA", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "888", first: "+18885550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 2, currencyCode: "USD" } },
  { countryCode: "CA", phoneNumberType: "geographic", assignmentType: "application", areaCode: "416", locality: "Toronto", administrativeDivision: { localizedName: "Ontario", abbreviatedName: "ON" }, first: "+14165550100", count: 100, capabilities: { calling: both, sms: both }, cost: { amount: 1, currencyCode: "USD" } },
  { countryCode: "GB", phoneNumberType: "geographic", assignmentType: "application", areaCode: "20", locality: "London", administrativeDivision: { localizedName: "England", abbreviatedName: "ENG" }, first: "+442079460000", count: 100, capabilities: { calling: both, sms: "none" }, cost: { amount: 1, currencyCode: "GBP" } },
  { countryCode: "GB", phoneNumberType: "tollFree", assignmentType: "application", areaCode: "808", first: "+448081570000", count: 100, capabilities: { calling: "inbound", sms: "none" }, cost: { amount: 3, currencyCode: "GBP" } },
];

export const defaultCountryNames: Record<string, string> = {
  US: "United States",
  CA: "Canada",
  GB: "United Kingdom",
  IE: "Ireland",
  FR: "France",
  DE: "Germany",
};
