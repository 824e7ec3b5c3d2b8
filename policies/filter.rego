# Response policy (the claims proxy): what of the backend's answer the caller
# may see. Input: {method, path, rawPath, token, response: {status, headers,
# body}}. Result: the body to send; undefined = withheld (the client gets 403,
# never a 200 with data silently missing).
#
# The route and the caller come from acme.authz, evaluated on the same
# method/path/token, so both phases interpret the request identically.
package acme.filter

api := data.acme.api

route := data.acme.authz.route

target := data.acme.authz.target

caller_id := data.acme.authz.caller_id

record := input.response.body

success if {
	input.response.status >= 200
	input.response.status < 300
}

client_error if {
	input.response.status >= 400
	input.response.status < 500
}

# The body is the record the route asked for (not some other record).
is_target_record if {
	is_object(record)
	is_string(record.enrolleeId)
	record.enrolleeId == target
}

# ---------------------------------------------------------------------------
# Who is reading (ACME.md response rules 1-3). Mutually exclusive: own wins.

# 1. Own record.
own if {
	success
	is_target_record
	record.enrolleeId == caller_id
}

# 2. A primary reading a dependant of their own family who is a minor, or an
#    adult who signed the waiver.
family_view if {
	success
	is_target_record
	not own
	data.acme.authz.is_primary
	record.enrolleePrimaryId == caller_id
	dependant_visible
}

# The age must be a number: in Rego null, false and true sort before every
# number, so an unknown age (null) would otherwise count as a minor.
dependant_visible if {
	is_number(record.enrolleeAge)
	record.enrolleeAge < api.adult_age
}

dependant_visible if {
	is_number(record.enrolleeAge)
	record.enrolleeAge >= api.adult_age
	record.canPrimaryViewClaims == true
}

# 3. Audit clients.
audit_view if {
	success
	is_target_record
	not own
	not family_view
	route.action == "read_record"
	data.acme.authz.is_auditor
}

# A primary who wrote a claim for a dependant they may not read (adult, no
# waiver) gets an acknowledgement only, never the record.
write_ack if {
	success
	is_target_record
	not own
	not family_view
	route.action in {"submit_claim", "update_claim"}
	target in data.acme.authz.dependants
}

# Backend 4xx messages only for ids the caller may know about.
error_view if {
	client_error
	is_object(record)
	is_string(record.message)
	knows_target
}

knows_target if target == caller_id

knows_target if target in data.acme.authz.dependants

knows_target if data.acme.authz.is_auditor

# ---------------------------------------------------------------------------
# Views.

# memberSsn masked to the last four digits.
masked_ssn := concat("", ["***-**-", substring(record.memberSsn, count(record.memberSsn) - 4, 4)]) if {
	is_string(record.memberSsn)
	count(record.memberSsn) >= 4
}

own_body := object.union(record, {"memberSsn": masked_ssn}) if masked_ssn

own_body := record if not record.memberSsn

claim_list := record.enrolleeClaimSummaryList if is_array(record.enrolleeClaimSummaryList)

claim_list := [] if not is_array(record.enrolleeClaimSummaryList)

# `procedure` removed from every claim and `memberSsn` removed.
redacted_body := object.union(
	object.remove(record, {"memberSsn", "enrolleeClaimSummaryList"}),
	{"enrolleeClaimSummaryList": [object.remove(c, {"procedure"}) | some c in claim_list]},
)

response := own_body if own

response := redacted_body if family_view

response := redacted_body if audit_view

response := {"enrolleeId": record.enrolleeId, "accepted": true} if write_ack

response := {"message": record.message} if error_view
