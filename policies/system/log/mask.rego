# Decision-log masking (OPA's system.log.mask): evaluated on each decision
# event before it is written; `input.input` is what the policy saw and
# `input.result` what it answered. Each element is a JSON pointer to erase,
# or {"op": "upsert"|"remove", "path": …, "value": …}. The functions also run
# a default mask that always removes credentials and the fields named in
# DECISION_LOG_ERASE_FIELDS; this policy is where a tenant says what else its
# response policy protects.
package system.log

body := input.input.response.body

# The SSN the backend sent (response phase).
mask contains "/input/response/body/memberSsn" if body.memberSsn

# Procedures are protected from everyone but the member (ACME.md response rules 2-3).
mask contains sprintf("/input/response/body/enrolleeClaimSummaryList/%d/procedure", [i]) if {
	some i, claim in body.enrolleeClaimSummaryList
	claim.procedure
}

mask contains sprintf("/result/enrolleeClaimSummaryList/%d/procedure", [i]) if {
	some i, claim in input.result.enrolleeClaimSummaryList
	claim.procedure
}

# The member's own view shows the last four digits; the log keeps a marker only.
mask contains {"op": "upsert", "path": "/result/memberSsn", "value": "**REDACTED**"} if input.result.memberSsn
