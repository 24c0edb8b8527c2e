/** Purchased numbers, searches, holds, reservations and long-running operations of the Phone Numbers API. */
export interface PhoneNumbersTable {
  /** E.164, e.g. +18005550100. The primary key makes a number belong to at most one resource, on every backend. */
  phone_number: string;
  resource_id: string;
  country_code: string;
  phone_number_type: string;
  assignment_type: string;
  calling: string;
  sms: string;
  cost_amount: number;
  cost_currency: string;
  purchased_at: number;
}

/** A number held by a search or a reservation until it expires or is purchased. */
export interface PhoneNumberHoldsTable {
  phone_number: string;
  resource_id: string;
  /** `search` or `reservation`. */
  holder_kind: string;
  holder_id: string;
  expires_at: number;
}

export interface PhoneNumberSearchesTable {
  id: string;
  resource_id: string;
  country_code: string;
  phone_number_type: string;
  assignment_type: string;
  calling: string;
  sms: string;
  /** JSON array of E.164 numbers. */
  phone_numbers: string;
  cost_amount: number;
  cost_currency: string;
  created_at: number;
  expires_at: number;
  purchased_at: number | null;
}

export interface PhoneNumberReservationsTable {
  id: string;
  resource_id: string;
  /** active | submitted | completed | expired */
  status: string;
  /** JSON array of E.164 numbers. */
  phone_numbers: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface PhoneNumberOperationsTable {
  id: string;
  resource_id: string;
  operation_type: string;
  /** notStarted | running | succeeded | failed */
  status: string;
  resource_location: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  last_action_at: number;
}

export interface PhoneNumberTables {
  phone_numbers: PhoneNumbersTable;
  phone_number_holds: PhoneNumberHoldsTable;
  phone_number_searches: PhoneNumberSearchesTable;
  phone_number_reservations: PhoneNumberReservationsTable;
  phone_number_operations: PhoneNumberOperationsTable;
}
