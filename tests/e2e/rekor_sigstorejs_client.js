// rekor_sigstorejs_client.js - sigstore-js (an independent Sigstore client)
// driven by tests/e2e/rekor_sigstorejs_interop.sh against our Rekor side.
// Every Rekor and bundle step is sigstore-js's own code; this file only
// wires a key-based signer and a trusted root file into it.
//
//   sign ARTIFACT KEY.pem HINT REKOR_URL v0.2|v0.3 OUT
//       @sigstore/sign: MessageSignatureBundleBuilder + RekorWitness (POST
//       /api/v1/log/entries on REKOR_URL) -> a bundle in OUT
//   from-entry ARTIFACT ENTRY.json HINT OUT
//       a Rekor REST reply ({"<uuid>": {...}}) turned into a v0.3 bundle by
//       RekorWitness's own conversion (its log client answers with the file)
//   resubmit ARTIFACT SIG PUB.pem HINT REKOR_URL OUT
//       RekorWitness proposes an entry the log already holds: 409, then
//       sigstore-js fetches it by the Location header -> a v0.3 bundle
//   verify BUNDLE ARTIFACT TRUSTED_ROOT PUB.pem HINT [TIMESTAMPS]
//       @sigstore/verify's Verifier; TIMESTAMPS (default 1) is how many
//       verified times it needs (0 for an entry without a SET)
//   verify-tuf BUNDLE ARTIFACT TUF_URL ROOT.json CACHE PUB.pem HINT
//       the `sigstore` package: trusted_root.json through its TUF client
// Exit 0 and one line on success; exit 1 with "CODE: message" otherwise.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const bundleLib = require('@sigstore/bundle');
const sign = require('@sigstore/sign');
const verify = require('@sigstore/verify');
const { TrustedRoot, PublicKeyDetails } = require('@sigstore/protobuf-specs');

const sha256 = (data) => crypto.createHash('sha256').update(data).digest();
const writeBundle = (out, bundle) =>
  fs.writeFileSync(out, JSON.stringify(bundleLib.bundleToJSON(bundle), null, 2));

// A key-based signer: a DER ECDSA signature and the public key with a hint
// (the bundle names the key by the hint; the verifier looks it up).
function keySigner(keyFile, hint) {
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const publicKey = crypto.createPublicKey(key)
    .export({ type: 'spki', format: 'pem' }).toString();
  return {
    sign: async (data) => ({
      signature: crypto.sign('sha256', data, key),
      key: { $case: 'publicKey', publicKey, hint },
    }),
  };
}

// MessageSignatureBundleBuilder writes v0.2; v0.3 is the same bundle built
// by @sigstore/bundle without the certificate-chain (v0.2) form.
class V03Builder extends sign.MessageSignatureBundleBuilder {
  async package(artifact, signature) {
    return bundleLib.toMessageSignatureBundle({
      digest: sha256(artifact.data), signature: signature.signature,
      keyHint: signature.key.hint, certificateChain: false,
    });
  }
}

async function cmdSign(artifact, keyFile, hint, rekorURL, version, out) {
  const Builder = version === 'v0.3' ? V03Builder : sign.MessageSignatureBundleBuilder;
  const builder = new Builder({
    signer: keySigner(keyFile, hint),
    witnesses: [new sign.RekorWitness({ rekorBaseURL: rekorURL, retry: 0, timeout: 10000 })],
  });
  const bundle = await builder.create({ data: fs.readFileSync(artifact) });
  writeBundle(out, bundle);
  const e = bundle.verificationMaterial.tlogEntries[0];
  return `signed: ${bundle.mediaType} log index ${e.logIndex}`;
}

// Asks WITNESS to log ARTIFACT's signature and writes the v0.3 bundle.
async function witnessBundle(witness, artifact, signature, publicKey, hint, out) {
  const bundle = bundleLib.toMessageSignatureBundle({
    digest: sha256(fs.readFileSync(artifact)), signature, keyHint: hint,
    certificateChain: false,
  });
  const { tlogEntries } = await witness.testify(bundle.content, publicKey);
  bundle.verificationMaterial.tlogEntries = tlogEntries;
  writeBundle(out, bundle);
  return `bundle: ${bundle.mediaType} log index ${tlogEntries[0].logIndex}`;
}

async function cmdFromEntry(artifact, entryFile, hint, out) {
  const reply = JSON.parse(fs.readFileSync(entryFile, 'utf8'));
  const [uuid, entry] = Object.entries(reply)[0];
  const body = JSON.parse(Buffer.from(entry.body, 'base64').toString('utf8'));
  const witness = new sign.RekorWitness({ rekorBaseURL: 'http://127.0.0.1:9' });
  // The witness's v1 log client answers with the REST entry (no network),
  // so the conversion to a TransparencyLogEntry is sigstore-js's own.
  witness.tlogV1 = { createEntry: async () => ({ ...entry, uuid }) };
  const signature = Buffer.from(body.spec.signature.content, 'base64');
  const publicKey = Buffer.from(body.spec.signature.publicKey.content, 'base64').toString();
  return witnessBundle(witness, artifact, signature, publicKey, hint, out);
}

async function cmdResubmit(artifact, sigFile, pubFile, hint, rekorURL, out) {
  const witness = new sign.RekorWitness({
    rekorBaseURL: rekorURL, fetchOnConflict: true, retry: 0, timeout: 10000,
  });
  return witnessBundle(witness, artifact, fs.readFileSync(sigFile),
    fs.readFileSync(pubFile, 'utf8'), hint, out);
}

function cmdVerify(bundleFile, artifact, rootFile, pubFile, hint, timestamps) {
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootFile, 'utf8')));
  const keys = { [hint]: {
    rawBytes: crypto.createPublicKey(fs.readFileSync(pubFile))
      .export({ type: 'spki', format: 'der' }),
    keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
  } };
  const verifier = new verify.Verifier(verify.toTrustMaterial(root, keys), {
    tlogThreshold: 1, ctlogThreshold: 0,
    timestampThreshold: timestamps === undefined ? 1 : Number(timestamps),
  });
  const bundle = bundleLib.bundleFromJSON(JSON.parse(fs.readFileSync(bundleFile, 'utf8')));
  verifier.verify(verify.toSignedEntity(bundle, fs.readFileSync(artifact)));
  const e = bundle.verificationMaterial.tlogEntries[0];
  return `verified: log index ${e.logIndex}` +
    ` (SET ${e.inclusionPromise ? 'checked' : 'absent'},` +
    ` inclusion proof + checkpoint ${e.inclusionProof ? 'checked' : 'absent'})`;
}

async function cmdVerifyTUF(bundleFile, artifact, tufURL, rootFile, cache, pubFile, hint) {
  const sigstore = require('sigstore');
  const pem = fs.readFileSync(pubFile, 'utf8');
  await sigstore.verify(JSON.parse(fs.readFileSync(bundleFile, 'utf8')),
    fs.readFileSync(artifact), {
      tufMirrorURL: tufURL, tufRootPath: rootFile, tufCachePath: cache,
      keySelector: (h) => (h === hint ? pem : undefined), retry: 0,
    });
  return 'verified through TUF';
}

const commands = {
  sign: cmdSign, 'from-entry': cmdFromEntry, resubmit: cmdResubmit,
  verify: cmdVerify, 'verify-tuf': cmdVerifyTUF,
};
const [name, ...args] = process.argv.slice(2);
(async () => {
  if (!commands[name]) throw new Error(`unknown command ${name}`);
  console.log(await commands[name](...args));
})().catch((e) => {
  console.log(`${e.code || e.name}: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}`);
  process.exit(1);
});
