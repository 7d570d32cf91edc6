// Parley's messages and the reference Data Integrity stack (Digital Bazaar's
// jsonld-signatures with the eddsa-jcs-2022 cryptosuite), used the documented way.
//
//   node di.mjs sign PUBLIC_KEY_MULTIBASE SECRET_KEY_MULTIBASE < document.json
//                                                           prints the signed document
//   node di.mjs verify < document.json                      prints {"verified": bool, "error"?}
//
// Keys are Multikeys (`parley proto keygen` makes them); verification methods are
// did:key URLs, resolved offline. Nothing here reaches the network.
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import * as DidKey from "@digitalbazaar/did-method-key";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { createSignCryptosuite, createVerifyCryptosuite } from "@digitalbazaar/eddsa-jcs-2022-cryptosuite";
import { securityLoader } from "@digitalbazaar/security-document-loader";
import * as dataIntegrityContext from "@digitalbazaar/data-integrity-context";
import * as multikeyContext from "@digitalbazaar/multikey-context";
import jsigs from "jsonld-signatures";

const { purposes: { AssertionProofPurpose } } = jsigs;

const didKey = DidKey.driver();
didKey.use({ multibaseMultikeyHeader: "z6Mk", fromMultibase: Ed25519Multikey.from });

const loader = securityLoader();
loader.addStatic(dataIntegrityContext.CONTEXT_URL, dataIntegrityContext.CONTEXT);
loader.addStatic(multikeyContext.CONTEXT_URL, multikeyContext.CONTEXT);
loader.setProtocolHandler({ protocol: "did", handler: { get: ({ url }) => didKey.get({ url }) } });
const documentLoader = loader.build();

async function stdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function sign(publicKeyMultibase, secretKeyMultibase, document) {
  const did = `did:key:${publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({
    type: "Multikey",
    controller: did,
    id: `${did}#${publicKeyMultibase}`,
    publicKeyMultibase,
    secretKeyMultibase,
  });
  const suite = new DataIntegrityProof({ signer: key.signer(), cryptosuite: createSignCryptosuite() });
  return jsigs.sign(document, { suite, purpose: new AssertionProofPurpose(), documentLoader });
}

async function verify(document) {
  const suite = new DataIntegrityProof({ cryptosuite: createVerifyCryptosuite() });
  const result = await jsigs.verify(document, { suite, purpose: new AssertionProofPurpose(), documentLoader });
  return result.verified ? { verified: true } : { verified: false, error: String(result.error?.errors?.[0] ?? result.error) };
}

const [command, ...args] = process.argv.slice(2);
try {
  const document = await stdin();
  const out = command === "sign" ? await sign(args[0], args[1], document) : await verify(document);
  process.stdout.write(JSON.stringify(out));
} catch (e) {
  process.stderr.write(`di.mjs: ${e.stack ?? e}\n`);
  process.exit(2);
}
