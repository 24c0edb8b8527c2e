/** The management actions of Microsoft.Communication that RBAC checks (Azure's names; matched case-insensitively). */
const CS = "Microsoft.Communication/CommunicationServices";

export const ARM_ACTIONS = {
  read: `${CS}/read`,
  write: `${CS}/write`,
  delete: `${CS}/delete`,
  listKeys: `${CS}/ListKeys/action`,
  regenerateKey: `${CS}/RegenerateKey/action`,
  linkNotificationHub: `${CS}/LinkNotificationHub/action`,
  checkNameAvailability: "Microsoft.Communication/CheckNameAvailability/action",
  readOperation: "Microsoft.Communication/Locations/OperationStatuses/read",
} as const;
