"""Document and archive fixtures, made by the real producers at test time.

Writer, Calc and Impress (LibreOffice headless) convert the HTML and CSV written here;
zip, 7z, tar, gzip, xz, bzip2, zstd and qpdf pack and encrypt what they made; Python's
email package writes the mail. Nothing is hand-assembled. Built once per build folder
(a stamp holds this file's digest) into BUILD/tests/extract-fixtures; each LibreOffice
module is started once for all its files, since starting it is what is slow.

    python3 tests/extract/fixtures.py BUILD_DIR     builds them (and prints the folder)
"""
import base64
import email.message
import hashlib
import html
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pack"))
from weirtest import SECRET, OTHER  # noqa: E402  the protected document and harmless text

CARDS = "Billing: card 4111 1111 1111 1111, backup card 5500 0000 0000 0004, both expire 12/29."
# Rows of the protected table (the EDM pack is built from PEOPLE_CSV).
PEOPLE_CSV = ("id,email,name,phone\n"
              "1,ada@example.org,Ada Lovelace,+44 20 7946 0018\n"
              "2,alan@example.org,Alan Turing,020 7946 0999\n"
              "3,grace@example.org,Grace Hopper,+1 202 555 0143\n")
SPARSE_CSV = ("id,email,name,phone\n"
              "1,,Ada Lovelace,+44 20 7946 0018\n"
              "2,grace@example.org,,+1 202 555 0143\n"
              "3,alan@example.org,Alan Turing,020 7946 0999\n")
PRODUCERS = ["soffice", "zip", "7z", "qpdf", "tar", "gzip", "xz", "bzip2", "zstd", "openssl"]


def missing_producers():
    return [p for p in PRODUCERS if shutil.which(p) is None]


def run(*args, cwd, **kw):
    subprocess.run(list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=180, **kw)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def private_key(cwd):
    run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024",
        "-out", "key.pem", cwd=cwd)
    with open(os.path.join(cwd, "key.pem")) as f:
        return f.read()


def html_doc(title, body, pre=False):
    inner = f"<pre>{html.escape(body)}</pre>" if pre else f"<p>{html.escape(body)}</p>"
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>{inner}</body></html>\n"


def soffice(cwd, target, files, infilter=None):
    """One LibreOffice start converts every file to target."""
    profile = "file://" + os.path.join(cwd, ".lo-profile")
    args = ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore"]
    if infilter:
        args.append(f"--infilter={infilter}")
    run(*args, "--convert-to", target, *files, cwd=cwd)


def mail(cwd, name, body, attachment=None):
    msg = email.message.EmailMessage()
    msg["From"] = "Ada <ada@example.org>"
    msg["To"] = "bob@example.org"
    msg["Subject"] = "Quarterly papers"
    msg.set_content(body)
    if attachment:
        with open(os.path.join(cwd, attachment), "rb") as f:
            msg.add_attachment(f.read(), maintype="application", subtype="octet-stream",
                               filename=os.path.basename(attachment))
    with open(os.path.join(cwd, name), "wb") as f:
        f.write(bytes(msg))


def zip_bomb(cwd):
    """Three levels of zip: ten copies of ten copies of 100 MB of zeros (10 GB)."""
    with open(os.path.join(cwd, "zeros.bin"), "wb") as f:
        f.truncate(100 << 20)
    run("zip", "-q", "-9", "l1.zip", "zeros.bin", cwd=cwd)
    os.remove(os.path.join(cwd, "zeros.bin"))
    for level in (2, 3):
        names = []
        for i in range(10):
            names.append(f"l{level - 1}-{i}.zip")
            shutil.copy(os.path.join(cwd, f"l{level - 1}.zip"), os.path.join(cwd, names[-1]))
        run("zip", "-q", "-0", f"l{level}.zip", *names, cwd=cwd)
        for n in names:
            os.remove(os.path.join(cwd, n))
    os.rename(os.path.join(cwd, "l3.zip"), os.path.join(cwd, "bomb.zip"))


