"""The packs' index files through the real binaries (issue 28): `weir pack import`
derives the file, every running weir-host maps the same file (shared pages, not a copy
each), a changed byte never changes a verdict, and a removed or refused file is derived
again."""
import glob
import json
import os
import random
import select
import struct
import subprocess
import time
import unittest

from weirtest import OTHER, SECRET, Host, WeirCase, documents


def mapped_by(pid):
    """The .weiridx files process pid maps."""
    with open(f"/proc/{pid}/maps") as f:
        return {line.split()[-1] for line in f if line.rstrip().endswith(".weiridx")}


def private_kib(pid, path):
    """Private pages of path in pid's mapping, in KiB (smaps)."""
    total, inside = 0, False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            first = line.split()[0]
            if "-" in first and not first.endswith(":"):
                inside = line.rstrip().endswith(path)
            elif inside and first in ("Private_Clean:", "Private_Dirty:"):
                total += int(line.split()[1])
    return total


def bytes_read(pid):
    """What process pid has read with read(2) and its kin (rchar of /proc/PID/io)."""
    with open(f"/proc/{pid}/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))


def filter_blocks(path):
    """The blocks of an index file that its filters lie in (index-map.h's layout: the
    header's section offsets and counts; the fingerprint filter and the EDM word and
    value filters are guint64 words; 16 KiB blocks from the end of the 4 KiB header)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    assert head[:8] == b"WEIRIDX1"
    block_bits = struct.unpack_from("<I", head, 12)[0]
    offsets = struct.unpack_from("<7Q", head, 104)
    counts = struct.unpack_from("<7Q", head, 160)
    blocks = set()
    for s in (0, 5, 6):  # filter, EDM word filter, EDM value filter
        if counts[s]:
            first = (offsets[s] - 4096) >> block_bits
            last = (offsets[s] + 8 * counts[s] - 1 - 4096) >> block_bits
            blocks.update(range(first, last + 1))
    return blocks


def wait_for_line(proc, needle, seconds=60):
    """stderr of proc read until a line holds needle (returned), or the time is up."""
    seen = b""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        ready, _, _ = select.select([proc.stderr], [], [], max(0.0, until - time.monotonic()))
        if not ready:
            break
        chunk = os.read(proc.stderr.fileno(), 65536)
        if not chunk:
            break
        seen += chunk
        for line in seen.decode(errors="replace").splitlines():
            if needle in line:
                return line
    raise AssertionError(f"no line with {needle!r} in {seconds} s: {seen.decode(errors='replace')}")


class IndexHost(WeirCase):

    def index_files(self):
        return sorted(glob.glob(os.path.join(self.home, "index", "*.weiridx")))

    def test_hosts_share_one_mapped_file(self):
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1))
        files = self.index_files()
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            raw = f.read()
        self.assertEqual(raw[:8], b"WEIRIDX1")
        # No name of the pack, its label or its document in the file.
        for word in (b"board", b"confidential", b"minutes"):
            self.assertNotIn(word, raw)
        hosts = [Host(self.env) for _ in range(2)]
        try:
            for host in hosts:
                self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
                self.assertEqual(documents(host.scan(OTHER)), [])
            for host in hosts:
                self.assertEqual(mapped_by(host.proc.pid), {files[0]})
            # Both read the same pages: once both have scanned, neither holds them alone.
            for host in hosts:
                self.assertEqual(private_kib(host.proc.pid, files[0]), 0)
        finally:
            for host in hosts:
                rc, err = host.close()
                self.assertEqual(rc, 0, err)

    def test_changed_byte_same_verdict(self):
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1))
        (path,) = self.index_files()
        size = os.path.getsize(path)
        # The header, a data byte (the first block holds the filter), the tag table.
        for offset in (40, 4096 + 8, size - 1):
            with open(path, "r+b") as f:
                f.seek(offset)
                byte = f.read(1)
                f.seek(offset)
                f.write(bytes([byte[0] ^ 0x21]))
            host = Host(self.env)
            try:
                self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
                self.assertEqual(documents(host.scan(OTHER)), [])
            finally:
                rc, err = host.close()
            self.assertEqual(rc, 0, err)
            self.assertNotIn("merger", err)
            # Refused when opened (header, tag table: derived again at once) or when the
            # block was first read (the pack came from the store, the file was removed).
            if offset < 4096 or offset == size - 1:
                self.assertEqual(len(self.index_files()), 1, err)
            else:
                self.assertIn("is damaged; the pack was reloaded from the store", err)
            host = Host(self.env)
            try:
                self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
                files = self.index_files()
                self.assertEqual(len(files), 1)
                self.assertEqual(mapped_by(host.proc.pid), set(files))
            finally:
                rc, err = host.close()
            self.assertEqual(rc, 0, err)
            (path,) = self.index_files()

    def test_filters_read_ahead_while_idle(self):
        """An idle host authenticates its packs' filters ahead of the first pastes, every
        block of them and nothing else, before any request; a filter block that fails
        there has its pack reloaded from the store at once, and verdicts stay right."""
        rng = random.Random(15)
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                 for _ in range(3000)]
        filler = self.path("filler")
        os.makedirs(filler)
        for i in range(20):
            with open(os.path.join(filler, f"doc{i:02d}.txt"), "w") as f:
                f.write(" ".join(rng.choices(vocab, k=10000)))
        people = self.path("people.csv")
        with open(people, "w") as f:
            f.write("email,name,phone\n")
            for i in range(20000):
                f.write(f"person{i}@example.org,Person {vocab[i % 3000].title()} {i},+1 555 {i:07d}\n")
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1,
                                             extra=("--docs", filler, "--edm", people,
                                                    "--edm-columns", "email!,name,phone")))
        (path,) = self.index_files()
        blocks = filter_blocks(path)
        self.assertGreater(len(blocks), 3)
        env = dict(self.env, G_MESSAGES_DEBUG="weir")
        host = Host(env)
        try:
            line = wait_for_line(host.proc, "blocks of the packs' filters authenticated ahead of the first pastes")
            self.assertIn(f"index: {len(blocks)} blocks", line)
            # Read with pread, not through the mapping: an idle host does not map the
            # filters (its Rss and private memory would count them).
            self.assertGreaterEqual(bytes_read(host.proc.pid), len(blocks) << 14)
            self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
        finally:
            host.proc.stdin.close()
            self.assertEqual(host.proc.wait(timeout=30), 0)
            host.proc.stdout.close()
            host.proc.stderr.close()

        # A byte of the value filter's last block changed: found while idle, the pack reloaded.
        with open(path, "r+b") as f:
            f.seek(4096 + (max(blocks) << 14) + 100)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x10]))
        host = Host(env)
        try:
            wait_for_line(host.proc, "is damaged; the pack was reloaded from the store")
            self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
            self.assertEqual(documents(host.scan(OTHER)), [])
        finally:
            host.proc.stdin.close()
            self.assertEqual(host.proc.wait(timeout=30), 0)
            host.proc.stdout.close()
            host.proc.stderr.close()

    def test_large_paste_scored_on_two_threads(self):
        """A paste of 16 KiB or more is scored on two threads in the sandboxed host (the
        detectors and the exact data on a thread named weir-score, under the host's
        seccomp filter): the same reasons as on one thread (WEIR_SCORE_THREADS=1), which
        starts no such thread."""
        people = self.path("people.csv")
        with open(people, "w") as f:
            f.write("email,name,phone\n")
            for i in range(2000):
                f.write(f"person{i}@example.org,Given{i} Family{i},+1 555 {i:07d}\n")
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1,
                                             extra=("--edm", people, "--edm-columns", "email!,name,phone")))
        paste = (OTHER + "\n") * 80 + SECRET + "\nWrite to person7@example.org (Given7 Family7).\n" \
            + "Card 4539 1488 0343 6467.\n" + (OTHER + "\n") * 20
        self.assertGreater(len(paste), 16 * 1024)

        def reasons_and_threads(env):
            host = Host(env)
            try:
                verdict = host.scan(paste)
                small = host.scan(SECRET)
                names, seccomp = [], {}
                for task in os.listdir(f"/proc/{host.proc.pid}/task"):
                    with open(f"/proc/{host.proc.pid}/task/{task}/comm") as f:
                        names.append(f.read().strip())
                    with open(f"/proc/{host.proc.pid}/task/{task}/status") as f:
                        seccomp[names[-1]] = next(line.split()[1] for line in f if line.startswith("Seccomp:"))
                # Started after the sandbox, as every thread of the host: filtered (2).
                self.assertEqual(set(seccomp.values()), {"2"}, seccomp)
            finally:
                rc, err = host.close()
            self.assertEqual(rc, 0, err)
            self.assertEqual(documents(small), ["minutes.md"])
            return sorted((r["kind"], r.get("name") or r.get("rule")) for r in verdict["reasons"]), names

        two, names = reasons_and_threads(self.env)
        self.assertEqual(two, [("document", "minutes.md"), ("edm", "people"), ("pattern", "credit-card")])
        self.assertEqual(names.count("weir-score"), 1, names)
        one, names = reasons_and_threads(dict(self.env, WEIR_SCORE_THREADS="1"))
        self.assertEqual(one, two)
        self.assertNotIn("weir-score", names)

    # Documents of other scripts than Latin, for test_documents_of_other_scripts.
    SCRIPTS = {
        "ar.txt": "يجتمع مجلس الإدارة يوم الخميس لمناقشة خطة الاستحواذ على الشركة المنافسة، ويجب أن تبقى "
                  "هذه الخطة سرية تماماً حتى يتم التوقيع على الاتفاق النهائي. تشمل الميزانية المقترحة أربعة "
                  "ملايين دولار للمرحلة الأولى، وسيتم إبلاغ الموظفين بعد الإعلان الرسمي فقط. مُحَمَّد سيقود "
                  "فريق التفاوض مع الشركاء في دبي والرياض.",
        "hi.txt": "बोर्ड की बैठक में तय हुआ कि नई परियोजना का बजट चार करोड़ रुपये होगा और इसकी जानकारी केवल "
                  "वरिष्ठ प्रबंधन को दी जाएगी। अनुबंध पर हस्ताक्षर होने तक किसी भी कर्मचारी को यह योजना किसी "
                  "बाहरी व्यक्ति के साथ साझा नहीं करनी चाहिए। क़ानूनी टीम अगले सप्ताह मसौदा तैयार करेगी।",
        "th.txt": "คณะกรรมการ บริษัท ได้ อนุมัติ แผน การ ซื้อ กิจการ ของ คู่แข่ง ใน การ ประชุม เมื่อ วาน นี้ "
                  "และ ขอ ให้ ทุก คน เก็บ เรื่อง นี้ เป็น ความลับ จน กว่า จะ มี การ ลงนาม สัญญา งบประมาณ ที่ "
                  "ใช้ ใน ขั้น แรก คือ สี่ ล้าน ดอลลาร์ ทีม กฎหมาย จะ ทำ ร่าง สัญญา ให้ เสร็จ ภายใน สัปดาห์ หน้า",
        "ja.txt": "取締役会は２０２６年１２月の会議で、競合他社の買収計画を承認しました。この計画は最終契約の"
                  "署名までは社外秘です。第一段階の予算は４００万ドルで、データ分析チームとシステム部門が担当"
                  "します。発表までは従業員にも知らせないでください。",
        "ko.txt": "이사회는 어제 회의에서 경쟁사 인수 계획을 승인했으며 최종 계약이 체결될 때까지 이 계획을 "
                  "비밀로 유지해야 한다고 밝혔습니다. 첫 단계 예산은 사백만 달러이며 법무팀이 다음 주까지 "
                  "계약서 초안을 준비할 예정입니다. 발표 전까지는 직원들에게도 알리지 마십시오.",
        "zh.txt": "董事会昨天批准了收购竞争对手的计划，在最终协议签署之前，这项计划必须严格保密。第一阶段的"
                  "预算为四百万美元，法律团队将在下周之前准备好合同草案。𠮷野先生将负责与合作伙伴的谈判。",
        "hy.txt": "Տնօրենների խորհուրդը երեկ հաստատեց մրցակից ընկերության ձեռքբերման ծրագիրը ու խնդրեց, "
                  "որ այն գաղտնի մնա մինչև վերջնական պայմանագրի ստորագրումը։ Առաջին փուլի բյուջեն չորս "
                  "միլիոն դոլար է, իսկ իրավաբանական թիմը կպատրաստի պայմանագրի նախագիծը հաջորդ շաբաթ։",
        "vi.txt": "Hội đồng quản trị đã phê duyệt kế hoạch mua lại đối thủ cạnh tranh trong cuộc họp hôm qua "
                  "và yêu cầu mọi người giữ bí mật cho đến khi hợp đồng cuối cùng được ký kết. Ngân sách cho "
                  "giai đoạn đầu là bốn triệu đô la.",
    }

    def test_documents_of_other_scripts(self):
        """A pack of documents in Arabic (with vowel points), Hindi, Thai, Japanese,
        Korean, Chinese (with an ideograph of extension B), Armenian and Vietnamese, each
        found by the real host in a paste that writes it otherwise but means the same
        after NFKC and case folding: Thai's SARA AM as its two parts, Japanese digits
        half-width and katakana half-width, Korean in conjoining jamo, Armenian and
        Vietnamese in upper case (Vietnamese decomposed too); and unrelated text of the
        same scripts finds nothing (the normaliser's table of plain characters, issue 28)."""
        import unicodedata
        docs = self.path("docs-scripts")
        os.makedirs(docs)
        for name, text in self.SCRIPTS.items():
            with open(os.path.join(docs, name), "w", encoding="utf-8") as f:
                f.write(text)
        pack = self.path("scripts.weirpack")
        self.ok("pack", "build", "--name", "scripts", "--label", "confidential", "--docs", docs,
                "--sign", self.path("a.key"), "-o", pack)
        self.ok("pack", "import", pack)
        s = self.SCRIPTS
        pastes = {
            "ar.txt": "للعلم فقط:\n" + s["ar.txt"].replace("، ", "،\n"),
            "hi.txt": "कृपया देखें: " + s["hi.txt"].replace("। ", "।\n\n"),
            "th.txt": s["th.txt"].replace("\u0e33", "\u0e4d\u0e32") + " ขอบคุณ",
            "ja.txt": s["ja.txt"].replace("２０２６", "2026").replace("１２", "12").replace("４００", "400")
                      .replace("データ", "\uff83\uff9e\uff70\uff80"),
            "ko.txt": unicodedata.normalize("NFD", s["ko.txt"]),
            "zh.txt": "转发：" + s["zh.txt"].replace("，", "， "),
            "hy.txt": s["hy.txt"].upper(),
            "vi.txt": unicodedata.normalize("NFD", s["vi.txt"]).upper(),
        }
        for name, paste in pastes.items():
            self.assertNotEqual(paste, s[name])
        unrelated = ["مرحبا بكم في نشرة الطقس لهذا اليوم حيث نتوقع أمطارا خفيفة في المساء مع رياح معتدلة "
                     "على السواحل الشمالية ودرجات حرارة أقل من المعتاد في المناطق الجبلية",
                     "今日の天気は午後から雨が降るでしょう。傘を忘れずに持って行ってください。明日は晴れる見込みです。",
                     "오늘 날씨는 오후부터 비가 내리겠습니다. 우산을 꼭 챙기시고 내일은 맑을 것으로 보입니다.",
                     "ภาษา ไทย วันนี้ อากาศ ดี มาก ฝน ไม่ ตก เรา ไป เที่ยว ทะเล กัน ดีกว่า"]
        host = Host(self.env)
        try:
            for name, paste in pastes.items():
                self.assertEqual(documents(host.scan(s[name])), [name], name)
                self.assertEqual(documents(host.scan(paste)), [name], name + " written otherwise")
            for text in unrelated:
                self.assertEqual(documents(host.scan(text)), [], text)
        finally:
            rc, err = host.close()
        self.assertEqual(rc, 0, err[-2000:])

    def test_paste_at_the_scan_limit_with_a_pack(self):
        """A paste of 32 MB of prose (the default policy's max_scan_bytes is 32 MiB) with a
        pack loaded is answered: the normalised words' arrays no longer take room for a
        word every other byte up front (384 MiB at 30 MB, beside the host's 579 MiB memory
        cap, which then aborted it)."""
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1))
        rng = random.Random(32)
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                 for _ in range(5000)]
        words = rng.choices(vocab, k=4_600_000)
        words[2_000_000:2_000_000] = SECRET.split()
        paste = " ".join(words)[:32_000_000]
        self.assertIn(SECRET, paste)
        host = Host(self.env)
        try:
            verdict = host.scan(paste)
        finally:
            rc, err = host.close()
        self.assertEqual(rc, 0, err[-2000:])
        self.assertEqual(documents(verdict), ["minutes.md"])

    def test_dense_paste_at_the_scan_limit_with_a_pack(self):
        """32 MB of one-digit words (16 M words) with a pack loaded is answered, and the
        excerpt in its middle found: a text over 4 MiB is matched a segment of words at a
        time (its words whole took 24 bytes each and more, and the host passed its
        memory cap and aborted)."""
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1))
        half = "7 3 " * 4_000_000
        paste = half + "\n" + SECRET + "\n" + half
        self.assertGreater(len(paste), 32_000_000)
        self.assertLess(len(paste), 32 * 1024 * 1024)
        host = Host(self.env)
        try:
            verdict = host.scan(paste)
            with open(f"/proc/{host.proc.pid}/status") as f:
                peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        finally:
            rc, err = host.close()
        self.assertEqual(rc, 0, err[-2000:])
        self.assertEqual(documents(verdict), ["minutes.md"])
        # Resident at its peak: the frame, cJSON's copy, a segment's words (not 16 M).
        self.assertLess(peak, 300 * 1024, f"VmHWM {peak} KiB")

    def test_large_copy_pasted_back(self):
        """30 MB copied from an internal site (a policy rule on where content came from,
        no pack) and pasted whole into a chat is answered, found as copied: the paste's
        words and k-grams are matched against the copies a segment at a time, and its
        hits stop at 4 M (the host of 22e8949 passed its memory cap and aborted)."""
        with open(os.path.join(self.home, "policy.json"), "w") as f:
            json.dump({"version": 1,
                       "rules": [{"id": "internal-out", "sources": ["internal"], "verdict": "block"}],
                       "origins": [{"id": "wiki", "match": ["https://wiki.example"], "source": "internal"}]}, f)
        rng = random.Random(30)
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                 for _ in range(5000)]
        # A page of 2 000 words over and over, as a long log or a table repeats itself:
        # each of its fingerprints held at many places of the copy, so every repetition
        # of the paste hits each of them again (the hits stop at 4 M a pack).
        page = " ".join(rng.choices(vocab, k=2000)) + "\n"
        text = (page * (30_000_000 // len(page) + 1))[:30_000_000]
        host = Host(self.env)
        try:
            kept = host.request({"type": "copy", "event": "copy", "origin": "https://wiki.example", "text": text})
            verdict = host.scan(text)
        finally:
            rc, err = host.close()
        self.assertEqual(rc, 0, err[-2000:])
        self.assertTrue(kept.get("kept"), kept)
        self.assertEqual(verdict["verdict"], "block", verdict)
        self.assertIn("copied", [r["kind"] for r in verdict["reasons"]])

    def test_removed_file_and_new_version(self):
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1))
        for path in self.index_files():
            os.unlink(path)
        self.assertEqual(documents(self.scan(SECRET)), ["minutes.md"])
        self.assertEqual(len(self.index_files()), 1)
        # A newer version replaces the file; removing the pack removes it.
        self.ok("pack", "import", self.build(self.path("v2.weirpack"), version=2, text=OTHER))
        (path,) = self.index_files()
        self.assertTrue(path.endswith("-2.weiridx"), path)
        self.assertEqual(documents(self.scan(OTHER)), ["minutes.md"])
        self.assertEqual(documents(self.scan(SECRET)), [])
        self.ok("pack", "remove", "board")
        self.assertEqual(self.index_files(), [])
        self.assertEqual(documents(self.scan(OTHER)), [])

    def test_hosts_started_together_derive_the_file_once(self):
        """Hosts of several profiles start together with the file missing: one derives it
        (holding the pack in its memory), the others wait for it and map its file."""
        rng = random.Random(28)
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                 for _ in range(5000)]
        filler = self.path("filler")
        os.makedirs(filler)
        for i in range(100):  # 1 M words: deriving the file takes a while
            with open(os.path.join(filler, f"doc{i:03d}.txt"), "w") as f:
                f.write(" ".join(rng.choices(vocab, k=10000)))
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1, extra=("--docs", filler)))
        for path in self.index_files():
            os.unlink(path)
        hosts = [Host(self.env) for _ in range(3)]
        errs = []
        try:
            for host in hosts:
                self.assertEqual(documents(host.scan(SECRET)), ["minutes.md"])
                self.assertEqual(documents(host.scan(OTHER)), [])
        finally:
            for host in hosts:
                rc, err = host.close()
                errs.append(err)
                self.assertEqual(rc, 0, err)
        derived = sum(err.count("its index file is missing; derived from the stored pack") for err in errs)
        self.assertEqual(derived, 1, errs)
        (path,) = self.index_files()
        self.assertTrue(path.endswith("-1.weiridx"), path)

    def test_store_info_counts_the_files_beside_the_store(self):
        """What the packs keep beside the store, which a backup or a full disk is about."""
        def info():
            return json.loads(self.ok("store", "info", "--json").stdout)
        self.ok("pack", "import", self.build(self.path("v1.weirpack"), version=1))
        sealed = glob.glob(os.path.join(self.home, "packdata", "*.sealed"))
        self.assertEqual(len(sealed), 1)
        got = info()
        self.assertEqual((got["pack_files"], got["pack_file_bytes"]), (1, os.path.getsize(sealed[0])))
        (index,) = self.index_files()
        self.assertEqual((got["index_files"], got["index_file_bytes"]), (1, os.path.getsize(index)))
        text = self.ok("store", "info").stdout
        self.assertIn(f"pack files      1, {os.path.getsize(sealed[0])} bytes", text)
        self.assertIn(f"index files     1, {os.path.getsize(index)} bytes", text)
        # A file that is not a pack's (a note, a folder) is not counted.
        with open(os.path.join(self.home, "packdata", "README"), "w") as f:
            f.write("not a pack")
        os.mkdir(os.path.join(self.home, "index", "x.weiridx"))
        got = info()
        self.assertEqual((got["pack_files"], got["index_files"]), (1, 1))
        self.ok("pack", "remove", "board")
        got = info()
        self.assertEqual((got["pack_files"], got["pack_file_bytes"], got["index_files"], got["index_file_bytes"]),
                         (0, 0, 0, 0))


if __name__ == "__main__":
    unittest.main()
