# Unit tests of the response policy (ACME.md "Response policy", rules 1-5),
# with the backend's sample records.
package acme.filter_test

import data.acme.filter

claims_list := [
	{"claimId": "C-1", "claimStatus": "Paid", "claimStatusCode": "P", "dateOfService": "2024-01-05", "provider": "Acme Clinic", "enrolleeResponsibilityAmount": 20, "procedure": "Annual physical"},
	{"claimId": "C-2", "claimStatus": "Open", "claimStatusCode": "O", "dateOfService": "2024-02-11", "provider": "Acme Labs", "enrolleeResponsibilityAmount": 0, "procedure": "Blood panel"},
]

person(id, primary, type, age, waiver, ssn) := {
	"enrolleeId": id, "enrolleePrimaryId": primary, "enrolleeType": type,
	"enrolleeName": concat(" ", ["Member", id]), "enrolleeAge": age,
	"canPrimaryViewClaims": waiver, "memberSsn": ssn,
	"enrolleeClaimSummaryList": claims_list,
}

alice_record := person("1001", "1001", "primary", 32, true, "123-45-6789")

bob_record := person("1002", "1001", "secondary", 50, true, "234-56-7890")

john_record := person("1003", "1001", "secondary", 15, false, "345-67-8901")

jane_record := person("1004", "1001", "secondary", 21, false, "456-78-9012")

carol_record := person("2001", "2001", "primary", 45, true, "567-89-0123")

dan_record := person("2002", "2001", "secondary", 12, false, "678-90-1234")

member(id, type, deps) := {
	"payload": {"sub": concat("", ["member-", id]), "cid": "0oa-acme-portal", "uid": concat("", ["00u", id]), "enrolleeId": id, "enrolleeType": type, "dependants": deps, "scp": ["claims:read", "claims:write"]},
	"scopes": ["claims:read", "claims:write"],
}

alice := member("1001", "primary", ["1002", "1003", "1004"])

auditor := {"payload": {"sub": "0oa-audit", "cid": "0oa-audit", "scp": ["claims:audit", "claims:read"]}, "scopes": ["claims:audit", "claims:read"]}

get(id, token, status, body) := {
	"method": "GET", "path": ["v1", "claims", "enrollee", id], "token": token,
	"response": {"status": status, "headers": {"content-type": "application/json"}, "body": body},
}

no_procedures(body) if {
	every c in body.enrolleeClaimSummaryList {
		not c.procedure
	}
}

# --- rule 1: own record -------------------------------------------------------

test_alice_gets_her_own_record_with_procedures if {
	body := filter.response with input as get("1001", alice, 200, alice_record)
	body.enrolleeClaimSummaryList == claims_list
	body.enrolleeName == alice_record.enrolleeName
}

test_own_record_masks_ssn_to_last_four if {
	body := filter.response with input as get("1001", alice, 200, alice_record)
	body.memberSsn == "***-**-6789"
}

# Alice's own record has canPrimaryViewClaims=true: own wins, no conflict (rule 5).
test_own_wins_over_family_view if {
	body := filter.response with input as get("1001", alice, 200, alice_record)
	body.enrolleeClaimSummaryList[0].procedure == "Annual physical"
}

# --- rule 2: family -----------------------------------------------------------

test_alice_reads_bob_adult_with_waiver_without_procedures if {
	body := filter.response with input as get("1002", alice, 200, bob_record)
	no_procedures(body)
	count(body.enrolleeClaimSummaryList) == 2
	not body.memberSsn
}

test_alice_reads_john_minor_without_procedures if {
	body := filter.response with input as get("1003", alice, 200, john_record)
	no_procedures(body)
	not body.memberSsn
	body.enrolleeClaimSummaryList[1].claimId == "C-2"
}

# --- rule 4: withheld ---------------------------------------------------------

test_alice_reading_jane_adult_without_waiver_is_withheld if {
	not filter.response with input as get("1004", alice, 200, jane_record)
}

test_alice_reading_carol_other_family_is_withheld if {
	not filter.response with input as get("2001", alice, 200, carol_record)
}