def build(out):
    os.makedirs(out, exist_ok=True)
    key = private_key(out)
    texts = {"key": (key, True), "cards": (CARDS, False), "secret": (SECRET, False),
             "harmless": (OTHER, False)}
    for name, (body, pre) in texts.items():
        write(os.path.join(out, name + ".html"), html_doc(name.title(), body, pre))
    htmls = [n + ".html" for n in texts]
    for target in ("docx:MS Word 2007 XML", "odt", "rtf:Rich Text Format", "pdf", "docm:MS Word 2007 XML VBA"):
        soffice(out, target, htmls)
    write(os.path.join(out, "people.csv"), PEOPLE_CSV)
    write(os.path.join(out, "cardsheet.csv"), "what,number\nmain card,4111 1111 1111 1111\nbackup,5500 0000 0000 0004\n")
    write(os.path.join(out, "plainsheet.csv"), "plant,month\nroses,March\ntulips,October\n")
    # Empty cells: a sparse row keeps its columns (the EDM reader takes them by position).
    write(os.path.join(out, "sparse.csv"), SPARSE_CSV)
    sheets = ["people.csv", "cardsheet.csv", "plainsheet.csv", "sparse.csv"]
    for target in ("xlsx", "ods"):
        soffice(out, target, sheets)
    for target in ("pptx", "odp"):
        soffice(out, target, ["key.pdf", "harmless.pdf"], infilter="impress_pdf_import")
    # Archives: the nesting the issue names (an .xlsx in a .zip in a .tar.gz), every
    # compressor, and encryption by zip, 7z (data, and headers too) and qpdf.
    q3 = os.path.join(out, "q3")
    os.makedirs(q3, exist_ok=True)
    shutil.copy(os.path.join(out, "people.xlsx"), os.path.join(q3, "customers.xlsx"))
    shutil.copy(os.path.join(out, "harmless.docx"), os.path.join(q3, "notes.docx"))
    run("zip", "-q", "-r", "bundle.zip", "q3", cwd=out)
    run("tar", "czf", "nested.tar.gz", "bundle.zip", cwd=out)
    run("zip", "-q", "harmless.zip", "harmless.docx", "plainsheet.xlsx", cwd=out)
    run("7z", "a", "-bd", "key.7z", "key.docx", cwd=out)
    run("zip", "-q", "-P", "s3cret", "enc.zip", "key.docx", cwd=out)
    run("7z", "a", "-bd", "-ps3cret", "enc.7z", "key.docx", cwd=out)
    run("7z", "a", "-bd", "-ps3cret", "-mhe=on", "enc-headers.7z", "key.docx", cwd=out)
    run("qpdf", "--encrypt", "user-pw", "owner-pw", "256", "--", "key.pdf", "enc.pdf", cwd=out)
    shutil.copy(os.path.join(out, "cardsheet.csv"), os.path.join(out, "cards.csv"))
    run("gzip", "-kf", "cards.csv", cwd=out)
    write(os.path.join(out, "key.txt"), key)
    run("xz", "-kf", "key.txt", cwd=out)
    run("tar", "cjf", "key.tar.bz2", "key.txt", cwd=out)
    run("tar", "--zstd", "-cf", "key.tar.zst", "key.odt", cwd=out)
    mail(out, "key-attached.eml", OTHER, attachment="key.docx")
    mail(out, "harmless.eml", OTHER)
    zip_bomb(out)


def ensure(build_dir):
    out = os.path.abspath(os.path.join(build_dir, "tests", "extract-fixtures"))
    with open(os.path.abspath(__file__), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(out, ".stamp")
    if os.path.exists(stamp) and open(stamp).read() == digest:
        return out
    shutil.rmtree(out, ignore_errors=True)
    build(out)
    write(stamp, digest)
    return out


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


if __name__ == "__main__":
    print(ensure(sys.argv[1]))
