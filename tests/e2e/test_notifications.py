"""Who is told what, as the signing chain moves (the feed through the gateway)."""
from __future__ import annotations

from procedura_cli.docgen import docx_bytes
from tests.e2e.test_walking_skeleton import BODY, DOCX, register, unique_code
from tests.testenv import eventually


def kinds_for(client, version_id):
    return {i["kind"] for i in client.get("/api/feed", limit=200)["items"]
            if i["version_id"] == version_id}


def test_each_step_reaches_the_next_signers_and_the_end_reaches_the_distribution(login):
    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=("DJ", "RP"))
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    vid = version["id"]

    author.act(vid, "submit")
    eventually(lambda: "version_submitted" in kinds_for(login("stefan.ionescu"), vid))
    login("stefan.ionescu").act(vid, "verify")
    eventually(lambda: "version_verified" in kinds_for(login("mihai.tudose"), vid))
    eventually(lambda: "version_verified" in kinds_for(login("maria.ilie"), vid))  # RP opinion
    login("mihai.tudose").act(vid, "reject", "Lipsește diagrama de proces")
    rejected = eventually(lambda: [i for i in author.get("/api/feed", limit=200)["items"]
                                   if i["version_id"] == vid
                                   and i["kind"] == "version_rejected"])
    assert "Lipsește diagrama de proces" in rejected[0]["message"]

    author.act(vid, "submit")
    login("stefan.ionescu").act(vid, "verify")
    login("mihai.tudose").act(vid, "endorse")
    eventually(lambda: "version_endorsed" in kinds_for(login("ioana.stanescu"), vid))
    login("daniel.balan").act(vid, "approve")
    eventually(lambda: {"version_approved", "version_in_force"}
               <= kinds_for(login("radu.munteanu"), vid))
    # nobody outside the chain and the list hears of it
    assert kinds_for(login("livia.grigore"), vid) == set()
    assert "version_in_force" not in kinds_for(login("ioana.stanescu"), vid)   # SG not listed


def test_the_feed_counts_unread_items_and_marks_them_read(login):
    author = login("ana.popescu")
    document = register(author, unique_code(), distribution=("DJ",))
    version = author.upload(document["id"], "p.docx", docx_bytes("p", BODY), "", DOCX)
    author.act(version["id"], "submit")
    head = login("stefan.ionescu")
    item = eventually(lambda: [i for i in head.get("/api/feed", kind="version_submitted")[
        "items"] if i["version_id"] == version["id"]])[0]
    assert item["read"] is False
    unread = head.get("/api/feed")["unread"]
    assert unread >= 1
    assert head.post(f"/api/feed/{item['id']}/read")["read"] is True
    assert head.get("/api/feed")["unread"] == unread - 1
    assert head.post("/api/feed/read-all")["marked"] == unread - 1
    assert head.get("/api/feed")["unread"] == 0
    response = login("radu.munteanu").request("POST", f"/api/feed/{item['id']}/read")
    assert response.status_code == 404           # someone else's item