test_alice_reading_dan_other_family_minor_is_withheld if {
	not filter.response with input as get("2002", alice, 200, dan_record)
}

test_body_for_another_id_than_the_path_is_withheld if {
	not filter.response with input as get("1001", alice, 200, john_record)
}

test_secondary_reading_primary_record_is_withheld if {
	bob := member("1002", "secondary", [])
	not filter.response with input as get("1001", bob, 200, alice_record)
}

# --- rule 3: audit ------------------------------------------------------------

test_audit_client_gets_record_without_procedures_or_ssn if {
	body := filter.response with input as get("2002", auditor, 200, dan_record)
	no_procedures(body)
	not body.memberSsn
	body.enrolleeId == "2002"
}

# --- writes and errors --------------------------------------------------------

test_write_for_dependant_without_view_right_returns_acknowledgement_only if {
	inp := {
		"method": "POST", "path": ["v1", "claims", "enrollee", "1004"], "token": alice,
		"response": {"status": 201, "headers": {}, "body": jane_record},
	}
	body := filter.response with input as inp
	body == {"enrolleeId": "1004", "accepted": true}
}

test_backend_not_found_message_passes_for_own_id if {
	body := filter.response with input as get("1001", alice, 404, {"message": "enrollee not found", "detail": "x"})
	body == {"message": "enrollee not found"}
}

test_backend_not_found_for_unknown_family_is_withheld if {
	not filter.response with input as get("9999", alice, 404, {"message": "enrollee not found"})
}

test_non_json_body_is_withheld if {
	inp := {
		"method": "GET", "path": ["v1", "claims", "enrollee", "1001"], "token": alice,
		"response": {"status": 200, "headers": {"content-type": "text/html"}, "contentType": "text/html"},
	}
	not filter.response with input as inp
}

# --- rule 5: mutually exclusive views (no conflict errors) -------------------

test_member_with_audit_scope_reading_own_record_gets_own_view if {
	token := {
		"payload": {"sub": "member-1001", "cid": "0oa-acme-portal", "uid": "00u1001", "enrolleeId": "1001", "enrolleeType": "primary", "dependants": ["1003"], "scp": ["claims:audit", "claims:read"]},
		"scopes": ["claims:audit", "claims:read"],
	}
	body := filter.response with input as get("1001", token, 200, alice_record)
	body.memberSsn == "***-**-6789"
	body.enrolleeClaimSummaryList[0].procedure == "Annual physical"
}

test_primary_with_audit_scope_reading_minor_dependant_gets_one_redacted_view if {
	token := {
		"payload": {"sub": "member-1001", "cid": "0oa-acme-portal", "uid": "00u1001", "enrolleeId": "1001", "enrolleeType": "primary", "dependants": ["1003"], "scp": ["claims:audit", "claims:read"]},
		"scopes": ["claims:audit", "claims:read"],
	}
	body := filter.response with input as get("1003", token, 200, john_record)
	no_procedures(body)
	not body.memberSsn
}

test_backend_5xx_style_status_is_withheld if {
	not filter.response with input as get("1001", alice, 503, alice_record)
}

# --- hostile or sloppy backend data and token shapes -------------------------

test_dependant_with_unknown_age_and_no_waiver_is_withheld if {
	record := object.union(jane_record, {"enrolleeAge": null})
	not filter.response with input as get("1004", alice, 200, record)
}

test_dependant_with_non_numeric_age_and_no_waiver_is_withheld if {
	record := object.union(jane_record, {"enrolleeAge": false})
	not filter.response with input as get("1004", alice, 200, record)
}

test_primary_with_audit_scope_gets_nothing_from_another_family if {
	token := {
		"payload": {"sub": "member-1001", "cid": "0oa-acme-portal", "uid": "00u1001", "enrolleeId": "1001", "enrolleeType": "primary", "dependants": ["1003"], "scp": ["claims:audit", "claims:read"]},
		"scopes": ["claims:audit", "claims:read"],
	}
	not filter.response with input as get("2002", token, 200, dan_record)
}
