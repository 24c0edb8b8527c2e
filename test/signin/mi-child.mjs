// A workload process: its environment holds only the managed-identity variables (and NODE_EXTRA_CA_CERTS).
// argv: <credential: mi|dac> <endpoint> [clientId] [messaging <sender address>]. Prints one JSON line: what it did,
// or the error.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { PhoneNumbersClient } from "@azure/communication-phone-numbers";
import { SmsClient } from "@azure/communication-sms";
import { EmailClient } from "@azure/communication-email";

const [kind, endpoint, clientIdArg, operation, sender] = process.argv.slice(2);
const clientId = clientIdArg === "-" ? undefined : clientIdArg;
const started = Date.now();
try {
  const credential =
    kind === "dac"
      ? new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {})
      : new ManagedIdentityCredential(clientId ? { clientId } : {});
  if (operation === "messaging") {
    // Phone Numbers (search, purchase, list), SMS and Email through the same credential.
    const numbers = new PhoneNumbersClient(endpoint, credential);
    const search = await (await numbers.beginSearchAvailablePhoneNumbers({ countryCode: "US", phoneNumberType: "tollFree", assignmentType: "application", capabilities: { calling: "none", sms: "outbound" }, quantity: 1 })).pollUntilDone();
    await (await numbers.beginPurchasePhoneNumbers(search.searchId)).pollUntilDone();
    const number = search.phoneNumbers[0];
    const [sms] = await new SmsClient(endpoint, credential).send({ from: number, to: ["+14255550123"], message: "from a managed identity" });
    const mail = await (await new EmailClient(endpoint, credential).beginSend({ senderAddress: sender, content: { subject: "from a managed identity", plainText: "hello" }, recipients: { to: [{ address: "a@example.com" }] } })).pollUntilDone();
    process.stdout.write(JSON.stringify({ ok: true, number, sms: sms.successful, email: mail.status, ms: Date.now() - started }) + "\n");
  } else {
    const client = new CommunicationIdentityClient(endpoint, credential);
    const { user, token } = await client.createUserAndToken(["chat"]);
    process.stdout.write(JSON.stringify({ ok: true, user: user.communicationUserId, token: token.length > 0, ms: Date.now() - started }) + "\n");
  }
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, status: err.statusCode ?? null, code: err.code ?? null, name: err.name, message: String(err.message).slice(0, 500), ms: Date.now() - started }) + "\n");
}
