"""Download + md5 + extract against a tarball served from a loopback HTTP server."""
import functools
import hashlib
import http.server
import io
import tarfile
import threading

import pytest

from stages import download
from wsss.errors import BadInputError


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = b"2007_000032\n"
        info = tarfile.TarInfo("VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (served / "voc.tar").write_bytes(buf.getvalue())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hashlib.md5(buf.getvalue()).hexdigest()
    httpd.shutdown()


def test_fetch_verify_extract(server, tmp_path):
    url, md5 = server
    dest = tmp_path / "data"
    download.main(["--url", f"{url}/voc.tar", "--md5", md5, "--archive", str(dest / "voc.tar"),
                   "--dest", str(dest), "--marker", str(dest / ".ok")])
    assert (dest / "VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt").read_text() == "2007_000032\n"
    assert (dest / ".ok").is_file()


def test_checksum_mismatch_keeps_nothing(server, tmp_path):
    url, _ = server
    with pytest.raises(BadInputError, match="checksum mismatch"):
        download.fetch(f"{url}/voc.tar", tmp_path / "got" / "voc.tar", "0" * 32)
    assert list((tmp_path / "got").iterdir()) == []


def test_unreachable_url_says_what_to_do(server, tmp_path):
    url, md5 = server
    with pytest.raises(BadInputError, match="put it at"):
        download.fetch(f"{url}/missing.tar", tmp_path / "got" / "x.tar", md5)
    assert list((tmp_path / "got").iterdir()) == []
