/** The data of an SMSDeliveryReportReceived event and of `GET /deliveryReports/{id}` (ACS's shape). */
export interface DeliveryReportData {
  messageId: string;
  from: string;
  to: string;
  deliveryStatus: "Delivered" | "Failed";
  deliveryStatusDetails: string;
  receivedTimestamp: string;
  deliveryAttempts: Array<{ timestamp: string; segmentsSucceeded: number; segmentsFailed: number }>;
  tag?: string;
}
