"""Documents and archives through the real weir-host (protocol 1) and weir scan.

Fixtures come from real producers (fixtures.py). Each file holding a private key,
card numbers, an excerpt of a protected document or rows of a protected table must
be caught and named by file and place; the same formats holding harmless text must
be allowed; encrypted files get the encrypted verdict; a zip bomb an oversize
answer naming its bound, with the host still serving."""
import json
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pack"))
sys.path.insert(0, HERE)
import fixtures  # noqa: E402
from weirtest import WeirCase, Host, SECRET, WEIR  # noqa: E402

BUILD = os.environ.get("WEIR_BUILD_ROOT", "")
FIX = None
# The types Chromium gives these files: an Office type names "xml", yet the bytes are a zip.
MIMES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
         "odt": "application/vnd.oasis.opendocument.text", "pdf": "application/pdf",
         "rtf": "application/rtf", "eml": "message/rfc822", "gz": "application/gzip"}


def setUpModule():
    global FIX
    gone = fixtures.missing_producers()
    if gone:
        raise unittest.SkipTest("fixture producers missing: " + " ".join(gone)
                                + " (installer/deps.sh installs them)")
    FIX = fixtures.ensure(BUILD)


def rules(verdict):
    return [r.get("rule") or r.get("kind") for r in verdict["reasons"]]


