"""Every action the audit trail records, by area.

`record` takes only members of `Action`, so that a new action is declared here, once, where the
data protection officer's filter (the audit page) finds it too. The values are what the rows
store: never change one, or older rows stop matching; add new members instead.
"""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class Action(StrEnum):
    # Accounts: signing in and out (accounts.signals, accounts.oidc).
    LOGIN = "account.login"
    LOGOUT = "account.logout"
    LOGIN_FAILED = "account.login_failed"
    LOCKED_OUT = "account.locked_out"
    OIDC_REFUSED = "account.oidc_refused"

    # Accounts: second factor, its invitations and enrolment (accounts.enrolment, accounts.views).
    ENROLMENT_INVITED = "account.enrolment_invited"
    ENROLMENT_INVITATION_REVOKED = "account.enrolment_invitation_revoked"
    ENROLMENT_LINK_OPENED = "account.enrolment_link_opened"
    ENROLMENT_LINK_REFUSED = "account.enrolment_link_refused"
    ENROLMENT_REFUSED = "account.enrolment_refused"
    TOTP_ENROLLED = "account.totp_enrolled"
    TOTP_ENROL_FAILED = "account.totp_enrol_failed"
    VERIFIED = "account.verified"
    VERIFY_FAILED = "account.verify_failed"
    VERIFY_THROTTLED = "account.verify_throttled"

    # Accounts: self sign-up and password reset (accounts.signup).
    SIGNED_UP = "account.signed_up"
    SIGNUP_EXISTING_ADDRESS = "account.signup_existing_address"
    SIGNUP_VERIFICATION_SENT = "account.signup_verification_sent"
    SIGNUP_VERIFIED = "account.signup_verified"
    SIGNUP_LINK_REFUSED = "account.signup_link_refused"
    PASSWORD_RESET_REQUESTED = "account.password_reset_requested"
    PASSWORD_RESET_DONE = "account.password_reset_done"

    # Administration: any add, change or delete made through the admin (audit.admin).
    ADMIN_ADD = "admin.add"
    ADMIN_CHANGE = "admin.change"
    ADMIN_DELETE = "admin.delete"

    # Catalogue: entries, versions and their workflow, lake data, statistics.
    DATASET_CREATED = "catalogue.dataset_created"
    DATASET_EDITED = "catalogue.dataset_edited"
    DESCRIPTIONS_EDITED = "catalogue.descriptions_edited"
    VERSION_IMPORTED = "catalogue.version_imported"
    VERSION_SUBMITTED = "catalogue.version_submitted"
    VERSION_SENT_BACK = "catalogue.version_sent_back"
    VERSION_PUBLISHED = "catalogue.version_published"
    VERSION_ARCHIVED = "catalogue.version_archived"
    LAKE_ATTACHED = "catalogue.lake_attached"
    STATISTICS_REQUESTED = "catalogue.statistics_requested"

    # DCAT imports.
    DCAT_HOLDER_IMPORTED = "dcat.holder_imported"
    DCAT_DATASET_IMPORTED = "dcat.dataset_imported"
    DCAT_DATASET_UPDATED = "dcat.dataset_updated"

    # Feasibility: cohorts, counts, enquiries.
    COHORT_CREATED = "feasibility.cohort_created"
    COHORT_UPDATED = "feasibility.cohort_updated"
    COHORT_DELETED = "feasibility.cohort_deleted"
    COUNT_REQUESTED = "feasibility.count_requested"
    COUNT_REFUSED = "feasibility.count_refused"
    COHORT_COUNTED = "feasibility.cohort_counted"
    COUNT_FAILED = "feasibility.count_failed"
    ENQUIRY_OPENED = "feasibility.enquiry_opened"
    ENQUIRY_REPLIED = "feasibility.enquiry_replied"

    # Search.
    SEARCH_INDEX_REBUILT = "search.index_rebuilt"

    # guichet
    GUICHET_CREATED = "guichet.file_created"
    GUICHET_EDITED = "guichet.file_edited"
    GUICHET_DELETED = "guichet.draft_deleted"
    GUICHET_STEP = "guichet.step"  # a step of the procedure, with before and after
    GUICHET_CALENDAR = "guichet.calendar"  # a deadline's lapse or an end date, stored
    GUICHET_REFUSED = "guichet.step_refused"  # a step the procedure or the permissions refused
    GUICHET_ATTACHED = "guichet.attachment_added"
    GUICHET_DETACHED = "guichet.attachment_removed"
    GUICHET_DOWNLOADED = "guichet.attachment_read"
    GUICHET_MESSAGE = "guichet.message"
    GUICHET_NOTE = "guichet.internal_note"
    GUICHET_SCHEDULED = "guichet.scheduled"  # on a CESREES session's agenda, with its rapporteur
    GUICHET_SESSION = "guichet.session_changed"
    GUICHET_INTEREST = "guichet.interest_declared"
    GUICHET_RESULT = "guichet.result_added"
    GUICHET_REMINDER = "guichet.reminder_sent"

    # Workspaces: provisioning, access, jobs (workspaces.lifecycle, tasks, views).
    WORKSPACE_STATE = "workspace.state_changed"  # opened, suspended, reopened, closed with the file
    WORKSPACE_EXTRACTION_QUEUED = "workspace.extraction_queued"
    WORKSPACE_EXTRACTION_RESUMED = "workspace.extraction_resumed"  # its worker died: queued again
    WORKSPACE_PROVISIONED = "workspace.provisioned"
    WORKSPACE_PROVISIONING_FAILED = "workspace.provisioning_failed"
    WORKSPACE_DATA_DELETED = "workspace.data_deleted"  # retention ended
    WORKSPACE_ENTERED = "workspace.entered"
    WORKSPACE_REFUSED = "workspace.access_refused"
    WORKSPACE_TABLE_READ = "workspace.table_read"
    WORKSPACE_JOB_QUEUED = "workspace.job_queued"
    WORKSPACE_JOB_FINISHED = "workspace.job_finished"
    # Workspaces' pages (workspaces.views): a member's script added to the files.
    WORKSPACE_FILE_ADDED = "workspace.file_added"

    # The audit trail itself: exports read by the security officer, pruning (audit.trail).
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_PRUNED = "audit.pruned"

    # Citizens' objections and their withdrawal (objections.services): detail holds receipts only.
    OBJECTION_RECEIVED = "objection.received"
    OBJECTION_ACCEPTED = "objection.accepted"
    OBJECTION_REJECTED = "objection.rejected"
    OBJECTION_WITHDRAWAL_RECEIVED = "objection.withdrawal_received"
    OBJECTION_WITHDRAWN = "objection.withdrawn"

    # The airlock: release requests, their reviews, downloads and results (airlock.flow, views).
    AIRLOCK_REQUESTED = "airlock.requested"
    AIRLOCK_FILES_REPLACED = "airlock.files_replaced"  # changes made: the next round opens
    AIRLOCK_REVIEWED = "airlock.reviewed"
    AIRLOCK_APPROVED = "airlock.approved"
    AIRLOCK_REJECTED = "airlock.rejected"
    AIRLOCK_REFUSED = "airlock.refused"  # a review, page or file refused, with the reason
    AIRLOCK_DOWNLOADED = "airlock.downloaded"
    AIRLOCK_PUBLISHED = "airlock.published"  # an approved file made a result in the register
    AIRLOCK_COPIES_DELETED = "airlock.copies_deleted"  # with the workspace's data: all but released
