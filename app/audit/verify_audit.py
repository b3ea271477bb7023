#!/usr/bin/env python3
"""Check that a Sanaly Urpaq audit log still holds everything a checkpoint you saved earlier says.

One file, Python 3.8 or newer, standard library only. Ed25519 signatures are checked with the
`cryptography` package when it is installed (`pip install cryptography`), otherwise with the
reference arithmetic of RFC 8032 below: slower, the same answer.

Against a live instance (only hashes cross the network, never the content of an event):

    python verify_audit.py --url https://sanaly.example.edu --saved checkpoint.txt --key KEY \
        --save-latest checkpoint-new.txt

Against an export of the whole log (an auditor given one by the ACS checks every event):

    python verify_audit.py --log audit-export.json --saved checkpoint.txt --key KEY

KEY is the log's public key as the /audit page shows it (`name+id+base64`), or a file holding it;
without --key the key is taken from the instance itself, which only proves the log agrees with
itself. The exit status is 0 only when everything holds, 1 when anything does not, 2 when the
check could not be made (a file or the network).

What is checked
---------------
* A checkpoint is a C2SP signed note (c2sp.org/tlog-checkpoint): the log's origin, its size in
  events, the base64 root hash of the Merkle tree over its first `size` events, a blank line, and
  a line "— <key name> base64(key id || Ed25519 signature)". It must be signed by KEY.
* The log is an RFC 9162 Merkle tree: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left
  || right). With --url the instance answers consistency proofs (RFC 9162 §2.1.4), and this script
  proves that the log as the server holds it *right now* contains, unchanged, both your saved
  checkpoint and the latest one the server signed. With --log every event is replayed.
* An event's entry is the canonical JSON (RFC 8785; here only strings, integers and null, with
  keys sorted and no spaces, UTF-8) of every one of its fields:
      {"action", "actor_id", "occurred_at" (UTC to the microsecond, "2025-01-31T09:15:02.123456Z"),
       "payload" (the event's JSON details, as stored), "prev_hash", "seq", "subject", "v"}
  Events written with encoding 2 store hash = hex(leaf) and chain: prev_hash is the previous
  event's hash. Events written before checkpoints existed (encoding 1) keep their original
  hash, sha256(prev_hash + JSON of seq, occurred_at to the second, actor_id, action, subject,
  payload), and were always written to the whole second; in the tree they are leaves like any
  other, over the same canonical entry.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

GENESIS = "0" * 64
EMPTY_ROOT = hashlib.sha256(b"").digest()
LATEST_ENCODING = 2
_MOMENT = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")
_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")


class Problem(Exception):
    """Something does not hold; the message says what (and `seq`, the event, when one is to blame)."""

    def __init__(self, message: str, seq=None):
        super().__init__(message)
        self.seq = seq


# --- events --------------------------------------------------------------------------------------

def canonical_json(value) -> str:
    """Serialise JSON canonically: sorted keys, no spaces, UTF-8 text (RFC 8785 for strings and integers)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_entry(event: dict) -> bytes:
    """Return the bytes an event's leaf hash covers: every field, typed, in canonical JSON."""
    fields = {
        "v": event["encoding"], "seq": event["seq"], "occurred_at": event["occurred_at"],
        "actor_id": event["actor_id"], "action": event["action"], "subject": event["subject"],
        "payload": event["payload"], "prev_hash": event["prev_hash"],
    }
    for name in ("v", "seq"):
        if type(fields[name]) is not int:
            raise Problem(f"event field {name} must be an integer")
    if fields["actor_id"] is not None and type(fields["actor_id"]) is not int:
        raise Problem("event field actor_id must be an integer or null")
    for name in ("occurred_at", "action", "subject", "payload", "prev_hash"):
        if not isinstance(fields[name], str):
            raise Problem(f"event field {name} must be a string")
    if not _MOMENT.match(fields["occurred_at"]):
        raise Problem("occurred_at must be UTC with microseconds, like 2025-01-31T09:15:02.123456Z")
    if not _HEX64.match(fields["prev_hash"]):
        raise Problem("prev_hash must be 64 lowercase hexadecimal digits")
    return canonical_json(fields).encode("utf-8")


def legacy_hash(event: dict) -> str:
    """Return the hash an encoding-1 event was stored with (the chain before checkpoints)."""
    body = canonical_json({
        "seq": event["seq"], "occurred_at": event["occurred_at"][:19], "actor_id": event["actor_id"],
        "action": event["action"], "subject": event["subject"], "payload": event["payload"],
    })
    return hashlib.sha256((event["prev_hash"] + body).encode("utf-8")).hexdigest()


