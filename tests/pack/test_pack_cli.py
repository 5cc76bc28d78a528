"""weir keygen / trust / pack, as an admin and an endpoint use them."""
import json
import os
import unittest

from weirtest import OTHER, SECRET, WeirCase, documents, read


class PackCli(WeirCase):

    def test_build_verify_import_list(self):
        pack = self.build(self.path("board.weirpack"), version=5)
        r = self.ok("pack", "verify", pack)
        self.assertIn('"board" version 5', r.stdout)
        self.ok("pack", "verify", pack, "-p", self.path("a.pub"))
        r = self.weir("pack", "verify", pack, "-p", self.path("b.pub"))
        self.assertEqual(r.returncode, 2)
        # The user named the key: the error names both key ids, and does not advise trust.
        ids = {k: read(self.path(k + ".pub")).decode().split("\n")[0].split()[-1] for k in ("a", "b")}
        self.assertIn("is not signed by the key in %s (key %s): its signer is key %s"
                      % (self.path("b.pub"), ids["b"], ids["a"]), r.stderr)
        self.assertNotIn("trust add", r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1)
        self.assertEqual(documents(self.scan(SECRET)), [])
        self.ok("pack", "import", pack)
        listed = json.loads(self.ok("pack", "list", "--json").stdout)
        self.assertEqual([(p["name"], p["version"], p["label"], p["active"]) for p in listed],
                         [("board", 5, "confidential", True)])
        verdict = self.scan("Forwarding this: " + SECRET)
        self.assertEqual(documents(verdict), ["minutes.md"])
        self.assertEqual(verdict["verdict"], "warn")
        self.assertNotIn("merger", json.dumps(verdict))
        self.assertEqual(documents(self.scan(OTHER)), [])

    def people_csv(self):
        csv = self.path("people.csv")
        with open(csv, "w") as f:
            f.write("id,email,name,phone\n1,ada@example.org,Ada Lovelace,+44 20 7946 0018\n"
                    "2,alan@example.org,\"Turing, Alan\",020 7946 0999\n")
        return csv

    def test_formats(self):
        """Format 3 (SipHash EDM values) by default; 2 (keyed BLAKE2b values) and 1 (also
        SipHash k-grams) on request, for endpoints that predate them, and every one still
        read and matched, documents and table, from the index file import derives; newer
        refused."""
        table = ("--edm", self.people_csv(), "--edm-columns", "email!,name,phone")
        packs = {}
        for version, format in ((3, "1"), (4, "2"), (5, None)):
            extra = table + (("--format", format) if format else ())
            packs[version] = self.build(self.path(f"v{version}.weirpack"), version=version, extra=extra)
        for version, format in ((3, 1), (4, 2), (5, 3)):
            pack = packs[version]
            self.assertIn(f"format {format}", self.ok("pack", "verify", pack).stdout)
            self.assertEqual(read(pack)[8:12], bytes([format, 0, 0, 0]))
            self.ok("pack", "import", pack)
            self.assertEqual(documents(self.scan("Forwarding this: " + SECRET)), ["minutes.md"])
            self.assertEqual(documents(self.scan(OTHER)), [])
            v = self.scan('{"name": "ALAN TURING", "phone": "020-7946-0999"}')
            self.assertEqual([(x["name"], x["columns"]) for x in v["reasons"] if x["kind"] == "edm"],
                             [("people", "name,phone")], format)
            v = self.scan("Alan Turing called Ada Lovelace.")
            self.assertEqual([x for x in v["reasons"] if x["kind"] == "edm"], [], format)
        # Format 3 changes only the table's hash: a pack without a table is written as
        # format 2, which endpoints from before format 3 read.
        plain = self.build(self.path("plain.weirpack"), version=6)
        self.assertEqual(read(plain)[8:12], b"\x02\0\0\0")
        self.ok("pack", "import", plain)
        self.assertEqual(documents(self.scan("Forwarding this: " + SECRET)), ["minutes.md"])
        future = self.path("future.weirpack")
        with open(future, "wb") as f:
            data = read(packs[5])
            f.write(data[:8] + b"\x04\0\0\0" + data[12:])
        r = self.weir("pack", "import", future)
        self.assertEqual(r.returncode, 2)
        self.assertIn("pack format 4 is not supported by this Weir (it reads 1 to 3)", r.stderr)
        for bad in ("0", "4", "two"):
            r = self.weir("pack", "build", "--name", "x", "--label", "y", "--docs", self.path("docs-v5.weirpack"),
                          "--sign", self.path("a.key"), "-o", self.path("x.weirpack"), "--format", bad)
            self.assertEqual(r.returncode, 1, bad)
            self.assertFalse(os.path.exists(self.path("x.weirpack")))

    def test_restricted_long_run_blocks_short_warns(self):
        self.ok("pack", "import", self.build(self.path("r.weirpack"), label="restricted"))
        words = SECRET.split()
        short = self.scan(" ".join(words[:20]))
        self.assertEqual(documents(short), ["minutes.md"])
        self.assertEqual(short["verdict"], "warn")
        self.assertEqual(self.scan(SECRET)["verdict"], "block")

    def test_every_bad_pack_refused_and_active_pack_stays(self):
        good = self.build(self.path("good.weirpack"), version=5)
        self.ok("pack", "import", good)
        data = read(good)
        bad = {
            "other-key": read(self.build(self.path("b.weirpack"), version=9, key="b")),
            "older": read(self.build(self.path("old.weirpack"), version=4, text=OTHER)),
            "same-version": read(self.build(self.path("same.weirpack"), version=5, text=OTHER)),
            "flipped": data[:200] + bytes([data[200] ^ 0x40]) + data[201:],
            "flipped-key-id": data[:15] + bytes([data[15] ^ 1]) + data[16:],
            "truncated": data[: len(data) // 2],
            "junk-appended": data + b"junk",
            "empty": b"",
            "garbage": os.urandom(3000),
        }
        for name, content in bad.items():
            with self.subTest(name):
                p = self.path(name + ".weirpack")
                with open(p, "wb") as f:
                    f.write(content)
                r = self.weir("pack", "import", p)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("weir pack import: refused"), r.stderr)
                self.assertEqual(documents(self.scan(SECRET)), ["minutes.md"])
                self.assertEqual(documents(self.scan(OTHER)), [])
                self.assertEqual(json.loads(self.ok("pack", "list", "--json").stdout)[0]["version"], 5)
        newer = self.build(self.path("new.weirpack"), version=6, text=OTHER)
        self.ok("pack", "import", newer)
        # Every import and refusal is in the audit log, and the chain holds.
        records = [json.loads(line) for line in self.ok("audit", "export").stdout.splitlines()]
        events = [r["event"] for r in records if r["event"].startswith("pack-")]
        self.assertEqual(events, ["pack-import"] + ["pack-refuse"] * len(bad) + ["pack-import"])
        # weir scan's verdicts are marked as an admin's test scans, not users' pastes.
        verdicts = [r for r in records if r["event"] == "verdict"]
        self.assertTrue(verdicts)
        self.assertTrue(all(r.get("source") == "cli" for r in verdicts))
        self.ok("audit", "verify")
        self.assertEqual(documents(self.scan(OTHER)), ["minutes.md"])
        self.assertEqual(documents(self.scan(SECRET)), [])

    def test_edm(self):
        csv = self.people_csv()
        out = self.path("people.weirpack")
        r = self.ok("pack", "build", "--name", "people", "--label", "restricted", "--edm", csv,
                    "--edm-columns", "email!,name,phone", "--sign", self.path("a.key"), "-o", out)
        self.assertIn("records      2", r.stdout)
        self.ok("pack", "import", out)
        v = self.scan('{"name": "ALAN TURING", "phone": "020-7946-0999"}')
        self.assertEqual(v["verdict"], "block")
        edm = [x for x in v["reasons"] if x["kind"] == "edm"]
        self.assertEqual(edm, [{"kind": "edm", "name": "people", "label": "restricted",
                                "columns": "name,phone", "count": 1}])
        self.assertEqual(self.scan("Alan Turing called.")["verdict"], "allow")
        r = self.weir("pack", "build", "--name", "p", "--label", "x", "--edm", csv, "--edm-columns",
                      "nope", "--sign", self.path("a.key"), "-o", self.path("x.weirpack"))
        self.assertEqual(r.returncode, 2)
        self.assertIn('no column "nope"', r.stderr)

    def test_odd_file_names(self):
        docs = self.path("odd")
        os.makedirs(docs)
        with open(os.path.join(docs.encode(), b"q3\nminutes\x1b[31m\xff.txt"), "w") as f:
            f.write(SECRET)
        pack = self.path("odd.weirpack")
        self.ok("pack", "build", "--name", "odd", "--label", "internal", "--docs", docs,
                "--sign", self.path("a.key"), "-o", pack)
        self.ok("pack", "import", pack)
        names = documents(self.scan(SECRET))
        self.assertEqual(len(names), 1)
        self.assertTrue(names[0].startswith("q3?minutes?[31m"), names)

    def test_usage_and_keys(self):
        self.assertEqual(self.weir("pack", "build", "--name", "x").returncode, 1)
        self.assertEqual(self.weir("pack").returncode, 1)
        empty = self.path("empty-docs")
        os.makedirs(empty)
        r = self.weir("pack", "build", "--name", "e", "--label", "x", "--docs", empty,
                      "--sign", self.path("a.key"), "-o", self.path("e.weirpack"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nothing to protect", r.stderr)
        self.assertEqual(self.weir("pack", "build", "--help").returncode, 0)
        r = self.weir("keygen", "-s", self.path("a.key"), "-p", self.path("c.pub"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(oct(os.stat(self.path("a.key")).st_mode & 0o777), "0o600")
        ids = self.ok("trust", "list").stdout.split()
        self.assertEqual(len(ids), 1)
        self.ok("trust", "add", self.path("a.pub"))  # idempotent
        self.ok("pack", "import", self.build(self.path("p.weirpack")))
        self.ok("trust", "remove", ids[0])
        self.assertEqual(self.weir("trust", "remove", ids[0]).returncode, 2)
        # The stored pack no longer loads: its key is not trusted.
        self.assertEqual(documents(self.scan(SECRET)), [])
        r = self.ok("pack", "list", "--json")
        self.assertFalse(json.loads(r.stdout)[0]["active"])
        self.assertIn("not trusted", r.stderr)

    def test_progress_and_counts(self):
        docs = self.path("many")
        os.makedirs(os.path.join(docs, "deep", "er"))
        licence = " ".join(["shared licence header words number %d" % i for i in range(30)])
        for i in range(6):
            sub = os.path.join(docs, "deep", "er") if i % 2 else docs
            with open(os.path.join(sub, "d%d.txt" % i), "w") as f:
                f.write(licence + "\n" + " ".join("unique%d word%d" % (i, j) for j in range(200)))
        with open(os.path.join(docs, "skip.bin"), "w") as f:
            f.write("ignored")
        with open(os.path.join(docs, "page.html"), "w") as f:
            f.write("<p>" + OTHER + "</p><script>var x = 1;</script>")
        r = self.ok("pack", "build", "--name", "m", "--label", "internal", "--docs", docs,
                    "--sign", self.path("a.key"), "-o", self.path("m.weirpack"))
        self.assertIn("documents    7", r.stdout)
        dropped = int(r.stdout.split("fingerprints ")[1].split("(")[1].split()[0])
        self.assertGreater(dropped, 0)
        self.ok("pack", "import", self.path("m.weirpack"))
        self.assertEqual(documents(self.scan(licence)), [])
        self.assertEqual(documents(self.scan(OTHER)), ["page.html"])


if __name__ == "__main__":
    unittest.main()
