"""Application files for the guichet's tests: a complete file per procedure, and the people who
act on it (`Desk`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

PARIS = ZoneInfo("Europe/Paris")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=PARIS)


def minimal_pdf() -> bytes:
    """A one-page PDF, as a real protocol would be (pypdf writes it)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def complete_file(applicant: Any, procedure: str = "authorisation", **fields: Any) -> Any:
    """A file with everything `completeness.missing` asks for, still a draft."""
    from hashlib import sha256

    from hygie.web.catalogue.models import Dataset
    from hygie.web.guichet.models import Application, Attachment, AttachmentKind, TeamMember

    values = dict(
        procedure=procedure, applicant=applicant, title="Metformin and cancer in type 2 diabetes",
        controller="CHU de Lille", purpose="Estimate the association.",
        public_interest="Drug safety.", lay_summary="Le diabète et le cancer.",
        methodology="Cohort study.", funding="ANR", conflicts_of_interest="None",
        publication_plan="Open access paper.", outputs="Aggregated tables.",
        processing="platform", period_start=date(2019, 1, 1), period_end=date(2022, 12, 31),
        variables=["ER_PRS_F.PRS_NAT_REF"], duration_months=24,
        reference_methodology="MR-004" if procedure == "reference-methodology" else "")
    values.update(fields)
    application = Application.objects.create(**values)
    application.datasets.add(Dataset.objects.get(slug="snds"))
    TeamMember.objects.create(application=application, name="Dr A. Investigator",
                              email="pi@example.org", role="investigator")
    pdf = minimal_pdf()
    kind = (AttachmentKind.CONFORMITY if procedure == "reference-methodology"
            else AttachmentKind.PROTOCOL)
    Attachment.objects.create(application=application, kind=kind, name="protocol.pdf",
                              file=ContentFile(pdf, name="protocol.pdf"),
                              content_type="application/pdf", size=len(pdf),
                              sha256=sha256(pdf).hexdigest(), uploaded_by=applicant)
    return application


@dataclass
class Desk:
    """The people of a review: an applicant, two secretariat agents, a CESREES member, a CNIL
    agent, a data holder's member, and an outsider with no part in any file."""

    applicant: Any
    secretariat: Any
    secretariat2: Any
    cesrees: Any
    cnil: Any
    holder: Any
    outsider: Any


def make_desk(make_user: Any) -> Desk:
    return Desk(applicant=make_user("applicant"),
                secretariat=make_user("agent", role="secretariat", totp=True),
                secretariat2=make_user("agent2", role="secretariat", totp=True),
                cesrees=make_user("rapporteur", role="cesrees", totp=True),
                cnil=make_user("cnilagent", role="cnil", totp=True),
                holder=make_user("holder", holder="cnam", totp=True),
                outsider=make_user("outsider"))


def on_agenda(application: Any, member: Any, day: str = "2026-01-20") -> Any:
    """Put the file on a CESREES session with `member` sitting and reporting."""
    from hygie.web.guichet.models import AgendaItem, Session

    session = Session.objects.create(date=date.fromisoformat(day), title="Plenary")
    session.members.add(member)
    return AgendaItem.objects.create(session=session, application=application, rapporteur=member)