def check_event(event: dict, expected_seq: int, expected_prev: str) -> bytes:
    """Check one event against its place in the chain and return its leaf hash."""
    if event.get("seq") != expected_seq:
        raise Problem(f"sequence jumps from {expected_seq - 1} to {event.get('seq')}")
    if event.get("prev_hash") != expected_prev:
        raise Problem("previous hash does not match")
    leaf = leaf_hash(canonical_entry(event))
    if event["encoding"] == 1:
        # Encoding 1 hashed the time to the second, and its writer always dropped the fraction.
        if not event["occurred_at"].endswith(".000000Z") or legacy_hash(event) != event["hash"]:
            raise Problem("content does not match its hash")
    elif event["encoding"] == 2:
        if leaf.hex() != event["hash"]:
            raise Problem("content does not match its hash")
    else:
        raise Problem(f"unknown encoding {event['encoding']}")
    return leaf


def replay(events) -> list:
    """Check a whole sequence of events from the first; return their leaf hashes."""
    leaves, previous = [], GENESIS
    for event in events:
        try:
            leaves.append(check_event(event, len(leaves) + 1, previous))
        except (Problem, KeyError) as error:
            reason = error.args[0] if isinstance(error, Problem) else f"field {error} is missing"
            seq = event.get("seq") if type(event.get("seq")) is int else len(leaves) + 1
            raise Problem(f"event {seq}: {reason}", seq=seq) from None
        previous = event["hash"]
    return leaves


# --- the Merkle tree (RFC 9162 §2.1) --------------------------------------------------------------

def leaf_hash(entry: bytes) -> bytes:
    """Hash a leaf: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_hash(leaves, start: int = 0, end=None) -> bytes:
    """Return the Merkle tree hash of leaves[start:end]."""
    end = len(leaves) if end is None else end
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(tree_hash(leaves, start, start + k), tree_hash(leaves, start + k, end))


def roots_at(leaves, sizes) -> dict:
    """Return {size: root} for each wanted size in one pass over the leaves."""
    wanted, roots, stack = set(sizes), {}, []
    if 0 in wanted:
        roots[0] = EMPTY_ROOT
    for count, leaf in enumerate(leaves, start=1):
        height, digest = 0, leaf
        while stack and stack[-1][0] == height:
            digest = node_hash(stack.pop()[1], digest)
            height += 1
        stack.append((height, digest))
        if count in wanted:
            root = stack[-1][1]
            for _height, left in reversed(stack[:-1]):
                root = node_hash(left, root)
            roots[count] = root
    return roots


def consistency_proof(leaves, first: int, second: int) -> list:
    """Return the RFC 9162 proof that the tree of `second` leaves extends the one of `first`."""
    if not 0 <= first <= second <= len(leaves):
        raise ValueError("sizes out of range")
    if first in (0, second):
        return []
    return _subproof(leaves, first, 0, second, True)


def _subproof(leaves, m: int, start: int, end: int, complete: bool) -> list:
    n = end - start
    if m == n:
        return [] if complete else [tree_hash(leaves, start, end)]
    k = _split(n)
    if m <= k:
        return _subproof(leaves, m, start, start + k, complete) + [tree_hash(leaves, start + k, end)]
    return _subproof(leaves, m - k, start + k, end, False) + [tree_hash(leaves, start, start + k)]


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof) -> bool:
    """Check an RFC 9162 §2.1.4.2 consistency proof between two tree heads."""
    if first < 0 or first > second:
        return False
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:        # a power of two: the old tree is a node of the new one
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


# --- signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) ----------------

def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """Encode a public key the way notes name it: name+hex(key id)+base64(0x01 || key)."""
    encoded = base64.b64encode(b"\x01" + public_key).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def parse_verifier_key(text: str):
    """Return (name, key id, 32-byte public key) from name+id+base64, or raise Problem."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise Problem("a key looks like name+1234abcd+base64")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise Problem("the key's last part is not base64") from None
    if len(raw) != 33 or raw[0] != 1:
        raise Problem("not an Ed25519 key")
    if key_id(name, raw[1:]).hex() != hex_id.lower():
        raise Problem("the key's id does not match its name and key")
    return name, bytes.fromhex(hex_id), raw[1:]


def note_body(origin: str, size: int, root: bytes) -> str:
    """Return a checkpoint's signed text: origin, size and base64 root, each on its line."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def signature_line(name: str, public_key: bytes, signature: bytes) -> str:
    """Return a note's signature line for an Ed25519 signature."""
    return f"\u2014 {name} {base64.b64encode(key_id(name, public_key) + signature).decode()}\n"


