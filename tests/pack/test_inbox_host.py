"""The inbox, through the real weir-host over pipes: packs dropped into packs/ while the
host runs are picked up; bad ones are refused and the active pack keeps working."""
import json
import os
import random
import shutil
import time
import unittest

from weirtest import OTHER, SECRET, Host, WeirCase, documents, read

POLL = 0.7  # a little over the host's poll interval (CONTEXT_POLL_US)


class InboxHost(WeirCase):

    def drop(self, src, name):
        inbox = os.path.join(self.home, "packs")
        os.makedirs(inbox, exist_ok=True)
        tmp = os.path.join(inbox, "." + name + ".part")
        shutil.copyfile(src, tmp)
        os.rename(tmp, os.path.join(inbox, name))

    def test_inbox_in_running_host(self):
        v1 = self.build(self.path("v1.weirpack"), version=1)
        self.drop(v1, "board.weirpack")
        host = Host(self.env)
        try:
            hello = host.request({"type": "hello", "extension_version": "1.0.0"})
            self.assertEqual(hello["type"], "hello")
            # Imported at start.
            self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
            self.assertEqual(documents(host.scan(OTHER)), [])
            # A pack signed by an untrusted key, a newer version: refused, v1 stays.
            self.drop(self.build(self.path("evil.weirpack"), version=9, key="b", text=OTHER), "evil.weirpack")
            time.sleep(POLL)
            self.assertEqual(documents(host.scan(OTHER)), [])
            self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
            # A damaged file: refused, v1 stays.
            with open(os.path.join(self.home, "packs", "broken.weirpack"), "wb") as f:
                f.write(read(v1)[:-7])
            time.sleep(POLL)
            self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
            # Version 2 replaces the file in the inbox: picked up without a restart.
            self.drop(self.build(self.path("v2.weirpack"), version=2, text=OTHER), "board.weirpack")
            time.sleep(POLL)
            self.assertEqual(documents(host.scan(OTHER)), ["minutes.md"])
            self.assertEqual(documents(host.scan(SECRET)), [])
            # weir pack import while the host runs is picked up too.
            self.ok("pack", "import", self.build(self.path("v3.weirpack"), version=3))
            time.sleep(POLL)
            self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
        finally:
            rc, err = host.close()
        self.assertEqual(rc, 0, err)
        self.assertIn("was refused", err)
        self.assertNotIn("merger", err)
        self.check_pack_records()

    def check_pack_records(self):
        """The inbox's records carry what weir pack import's do: one per pack, with the
        pack, its version and signer, or the refused file and the reason."""
        export = self.ok("audit", "export").stdout
        records = [json.loads(line) for line in export.splitlines()]
        packs = [r for r in records if r["event"] in ("pack-import", "pack-refuse")]
        signer = read(self.path("a.pub")).decode().split("\n")[0].split()[-1]
        imports = [(r["source"], r["pack"], r["pack_version"], r["signer"])
                   for r in packs if r["event"] == "pack-import"]
        self.assertEqual(imports, [("inbox", "board", "1", signer), ("inbox", "board", "2", signer),
                                   ("cli", "board", "3", signer)])
        # A refused file is tried again whenever the inbox changes, and recorded each time.
        refusals = {(r["source"], r["pack"]): r["reason"] for r in packs if r["event"] == "pack-refuse"}
        self.assertEqual(sorted(refusals), [("inbox", "broken.weirpack"), ("inbox", "evil.weirpack")])
        self.assertIn("not trusted here", refusals[("inbox", "evil.weirpack")])
        inbox_import, cli_import = packs[0], packs[-1]
        inbox_import, cli_import = packs[0], packs[-1]
        self.assertEqual(set(inbox_import) ^ set(cli_import), set())  # the same fields
        self.assertNotIn("detail", inbox_import)

    def test_memory_cap_follows_index(self):
        """The host's memory cap (RLIMIT_DATA, docs/hardening.md) is set after its index
        loaded; a pack picked up while it runs is loaded with the cap lifted and the cap
        set again from the memory then in use: the index is mapped from its file, not
        counted, so the cap stays about where it was."""
        words = big_words(9)
        excerpt = " ".join(words[500_000:500_040])
        pack = self.build(self.path("big.weirpack"), text=" ".join(words))
        host = Host(self.env)
        try:
            host.request({"type": "hello", "extension_version": "1.0.0"})
            before = data_limit(host.proc.pid)
            self.drop(pack, "big.weirpack")
            time.sleep(POLL)
            host.scan(OTHER)   # picks the pack up; the cap follows once it is answered
            self.assertEqual(documents(host.scan(excerpt)), ["minutes.md"])
            after = data_limit(host.proc.pid)
        finally:
            rc, err = host.close()
        self.assert_cap_set(rc, err, before, after)
        self.assertLess(after - before, 64 << 20, (before, after))

    def test_pack_larger_than_headroom(self):
        """A pack whose index is larger than the cap's headroom, picked up while the host
        runs, loads with the cap lifted: the host keeps serving, matches the new pack, and
        its cap then follows the larger index."""
        words = big_words(10)
        excerpt = " ".join(words[700_000:700_040])
        pack = self.build(self.path("big.weirpack"), text=" ".join(words))
        env = dict(self.env, WEIR_MEMCAP_HEADROOM_MIB="4")
        host = Host(env)
        try:
            host.request({"type": "hello", "extension_version": "1.0.0"})
            before = data_limit(host.proc.pid)
            self.drop(pack, "big.weirpack")
            time.sleep(POLL)
            reply = host.scan(excerpt)   # picks the pack up, then answers from it
            self.assertEqual(documents(reply), ["minutes.md"], reply)
            self.assertEqual(documents(host.scan(OTHER)), [])
            after = data_limit(host.proc.pid)
        finally:
            rc, err = host.close()
        self.assert_cap_set(rc, err, before, after)

    def assert_cap_set(self, rc, err, before, after):
        """The host ended well, with a cap before and after the pack came, not lowered
        below what it had (skipped where the cap is off)."""
        self.assertEqual(rc, 0, err)
        if "memory cap off: sanitizer build" in err:
            self.skipTest("the memory cap is off in sanitizer builds")
        self.assertIn("memory cap ", err)
        self.assertIsNotNone(before)
        self.assertIsNotNone(after)
        self.assertGreaterEqual(after, before, (before, after))


def big_words(seed):
    """1.3 million words of a 5,000-word random vocabulary: a 3 MiB document, about
    200,000 fingerprints."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
             for _ in range(5000)]
    return [rng.choice(vocab) for _ in range(1_300_000)]


def data_limit(pid):
    """The soft RLIMIT_DATA of a process, in bytes (None when unlimited)."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max data size"):
                soft = line.split()[3]
                return None if soft == "unlimited" else int(soft)
    raise AssertionError("no data limit line")


if __name__ == "__main__":
    unittest.main()
