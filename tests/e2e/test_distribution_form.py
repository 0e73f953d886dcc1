"""The distribution list ("Lista de difuzare") of an approved revision: its people come
from notifications' acknowledgement report."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.e2e.test_document_control import acknowledge_when_asked, approve_fully, uploaded
from tests.e2e.test_forms import both


def test_the_distribution_list_names_the_people_of_the_distribution_departments(login):
    document, version = uploaded(login, distribution=("DJ", "RP"))
    approve_fully(login, version["id"])
    # one of the people on the list confirms once it waits for them (the list opens when
    # notifications hears the revision came into force); the form shows the date received
    # for them only
    acknowledge_when_asked(login("radu.munteanu"), version["id"])
    today = datetime.now(ZoneInfo("Europe/Bucharest")).strftime("%d.%m.%Y")
    for text in both(login("ana.popescu"), f"/api/versions/{version['id']}/forms/difuzare"):
        assert "Lista cuprinzând persoanele la care se difuzează" in text
        assert document["code"] in text and "Ediția I, Revizia 0" in text
        for name, function in (("Radu Munteanu", "Consilier juridic"),
                               ("Andrei Nistor", "Referent registratură"),
                               ("Maria Ilie", "Șef serviciu")):
            assert name in text and function in text, (name, text)
        assert "aplicare" in text and "Confirmări: 1 din" in text
        assert "confirmat electronic" in text and "neconfirmat" in text, text
        assert today in text.split("Radu Munteanu", 1)[1].split("Generat de", 1)[0], text
