"""Search attributes the workflows keep current, so the Temporal UI can filter cases."""

from temporalio.common import SearchAttributeKey

CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
CASE_DEPARTMENT = SearchAttributeKey.for_keyword("CaseDepartment")
CASE_CATEGORY = SearchAttributeKey.for_keyword("CaseCategory")
CASE_OVERDUE = SearchAttributeKey.for_bool("CaseOverdue")

ALL = (CASE_STATUS, CASE_DEPARTMENT, CASE_CATEGORY, CASE_OVERDUE)
