"""The one confidentiality rule (services/contracts/confidentiality.py): what it says, and
that the services ask it rather than a copy of it."""
import subprocess
import sys
import uuid

from services.contracts.confidentiality import holders, may_read
from services.contracts.events import DocumentUpdated
from services.contracts.models import Role
from tests.helpers import document, user


def test_confidential_documents_are_read_only_by_their_list_owner_and_quality_office():
    secret = document(owner_department="AUD", distribution=["PRIMAR"], confidential=True)
    assert holders(secret) == {"AUD", "PRIMAR"}
    assert may_read(user("PRIMAR"), secret)
    assert may_read(user("AUD"), secret)                    # owner, not on its list
    assert may_read(user("SMC", Role.QMS_ADMIN), secret)
    assert not may_read(user("DJ", Role.VERIFIER, Role.APPROVER, Role.AUTHOR), secret)
    assert may_read(user("DJ"), document())


def test_the_rule_reads_an_events_facts_as_it_reads_a_document():
    facts = DocumentUpdated(document_id=uuid.uuid4(), code="PO-AUD-01", title="t", type="PO",
                            owner_department="AUD", distribution=["PRIMAR"], confidential=True,
                            changed=["confidential"], updated_by="x")
    assert may_read(user("PRIMAR"), facts) and not may_read(user("SG"), facts)


def test_documents_and_notifications_ask_the_one_rule():
    from services.contracts import confidentiality
    from services.documents import service as documents
    from services.documents.use_cases import reading, signing
    from services.notifications import service as notifications

    for module in (reading, signing, documents, notifications):
        assert module.may_read is confidentiality.may_read, module.__name__
    import services.documents.domain as domain
    import services.notifications.domain as told
    assert not hasattr(domain, "may_read") and not hasattr(told, "may_receive")


def test_the_rule_imports_no_nameko():
    code = ("import sys, services.contracts.confidentiality; "
            "sys.exit(any(m.startswith('nameko') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_notifications_follow_an_event_whose_facts_are_no_longer_the_registers():
    from services.notifications.use_cases.feed import access_changed

    def facts(distribution=("DJ", "RP"), confidential=False, title="t"):
        return DocumentUpdated(document_id=uuid.UUID(int=1), code="PO-DJ-01", title=title,
                               type="PO", owner_department="DJ", distribution=list(distribution),
                               confidential=confidential, changed=[], updated_by="x")
    assert not access_changed(facts(), facts(distribution=("RP", "DJ"), title="nou"))
    assert access_changed(facts(), facts(confidential=True))
    assert access_changed(facts(), facts(distribution=("DJ",)))
