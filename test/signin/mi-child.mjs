// A workload process: its environment holds only the managed-identity variables (and NODE_EXTRA_CA_CERTS).
// argv: <credential: mi|dac> <endpoint> [clientId]. Prints one JSON line: what it did, or the error.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { CommunicationIdentityClient } from "@azure/communication-identity";

const [kind, endpoint, clientId] = process.argv.slice(2);
const started = Date.now();
try {
  const credential =
    kind === "dac"
      ? new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {})
      : new ManagedIdentityCredential(clientId ? { clientId } : {});
  const client = new CommunicationIdentityClient(endpoint, credential);
  const { user, token } = await client.createUserAndToken(["chat"]);
  process.stdout.write(JSON.stringify({ ok: true, user: user.communicationUserId, token: token.length > 0, ms: Date.now() - started }) + "\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, status: err.statusCode ?? null, code: err.code ?? null, name: err.name, message: String(err.message).slice(0, 500), ms: Date.now() - started }) + "\n");
}