class Checkpoint:
    """A verified checkpoint: origin, size, root hash and the note it came from."""

    def __init__(self, origin: str, size: int, root: bytes, note: str):
        self.origin, self.size, self.root, self.note = origin, size, root, note

    def __repr__(self):
        return f"Checkpoint({self.origin!r}, {self.size}, {self.root.hex()[:16]}…)"


def parse_checkpoint(note: str):
    """Split a signed checkpoint note into (origin, size, root, body, signatures); check its form."""
    if not note.endswith("\n") or any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise Problem("a note ends with a newline and has no control characters")
    separator = note.rfind("\n\n")
    if separator < 0:
        raise Problem("a note has a blank line before its signatures")
    body, block = note[:separator + 1], note[separator + 2:]
    signatures = []
    for line in block.splitlines():
        match = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if not match:
            raise Problem(f"not a signature line: {line[:60]!r}")
        try:
            raw = base64.b64decode(match.group(2), validate=True)
        except ValueError:
            raise Problem("a signature is not base64") from None
        if len(raw) < 5:
            raise Problem("a signature is too short")
        signatures.append((match.group(1), raw[:4], raw[4:]))
    if not signatures:
        raise Problem("the note has no signature")
    lines = body.split("\n")[:-1]
    if len(lines) < 3 or not lines[0]:
        raise Problem("a checkpoint has an origin, a size and a root hash line")
    origin, size_text, root_text = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]*", size_text):
        raise Problem("the size line is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError:
        root = b""
    if len(root) != 32 or base64.b64encode(root).decode() != root_text:
        raise Problem("the root hash line is not base64 of 32 bytes")
    return origin, int(size_text), root, body, signatures


def verify_checkpoint(note: str, key: str) -> Checkpoint:
    """Check a checkpoint note's form and its signature by `key`; return what it says."""
    name, wanted_id, public_key = parse_verifier_key(key)
    origin, size, root, body, signatures = parse_checkpoint(note)
    if origin != name:
        raise Problem(f"the checkpoint is of log {origin!r}, the key is {name!r}'s")
    ours = [signature for signer, kid, signature in signatures if signer == name and kid == wanted_id]
    if not ours:
        raise Problem("the checkpoint carries no signature by this key")
    for signature in ours:
        if not ed25519_verify(public_key, body.encode("utf-8"), signature):
            raise Problem("the checkpoint's signature does not verify: it was altered or not signed by this key")
    return Checkpoint(origin, size, root, note)


# --- Ed25519 verification --------------------------------------------------------------------------

USE_CRYPTOGRAPHY = True


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Check an Ed25519 signature: with `cryptography` if present, else by RFC 8032 §6 arithmetic."""
    if USE_CRYPTOGRAPHY:
        try:
            from cryptography.exceptions import InvalidSignature
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:
            pass
        else:
            try:
                Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
                return True
            except (InvalidSignature, ValueError):
                return False
    return _ed25519_verify_reference(public_key, message, signature)


_P = 2 ** 255 - 19
_L = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _point_add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _point_mul(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


def _decompress(data: bytes):
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0)
_BASE = (_GX, _GY, 1, _GX * _GY % _P)


def _ed25519_verify_reference(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decompress(public_key)
    r = _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _point_equal(_point_mul(s, _BASE), _point_add(r, _point_mul(h, a)))


# --- the command ---------------------------------------------------------------------------------

class Unreachable(Exception):
    """The check could not be made (network, file)."""


def _get(base: str, path: str, **query) -> bytes:
    url = base.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, headers={"User-Agent": "sanaly-verify-audit/1"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            message = json.loads(body)["error"]
        except (ValueError, KeyError, TypeError):
            raise Unreachable(f"{url}: HTTP {error.code}") from None
        raise Problem(message) from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f"{url}: {error}") from None


def _proof(base: str, first: int, second=None) -> dict:
    query = {"from": first} if second is None else {"from": first, "to": second}
    try:
        answer = json.loads(_get(base, "/audit/proof", **query))
        return {"to": int(answer["to"]), "to_root": base64.b64decode(answer["to_root"], validate=True),
                "proof": [base64.b64decode(item, validate=True) for item in answer["proof"]]}
    except (ValueError, KeyError, TypeError):
        raise Unreachable(f"{base}/audit/proof: not a consistency proof") from None


def check_live(base: str, key: str, saved) -> tuple:
    """Prove that the instance's log now extends the saved and the latest signed checkpoint."""
    lines = []
    latest = verify_checkpoint(_get(base, "/audit/checkpoint").decode("utf-8"), key)
    lines.append(f"latest checkpoint: {latest.size} events, signature verifies")
    if saved is not None:
        if latest.size < saved.size:
            raise Problem(f"the instance's latest checkpoint has {latest.size} events, fewer than the "
                          f"{saved.size} of yours: checkpoints were removed or the log was cut")
    now = _proof(base, latest.size)
    if not verify_consistency(latest.size, now["to"], latest.root, now["to_root"], now["proof"]):
        raise Problem(f"the log as it is now ({now['to']} events) does not extend the latest checkpoint "
                      f"({latest.size} events): events were changed or removed")
    lines.append(f"the log now holds {now['to']} events and extends the latest checkpoint")
    if saved is not None:
        ours = _proof(base, saved.size, now["to"])
        if ours["to_root"] != now["to_root"] or not verify_consistency(
                saved.size, now["to"], saved.root, ours["to_root"], ours["proof"]):
            raise Problem(f"the log as it is now does not extend your checkpoint of {saved.size} events: "
                          "events you were shown have been changed or removed")
        lines.append(f"the log extends your saved checkpoint of {saved.size} events: nothing in it has changed")
    return latest, lines


def check_export(export: dict, key: str, saved) -> tuple:
    """Replay every event of an export and check every checkpoint in it (and the saved one) against it."""
    leaves = replay(export["events"])
    lines = [f"{len(leaves)} events replayed: every hash and link verifies"]
    checkpoints = [verify_checkpoint(note, key) for note in export.get("checkpoints", [])]
    if saved is not None:
        checkpoints.append(saved)
    roots = roots_at(leaves, {c.size for c in checkpoints if c.size <= len(leaves)})
    for checkpoint in checkpoints:
        if checkpoint.size > len(leaves):
            raise Problem(f"a checkpoint has {checkpoint.size} events, the log only {len(leaves)}: events were removed")
        if roots[checkpoint.size] != checkpoint.root:
            raise Problem(f"the log's first {checkpoint.size} events are not the ones the checkpoint signed: "
                          "they were changed")
    lines.append(f"{len(checkpoints)} checkpoints match the log"
                 + (f", among them your saved one of {saved.size} events" if saved is not None else ""))
    latest = max(checkpoints, key=lambda c: c.size) if checkpoints else None
    return latest, lines


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except OSError as error:
        raise Unreachable(f"{path}: {error}") from None


def _load_export(path: str) -> dict:
    try:
        export = json.loads(_read(path))
    except ValueError:
        raise Unreachable(f"{path}: not JSON") from None
    if not isinstance(export, dict) or not isinstance(export.get("events"), list):
        raise Unreachable(f"{path}: not an audit log export")
    return export


def main(argv=None) -> int:
    """Run the checks the command line asks for; return the exit status."""
    global USE_CRYPTOGRAPHY
    parser = argparse.ArgumentParser(description="Check a Sanaly Urpaq audit log against a saved checkpoint.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="the instance's address, e.g. https://sanaly.example.edu")
    source.add_argument("--log", help="an export of the whole log (JSON) to replay")
    parser.add_argument("--saved", help="a checkpoint you saved earlier (text file)")
    parser.add_argument("--key", help="the log's public key (name+id+base64) or a file holding it")
    parser.add_argument("--save-latest", metavar="FILE", help="write the latest checkpoint here, for next time")
    parser.add_argument("--pure-python", action="store_true", help="check signatures without `cryptography`")
    args = parser.parse_args(argv)
    USE_CRYPTOGRAPHY = not args.pure_python
    try:
        export = _load_export(args.log) if args.log else None
        if args.key:
            key = _read(args.key).strip() if os.path.isfile(args.key) else args.key
        else:
            key = (export.get("key", "") if export else _get(args.url, "/audit/key").decode("utf-8")).strip()
            print(f"note: the key {key} was taken from the log itself; pass --key to pin the one you trust")
        saved = verify_checkpoint(_read(args.saved), key) if args.saved else None
        if saved is not None:
            print(f"OK   your saved checkpoint: {saved.size} events, signature verifies")
        latest, lines = check_live(args.url, key, saved) if args.url else check_export(export, key, saved)
        for line in lines:
            print(f"OK   {line}")
    except Problem as problem:
        print(f"FAIL {problem}")
        return 1
    except Unreachable as error:
        print(f"could not check: {error}", file=sys.stderr)
        return 2
    if args.save_latest and latest is not None:
        with open(args.save_latest, "w", encoding="utf-8", newline="") as handle:
            handle.write(latest.note)
        print(f"the latest checkpoint ({latest.size} events) is saved in {args.save_latest}")
    if saved is None:
        print("note: without --saved this proves only that the log agrees with what it signed itself")
    return 0


if __name__ == "__main__":
    sys.exit(main())
