"""The signing chain's vocabulary (services/contracts/signing.py) agrees with the policy
file, the events, the statuses and the words the web interface has always shown."""
import pytest

from services.contracts import events, signing
from services.contracts.models import RevisionStatus, Role

# the Romanian catalog's translations of the chain's labels when they moved into the
# vocabulary (locale/ro/LC_MESSAGES/messages.po): the interface must keep saying these
ROMANIAN = {
    "Submit for verification": "Trimite la verificare", "Verify": "Verifică",
    "Give opinion": "Dă avizul", "Endorse": "Avizează", "Approve": "Aprobă",
    "Reject": "Respinge", "Withdraw": "Retrage",
    "In verification": "În verificare", "In endorsement": "În avizare",
    "In approval": "În aprobare",
    "Elaborated by": "Elaborat de", "Verified by": "Verificat de",
    "Opinion of": "Aviz de la", "Endorsed by": "Avizat de", "Approved by": "Aprobat de",
    "Rejected by": "Respins de", "Withdrawn by": "Retras de",
    "submitted": "trimitere la verificare", "verified": "verificare", "opinion": "aviz",
    "endorsed": "avizare", "approved": "aprobare", "rejected": "respingere",
    "withdrawn": "retragere",
}


def test_every_step_of_the_policy_file_has_a_term():
    config = signing.read_config(signing.CHAINS_FILE)
    steps = signing.load_steps(signing.CHAINS_FILE)
    assert [s.action for s in steps] == [s["id"] for s in config["workflows"]["default"]["steps"]]
    for step in steps:
        assert signing.term_for_action(step.action) in signing.STEPS
        assert step.status == signing.term_for_action(step.action).status
    for workflow in config["workflows"].values():
        assert {s["id"] for s in workflow["steps"]} <= set(signing.STEP_EVENTS)


def test_every_event_of_a_term_is_a_published_event_and_every_status_a_revision_status():
    for term in signing.TERMS:
        assert term.event is None or term.event in events.ALL_EVENTS, term.action
        assert term.status is None or term.status in RevisionStatus, term.action
    assert all(term.status is not None for term in signing.STEPS)


def test_the_actions_keep_the_order_of_the_published_api():
    assert signing.ACTIONS == ("submit", "verify", "opinion", "endorse", "approve",
                               "reject", "withdraw")
    assert set(signing.ACTIONS) == {term.action for term in signing.TERMS}
    assert len(set(signing.TERMS)) == len(signing.ACTIONS)


def test_the_lists_derived_from_the_steps():
    assert signing.STEP_EVENTS == {"verify": "version_verified",
                                   "endorse": "version_endorsed",
                                   "approve": "version_approved"}
    assert signing.STEP_EVENT_TYPES == ("version_verified", "version_endorsed",
                                        "version_approved")
    assert [s.value for s in signing.WAITING_STATUSES] == [
        "in_verification", "in_endorsement", "in_approval", "in_review"]
    assert [s.value for s in signing.WORK_STATUSES] == [
        "draft", "in_verification", "in_endorsement", "in_approval", "in_review", "approved"]
    assert signing.term_for_status("in_endorsement") is signing.ENDORSE
    assert signing.term_for_status(RevisionStatus.IN_FORCE) is None
    assert signing.term_for_action("opinion") is signing.OPINION
    assert signing.term_for_action("sign") is None


def test_the_labels_are_the_words_the_interface_has_always_shown():
    labels = {term.labels[kind]["en"]: term.labels[kind]["ro"]
              for term in signing.TERMS for kind in term.labels}
    assert labels == ROMANIAN
    assert all(set(term.labels) <= set(signing.LABEL_KINDS) for term in signing.TERMS)
    assert [(t.form_operation, t.action) for t in (signing.SUBMIT, *signing.STEPS)] == [
        ("Elaborat", "submit"), ("Verificat", "verify"), ("Avizat", "endorse"),
        ("Aprobat", "approve")]


def _config(**verify):
    return {"steps": {"verify": {"status": "in_verification", "role": "verifier", **verify}},
            "chains": {"default": ["verify"]}}


def test_the_policy_of_a_step_comes_from_the_file():
    (step,) = signing.step_policies(_config(own_department=True)).values()
    assert (step.action, step.status, step.role, step.own_department, step.opinions) == (
        "verify", RevisionStatus.IN_VERIFICATION, Role.VERIFIER, True, False)
    assert step.event == "version_verified" and step.term is signing.VERIFY


def test_a_step_the_vocabulary_lacks_is_refused():
    config = _config()
    config["steps"]["no_such_step"] = {"status": "in_verification", "role": "verifier"}
    with pytest.raises(ValueError, match=r"unknown steps \['no_such_step'\]"):
        signing.step_policies(config)


def test_a_step_waiting_in_another_status_than_its_term_is_refused():
    with pytest.raises(ValueError, match="verify waits in in_verification, not in_approval"):
        signing.step_policies(_config(status="in_approval"))


def test_the_web_interface_shows_the_labels_in_romanian_and_english():
    from services.gateway.ui import i18n, render

    i18n.translations.cache_clear()   # the catalogs as they are now, not as first read
    romanian, english = i18n.translations("ro"), i18n.translations("en")
    for en, ro in ROMANIAN.items():
        assert romanian.gettext(en) == ro
        assert english.gettext(en) == en
    ro_page = render.context("ro")
    assert ro_page["status_label"]("in_endorsement") == "În avizare"
    assert ro_page["action_label"]("endorse") == "Avizează"
    assert ro_page["signed_label"]("endorse") == "Avizat de"
    assert ro_page["audit_label"]("version_endorsed") == "avizare"
    assert render.context("en")["audit_label"]("opinion") == "opinion"


def test_a_waiting_revision_wears_the_waiting_badge():
    from services.gateway.ui import render

    assert render.badge("in_endorsement") == "badge badge-in_endorsement badge-waiting"
    assert render.badge("in_force") == "badge badge-in_force"
    assert render.badge("draft") == "badge badge-draft"
