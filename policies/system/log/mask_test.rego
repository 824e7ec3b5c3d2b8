package system.log_test

import data.system.log

own_record_event := {
	"path": "acme/filter/response",
	"input": {"response": {"status": 200, "body": {
		"enrolleeId": "1001",
		"memberSsn": "123-45-6789",
		"enrolleeClaimSummaryList": [{"claimId": "C-1", "procedure": "X-ray"}, {"claimId": "C-2"}],
	}}},
	"result": {"enrolleeId": "1001", "memberSsn": "***-**-6789", "enrolleeClaimSummaryList": [{"claimId": "C-1", "procedure": "X-ray"}]},
}

test_erases_the_backend_ssn_and_procedures if {
	masks := log.mask with input as own_record_event
	"/input/response/body/memberSsn" in masks
	"/input/response/body/enrolleeClaimSummaryList/0/procedure" in masks
	not "/input/response/body/enrolleeClaimSummaryList/1/procedure" in masks
	"/result/enrolleeClaimSummaryList/0/procedure" in masks
}

test_upserts_a_marker_for_the_shown_ssn if {
	masks := log.mask with input as own_record_event
	{"op": "upsert", "path": "/result/memberSsn", "value": "**REDACTED**"} in masks
}

test_request_phase_has_nothing_to_mask if {
	masks := log.mask with input as {"path": "acme/authz/decision", "input": {"method": "GET", "path": ["v1"]}, "result": {"allow": true}}
	count(masks) == 0
}
