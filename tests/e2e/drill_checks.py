"""drill_checks.py - independent checks of a drill log's answers for the
e2e scripts (drill_log.sh, drill_hostile.sh): RFC 6962 / RFC 9162 hashing
and proofs in Python, signatures (SETs, checkpoint notes) with openssl,
never with stella's own verifier. Imported by Python code, or run:

  drill_checks.py run JSON_FILE CODE [ARGS...]   exec CODE with d = the JSON
                                                 in JSON_FILE (None if not
                                                 JSON), A = ARGS, and every
                                                 helper below in scope
  drill_checks.py checkpoint NOTE_FILE PUB       note signature and key id
                                                 by openssl; prints the key
                                                 name
  drill_checks.py set ENTRY_FILE PUB             the entry's SET by openssl
  drill_checks.py proposal ARTIFACT KEY PUB      a hashedrekord proposal for
                                                 ARTIFACT signed with KEY
                                                 (openssl), not canonical

Exit status 1 with one line on stderr when a check fails."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def H(b):
    return hashlib.sha256(b).digest()


def leaf(b):
    return H(b"\x00" + b)


def node(l, r):
    return H(b"\x01" + l + r)


def tree_root(leaves):
    """RFC 6962 2.1 MTH over leaf hashes."""
    if not leaves:
        return H(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(tree_root(leaves[:k]), tree_root(leaves[k:]))


def root_from_inclusion(i, n, lh, proof):  # RFC 9162 2.1.3.2
    fn, sn, r = i, n - 1, lh
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def consistent(n1, n2, r1, r2, proof):  # RFC 9162 2.1.4.2
    if n1 == n2:
        return not proof and r1 == r2
    if not proof:
        return False
    if n1 & (n1 - 1) == 0:
        proof = [r1] + proof
    fn, sn = n1 - 1, n2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == r1 and sr == r2


def only(d):
    """The one (entry ID, LogEntryAnon) of {"<entry ID>": {...}}."""
    assert isinstance(d, dict) and len(d) == 1, d
    return list(d.items())[0]


def hexes(hs):
    return [bytes.fromhex(h) for h in hs]


def entry_included(e):
    """The entry's inclusion proof gives its rootHash (RFC 9162)."""
    p = e["verification"]["inclusionProof"]
    r = root_from_inclusion(e["logIndex"], p["treeSize"],
                            leaf(base64.b64decode(e["body"])),
                            hexes(p["hashes"]))
    return r is not None and r.hex() == p["rootHash"]


def note_size_root(note):
    """(tree size, root hash) of a checkpoint note."""
    lines = note.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


def openssl_verify(pub, data, sig):
    """True when openssl verifies the DER ECDSA signature over data."""
    with tempfile.TemporaryDirectory() as tmp:
        dpath, spath = os.path.join(tmp, "data"), os.path.join(tmp, "sig")
        open(dpath, "wb").write(data)
        open(spath, "wb").write(sig)
        return subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
             spath, dpath], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL).returncode == 0


def key_id(pub):
    """First 4 bytes of SHA-256(DER SPKI), hex (a note's key id)."""
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub,
                          "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return H(der)[:4].hex()


def checkpoint_ok(note, pub):
    """Key name of a note whose first signature openssl verifies with pub
    under the right key id; raises AssertionError otherwise."""
    text, sigs = note.split("\n\n", 1)
    line = sigs.splitlines()[0]
    assert line.startswith("\u2014 "), "no signature line: %r" % line
    name, blob = line[2:].split(" ")
    raw = base64.b64decode(blob)
    assert raw[:4].hex() == key_id(pub), "key id %s" % raw[:4].hex()
    assert openssl_verify(pub, (text + "\n").encode(), raw[4:]), \
        "openssl rejects the checkpoint signature"
    return name


def set_payload(e):
    return json.dumps({"body": e["body"],
                       "integratedTime": e["integratedTime"],
                       "logID": e["logID"], "logIndex": e["logIndex"]},
                      sort_keys=True, separators=(",", ":")).encode()


def set_ok(e, pub):
    """openssl verifies the SET of LogEntryAnon e."""
    sig = base64.b64decode(e["verification"]["signedEntryTimestamp"])
    return openssl_verify(pub, set_payload(e), sig)


def proposal(artifact, key, pub):
    """A hashedrekord v0.0.1 proposal (dict) for the artifact file."""
    art = open(artifact, "rb").read()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key,
                          artifact], capture_output=True, check=True).stdout
    b64 = lambda b: base64.b64encode(b).decode()
    # not canonical on purpose: the log must canonicalize
    return {"kind": "hashedrekord", "apiVersion": "0.0.1",
            "spec": {"signature": {"publicKey": {
                         "content": b64(open(pub, "rb").read())},
                         "content": b64(sig)},
                     "data": {"hash": {"value": hashlib.sha256(art)
                                       .hexdigest(),
                                       "algorithm": "sha256"}}}}


def _main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "run":
        try:
            d = json.load(open(args[0]))
        except ValueError:
            d = None
        exec(args[1], dict(globals(), d=d, A=args[2:]))
    elif cmd == "checkpoint":
        print(checkpoint_ok(open(args[0], encoding="utf-8").read(),
                            args[1]))
    elif cmd == "set":
        d = json.load(open(args[0]))
        e = d if "body" in d else only(d)[1]
        assert set_ok(e, args[1]), "openssl rejects the SET"
    elif cmd == "proposal":
        print(json.dumps(proposal(*args), indent=1))
    else:
        raise SystemExit("drill_checks.py: unknown command " + cmd)


if __name__ == "__main__":
    try:
        _main(sys.argv)
    except (AssertionError, KeyError, IndexError, ValueError) as e:
        print("check failed: %s: %s" % (type(e).__name__, str(e)[:300]),
              file=sys.stderr)
        sys.exit(1)
