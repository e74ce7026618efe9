"""Closed vocabularies of the rulebook and of the service's answers."""

from enum import StrEnum


class Verification(StrEnum):
    VERIFIED = "verified"
    PARTLY = "partly"
    UNVERIFIED = "unverified"


class DayKind(StrEnum):
    CALENDAR = "calendar"
    BUSINESS = "business"
    MONTH = "month"


class ConsentModel(StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class Audience(StrEnum):
    REGULATOR = "regulator"
    INDIVIDUALS = "individuals"


class ClockTier(StrEnum):
    """Which incidents a breach clock applies to (see the rules.yaml header)."""

    ANY = "any"
    NORMAL = "normal"
    MAJOR = "major"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"


class ClockBasis(StrEnum):
    LAW = "law"
    GUIDANCE = "guidance"
    ENGINEERING_DEFAULT = "engineering_default"


class CountedFrom(StrEnum):
    AWARENESS = "awareness"
    INDIVIDUALS_NOTICE = "individuals_notice"


class Right(StrEnum):
    ACCESS = "access"
    COPY = "copy"
    CONFIRMATION_OF_PROCESSING = "confirmation_of_processing"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    ANONYMISATION_BLOCKING = "anonymisation_blocking"
    RESTRICTION = "restriction"
    PORTABILITY = "portability"
    OBJECTION = "objection"
    WITHDRAW_CONSENT = "withdraw_consent"
    AUTOMATED_DECISION = "automated_decision"
    EXPLANATION = "explanation"
    DECEASED_RELATIVES = "deceased_relatives"
    INFO_ON_SHARING = "info_on_sharing"
    OPT_OUT_SALE = "opt_out_sale"
    OPT_OUT_SHARING = "opt_out_sharing"
    OPT_OUT_TARGETED_ADS = "opt_out_targeted_ads"
    OPT_OUT_PROFILING = "opt_out_profiling"
    OPT_OUT_DIRECT_MARKETING = "opt_out_direct_marketing"
    LIMIT_SENSITIVE = "limit_sensitive"
    NON_DISCRIMINATION = "non_discrimination"
    ANONYMITY_PSEUDONYMITY = "anonymity_pseudonymity"
    DE_INDEXATION = "de_indexation"
    PARENTAL_REVIEW = "parental_review"
    PARENTAL_DELETE = "parental_delete"
    PARENTAL_REFUSE_FURTHER_COLLECTION = "parental_refuse_further_collection"
    GRIEVANCE_REDRESSAL = "grievance_redressal"
    NOMINATE = "nominate"
    APPEAL = "appeal"
    COMPLAINT = "complaint"


class TransferRoute(StrEnum):
    EXEMPT = "exempt"
    STANDARD_CONTRACT_OR_CERTIFICATION = "standard_contract_or_certification"
    SECURITY_ASSESSMENT = "security_assessment"
