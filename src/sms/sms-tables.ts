/** SMS state: accepted messages (for repeatability and delivery reports) and opt-outs. */
export interface SmsMessagesTable {
  id: string;
  resource_id: string;
  /** The recipient's repeatabilityRequestId; unique per resource, so a repeat is never sent twice. */
  repeatability_request_id: string | null;
  from_number: string;
  to_number: string;
  delivery_status: string;
  segments: number;
  tag: string | null;
  created_at: number;
}

export interface SmsOptOutsTable {
  resource_id: string;
  from_number: string;
  to_number: string;
  created_at: number;
}

export interface SmsWebhooksTable {
  resource_id: string;
  url: string;
  created_at: number;
}

export interface SmsTables {
  sms_messages: SmsMessagesTable;
  sms_opt_outs: SmsOptOutsTable;
  sms_webhooks: SmsWebhooksTable;
}