class Documents(WeirCase):
    def setUp(self):
        super().setUp()
        # The default policy with time to spare: CI runs on a busy machine, and no test
        # here is about time (the bounds' tests set their own).
        with open(os.path.join(os.path.dirname(__file__), "../../rules/default-policy.json")) as f:
            policy = json.load(f)
        policy["timeout_ms"] = 60000
        policy["extract"]["time_per_file_ms"] = 60000
        with open(os.path.join(self.home, "policy.json"), "w") as f:
            json.dump(policy, f)
        # The protected document and the protected table, as an admin would ship them.
        docs = self.write_docs("docs", SECRET)
        self.ok("pack", "build", "--name", "board", "--label", "confidential", "--docs", docs,
                "--sign", self.path("a.key"), "-o", self.path("board.weirpack"))
        self.ok("pack", "import", self.path("board.weirpack"))
        csv = self.path("people.csv")
        with open(csv, "w") as f:
            f.write(fixtures.PEOPLE_CSV)
        self.ok("pack", "build", "--name", "people", "--label", "restricted", "--edm", csv,
                "--edm-columns", "email,name,phone", "--sign", self.path("a.key"),
                "-o", self.path("people.weirpack"))
        self.ok("pack", "import", self.path("people.weirpack"))
        self.host = Host(self.env)
        self.host.request({"type": "hello", "extension_version": "1.0.0"})

    def tearDown(self):
        self.host.close()
        super().tearDown()

    def drop(self, *names):
        files = [{"name": n, "mime": MIMES.get(n.rsplit(".", 1)[-1], "application/octet-stream"), "size": os.path.getsize(os.path.join(FIX, n)),
                  "data": fixtures.b64(os.path.join(FIX, n))} for n in names]
        return self.host.request({"type": "scan", "event": "drop", "origin": "https://chat.example",
                                  "url": "https://chat.example/c/1", "files": files})

    def assert_caught(self, name, rule, where=None):
        v = self.drop(name)
        self.assertNotEqual(v["verdict"], "allow", f"{name}: {v}")
        hits = [r for r in v["reasons"] if (r.get("rule") or r.get("kind")) == rule and r.get("file") == name]
        self.assertTrue(hits, f"{name}: no {rule} reason naming the file: {v['reasons']}")
        if where is not None:
            self.assertIn(where, [r.get("where") for r in hits], f"{name}: {hits}")
        return v

    def test_private_key_in_every_format(self):
        for name in ("key.docx", "key.odt", "key.rtf", "key.pdf", "key.docm", "key.pptx", "key.odp",
                     "key.7z", "key.txt.xz", "key.tar.bz2", "key.tar.zst", "key-attached.eml"):
            with self.subTest(name=name):
                v = self.assert_caught(name, "private-key")
                self.assertEqual(v["verdict"], "block")

    def test_cards(self):
        for name in ("cards.docx", "cards.odt", "cards.rtf", "cards.pdf", "cardsheet.xlsx",
                     "cardsheet.ods", "cards.csv.gz"):
            with self.subTest(name=name):
                self.assert_caught(name, "credit-card")
        self.assert_caught("cardsheet.xlsx", "credit-card", where="sheet cardsheet")

    def test_protected_document_and_table(self):
        for name in ("secret.docx", "secret.odt", "secret.pdf", "secret.rtf"):
            with self.subTest(name=name):
                v = self.drop(name)
                docs = [r for r in v["reasons"] if r["kind"] == "document" and r.get("file") == name]
                self.assertEqual([d["name"] for d in docs], ["minutes.md"], v)
        # An .xlsx in a .zip in a .tar.gz: the rows of the protected table, named by path.
        v = self.drop("nested.tar.gz")
        edm = [r for r in v["reasons"] if r["kind"] == "edm"]
        self.assertTrue(edm, v)
        self.assertEqual(edm[0]["file"], "nested.tar.gz")
        self.assertEqual(edm[0]["where"], "bundle.zip › q3/customers.xlsx › sheet people")
        self.assertEqual(v["verdict"], "block")

    def test_harmless_allowed(self):
        for name in ("harmless.docx", "harmless.odt", "harmless.rtf", "harmless.pdf", "harmless.pptx",
                     "harmless.odp", "plainsheet.xlsx", "plainsheet.ods", "harmless.zip", "harmless.eml"):
            with self.subTest(name=name):
                v = self.drop(name)
                self.assertEqual(v["verdict"], "allow", f"{name}: {v}")

    def test_encrypted(self):
        for name, where in (("enc.zip", "key.docx"), ("enc.7z", "key.docx"), ("enc-headers.7z", None),
                            ("enc.pdf", None)):
            with self.subTest(name=name):
                v = self.drop(name)
                self.assertEqual(v["verdict"], "warn", v)
                self.assertTrue(v.get("justification"), v)
                enc = [r for r in v["reasons"] if r.get("rule") == "encrypted"]
                self.assertEqual(enc[0]["file"], name)
                self.assertEqual(enc[0].get("where"), where)
                self.assertIn("encrypted", v["message"])

    def test_zip_bomb(self):
        start = time.monotonic()
        v = self.drop("bomb.zip")
        took = time.monotonic() - start
        over = [r for r in v["reasons"] if r.get("rule") == "oversize"]
        self.assertTrue(over, v)
        self.assertIn(over[0]["bound"], ("max_compression_ratio", "max_inflated_bytes"))
        self.assertEqual(over[0]["file"], "bomb.zip")
        self.assertEqual(v["verdict"], "warn")  # the default policy's oversize verdict
        print(f"zip bomb answered in {took * 1000:.0f} ms", file=sys.stderr)
        # The host keeps serving.
        self.assertEqual(self.host.scan("hello there, nothing to see")["verdict"], "allow")

    def test_time_bound_is_named(self):
        # A file the extractor cannot finish in time_per_file_ms is oversize, naming the
        # bound, however the child ended (killed by the launcher, or stopped by the pipe
        # the host closed): never a whole read, never a "damaged file".
        with open(os.path.join(self.home, "policy.json")) as f:
            policy = json.load(f)
        policy["extract"]["time_per_file_ms"] = 1
        with open(os.path.join(self.home, "policy.json"), "w") as f:
            json.dump(policy, f)
        self.host.close()
        self.host = Host(self.env)
        self.host.request({"type": "hello", "extension_version": "1.0.0"})
        self.drop("harmless.pdf")  # the reader has started
        for _ in range(5):
            v = self.drop("key.pdf")
            bounds = [r.get("bound") for r in v["reasons"] if r.get("rule") == "oversize"]
            self.assertEqual(bounds, ["time_per_file_ms"], v)

    def test_audit_names_file_not_content(self):
        self.drop("cardsheet.xlsx")
        self.host.close()
        self.host = Host(self.env)
        out = self.ok("audit", "export").stdout
        self.assertIn('"file":"cardsheet.xlsx"', out.replace(" ", ""))
        self.assertIn("sheet cardsheet", out)
        # Nothing of the cards in any field but those Weir makes itself from random bytes,
        # hashes and the clock (hex, base64, times, versions), where "4111" turns up by
        # chance in about one export in 50.
        made = {"id", "device", "prev", "sig", "key", "next_key", "signer", "content_digest", "policy",
                "time", "pack_version"}
        for line in out.splitlines():
            text = json.dumps({k: v for k, v in json.loads(line).items() if k not in made})
            for piece in ("4111", "5500", "main card"):
                self.assertNotIn(piece, text)

    def test_pack_from_office_files(self):
        """--docs reads .docx and .pdf; --edm reads .xlsx and .ods (their first sheet)."""
        docs = self.path("contracts")
        os.makedirs(docs)
        for n in ("secret.docx", "secret.pdf"):
            with open(os.path.join(FIX, n), "rb") as src, open(os.path.join(docs, n), "wb") as dst:
                dst.write(src.read())
        out = self.path("contracts.weirpack")
        r = self.ok("pack", "build", "--name", "contracts", "--label", "confidential", "--docs", docs,
                    "--sign", self.path("a.key"), "-o", out)
        self.assertIn("documents    2", r.stdout)
        self.ok("pack", "import", out)
        v = json.loads(self.ok("scan", "--json", os.path.join(FIX, "secret.odt")).stdout)
        self.assertIn("secret.docx", [x.get("name") for x in v["reasons"]], v)
        for sheet in ("people.xlsx", "people.ods"):
            with self.subTest(sheet=sheet):
                out = self.path(sheet + ".weirpack")
                r = self.ok("pack", "build", "--name", "t-" + sheet.split(".")[1], "--label", "restricted",
                            "--edm", os.path.join(FIX, sheet), "--edm-columns", "email,name,phone",
                            "--sign", self.path("a.key"), "-o", out)
                self.assertRegex(r.stdout, r"records +[34] ")
                # A fresh home holding only this pack: its table must catch a row.
                home = self.path("home-" + sheet)
                os.makedirs(home)
                env = dict(self.env, WEIR_HOME=home)
                for args in (["trust", "add", self.path("a.pub")], ["pack", "import", out]):
                    self.assertEqual(subprocess.run([WEIR, *args], env=env, capture_output=True).returncode, 0)
                r = subprocess.run([WEIR, "scan", "--json", "-"], env=env, capture_output=True, text=True,
                                   input="Grace Hopper, +1 202 555 0143, grace@example.org")
                v = json.loads(r.stdout)
                self.assertEqual([(x["kind"], x["name"]) for x in v["reasons"]], [("edm", "people")], v)
        for sheet in ("sparse.xlsx", "sparse.ods"):
            with self.subTest(sheet=sheet):
                # Rows with an empty cell: the values after it keep their columns.
                out = self.path(sheet + ".weirpack")
                self.ok("pack", "build", "--name", "s-" + sheet.split(".")[1], "--label", "restricted",
                        "--edm", os.path.join(FIX, sheet), "--edm-columns", "email,name,phone",
                        "--sign", self.path("a.key"), "-o", out)
                home = self.path("home-" + sheet)
                os.makedirs(home)
                env = dict(self.env, WEIR_HOME=home)
                for args in (["trust", "add", self.path("a.pub")], ["pack", "import", out]):
                    self.assertEqual(subprocess.run([WEIR, *args], env=env, capture_output=True).returncode, 0)
                for text, columns in (("Ada Lovelace, +44 20 7946 0018", "name,phone"),
                                      ("grace@example.org, +1 202 555 0143", "email,phone")):
                    r = subprocess.run([WEIR, "scan", "--json", "-"], env=env, capture_output=True, text=True,
                                       input=text)
                    v = json.loads(r.stdout)
                    self.assertEqual([x.get("columns") for x in v["reasons"]], [columns], v)

    def test_cli_scan_file(self):
        r = self.weir("scan", "--json", os.path.join(FIX, "nested.tar.gz"))
        v = json.loads(r.stdout)
        self.assertEqual(v["verdict"], "block", f"{v} {r.stderr}")
        r = self.weir("scan", os.path.join(FIX, "key.pdf"))
        self.assertIn("private-key", r.stdout)
        self.assertIn("key.pdf › page", r.stdout)


if __name__ == "__main__":
    unittest.main()
