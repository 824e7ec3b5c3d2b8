# Unit tests of the request policy (ACME.md "Request policy", rules 1-5).
package acme.authz_test

import data.acme.authz

member(id, type, scopes, deps) := {
	"payload": {
		"sub": concat("", ["member-", id]), "cid": "0oa-acme-portal", "uid": concat("", ["00u", id]),
		"enrolleeId": id, "enrolleeType": type, "dependants": deps,
		"scp": scopes,
	},
	"scopes": scopes,
}

alice := member("1001", "primary", ["claims:read", "claims:write"], ["1002", "1003", "1004"])

bob := member("1002", "secondary", ["claims:read", "claims:write"], [])

auditor := {"payload": {"sub": "0oa-audit", "cid": "0oa-audit", "scp": ["claims:audit", "claims:read"]}, "scopes": ["claims:audit", "claims:read"]}

record_path(id) := ["v1", "claims", "enrollee", id]

req(method, path, token) := {"method": method, "path": path, "token": token}

# --- rule 1: API product scopes ---------------------------------------------

test_read_without_claims_read_scope_is_insufficient_scope if {
	token := member("1001", "primary", ["claims:write"], [])
	d := authz.decision with input as req("GET", record_path("1001"), token)
	d.allow == false
	d.reason == "insufficient_scope"
	d.context.requiredScope == "claims:read"
}

test_write_without_claims_write_scope_is_insufficient_scope if {
	token := member("1001", "primary", ["claims:read"], [])
	d := authz.decision with input as req("POST", record_path("1001"), token)
	d.allow == false
	d.reason == "insufficient_scope"
	d.context.requiredScope == "claims:write"
}

test_unknown_route_is_denied if {
	d := authz.decision with input as req("GET", ["v1", "claims"], alice)
	d == {"allow": false, "reason": "unknown_route"}
}

test_unrouted_method_is_denied if {
	d := authz.decision with input as req("DELETE", record_path("1001"), alice)
	d.allow == false
	d.reason == "unknown_route"
}

# --- rule 2: reads ------------------------------------------------------------

test_alice_reads_her_own_record if {
	d := authz.decision with input as req("GET", record_path("1001"), alice)
	d.allow == true
	d.reason == "own_record"
}

test_primary_may_read_any_id_response_policy_finishes if {
	d := authz.decision with input as req("GET", record_path("2002"), alice)
	d.allow == true
	d.reason == "primary_family_read"
}

test_bob_reads_his_own_record if {
	d := authz.decision with input as req("GET", record_path("1002"), bob)
	d.allow == true
}

test_bob_secondary_cannot_read_alice if {
	d := authz.decision with input as req("GET", record_path("1001"), bob)
	d == {"allow": false, "reason": "not_own_record"}
}

test_token_without_enrollee_claims_cannot_read if {
	token := {"payload": {"sub": "0oa-svc", "cid": "0oa-svc", "scp": ["claims:read"]}, "scopes": ["claims:read"]}
	d := authz.decision with input as req("GET", record_path("1001"), token)
	d == {"allow": false, "reason": "not_a_member"}
}

# --- rule 3: writes -----------------------------------------------------------

test_primary_submits_claim_for_self if {
	d := authz.decision with input as req("POST", record_path("1001"), alice)
	d.allow == true
	d.reason == "own_write"
}

test_primary_updates_claim_of_listed_dependant if {
	d := authz.decision with input as req("PUT", ["v1", "claims", "enrollee", "1004", "claims", "C-1"], alice)
	d.allow == true
	d.reason == "dependant_write"
}

test_primary_cannot_write_for_another_family if {
	d := authz.decision with input as req("POST", record_path("2001"), alice)
	d == {"allow": false, "reason": "not_own_family"}
}

test_secondary_is_read_only_even_for_own_record if {
	d := authz.decision with input as req("POST", record_path("1002"), bob)
	d == {"allow": false, "reason": "read_only_member"}
}

# --- rule 4: audit ------------------------------------------------------------

test_audit_client_reads_any_record if {
	d := authz.decision with input as req("GET", record_path("2002"), auditor)
	d.allow == true
	d.reason == "audit_read"
}

test_audit_client_cannot_write if {
	token := {"payload": {"sub": "0oa-audit", "cid": "0oa-audit", "scp": ["claims:audit", "claims:write"]}, "scopes": ["claims:audit", "claims:write"]}
	d := authz.decision with input as req("POST", record_path("2002"), token)
	d.allow == false
}

# --- routing ------------------------------------------------------------------

test_route_binds_the_enrollee_id if {
	r := authz.route with input as req("PUT", ["v1", "claims", "enrollee", "1004", "claims", "C-9"], alice)
	r.action == "update_claim"
	r.params == {"id": "1004", "claimId": "C-9"}
}

test_extra_segment_matches_no_route if {
	not authz.route with input as req("GET", ["v1", "claims", "enrollee", "1001", "x"], alice)
}

test_update_without_claims_write_scope_is_insufficient_scope if {
	token := member("1001", "primary", ["claims:read"], ["1004"])
	d := authz.decision with input as req("PUT", ["v1", "claims", "enrollee", "1004", "claims", "C-1"], token)
	d.reason == "insufficient_scope"
}

test_primary_cannot_write_for_unlisted_member_of_own_family if {
	token := member("1001", "primary", ["claims:read", "claims:write"], ["1002"])
	d := authz.decision with input as req("POST", record_path("1004"), token)
	d == {"allow": false, "reason": "not_own_family"}
}

# --- token shapes: members vs service clients (ACME.md "Tokens") ------------

test_member_token_with_audit_scope_is_not_an_audit_client if {
	token := member("1002", "secondary", ["claims:read", "claims:audit"], [])
	d := authz.decision with input as req("GET", record_path("2001"), token)
	d == {"allow": false, "reason": "not_own_record"}
}

test_client_credentials_token_with_enrollee_claims_is_not_a_member if {
	scopes := ["claims:read", "claims:write"]
	token := {"payload": {"sub": "0oa-svc", "cid": "0oa-svc", "enrolleeId": "1001", "enrolleeType": "primary", "scp": scopes}, "scopes": scopes}
	d := authz.decision with input as req("POST", record_path("1001"), token)
	d == {"allow": false, "reason": "not_a_member"}
}

test_audit_scope_on_token_with_enrollee_claims_but_no_user_grants_nothing if {
	scopes := ["claims:read", "claims:audit"]
	token := {"payload": {"sub": "0oa-svc", "cid": "0oa-svc", "enrolleeId": "1002", "enrolleeType": "secondary", "scp": scopes}, "scopes": scopes}
	d := authz.decision with input as req("GET", record_path("2001"), token)
	d.allow == false
}

test_audit_scope_on_token_whose_sub_is_not_its_client_grants_nothing if {
	scopes := ["claims:read", "claims:audit"]
	token := {"payload": {"sub": "someone@acme.example", "cid": "0oa-audit", "scp": scopes}, "scopes": scopes}
	d := authz.decision with input as req("GET", record_path("2001"), token)
	d.allow == false
}

# --- token introspection (data.acme.api.products.<p>.introspection, routes' "sensitive") ---

writes_sensitive := {"access": ["write"], "on_unavailable": "fail_closed"}

introspected_token(token) := object.union(token, {"validation": "introspected"})

locally_validated(token) := object.union(token, {"validation": "local"})

test_no_sensitive_data_means_no_introspection_and_local_writes_pass if {
	authz.introspection == {"required": false} with input as req("POST", record_path("1001"), locally_validated(alice))
	d := authz.decision with input as req("POST", record_path("1001"), locally_validated(alice))
	d.allow == true
}

test_sensitive_writes_require_introspection if {
	i := authz.introspection with input as req("POST", record_path("1002"), locally_validated(alice))
		with data.acme.api.products.claims.introspection as writes_sensitive
	i == {"required": true, "on_unavailable": "fail_closed"}
	d := authz.decision with input as req("POST", record_path("1002"), locally_validated(alice))
		with data.acme.api.products.claims.introspection as writes_sensitive
	d == {"allow": false, "reason": "introspection_required"}
}

test_sensitive_write_without_a_validation_field_is_refused if {
	d := authz.decision with input as req("POST", record_path("1001"), alice)
		with data.acme.api.products.claims.introspection as writes_sensitive
	d.reason == "introspection_required"
}

test_introspected_sensitive_write_is_judged_by_the_grants if {
	d := authz.decision with input as req("POST", record_path("1002"), introspected_token(alice))
		with data.acme.api.products.claims.introspection as writes_sensitive
	d.allow == true
	d.reason == "dependant_write"
	e := authz.decision with input as req("POST", record_path("2001"), introspected_token(alice))
		with data.acme.api.products.claims.introspection as writes_sensitive
	e == {"allow": false, "reason": "not_own_family"}
}

test_reads_stay_local_when_only_writes_are_sensitive if {
	authz.introspection == {"required": false} with input as req("GET", record_path("1001"), locally_validated(alice))
		with data.acme.api.products.claims.introspection as writes_sensitive
	d := authz.decision with input as req("GET", record_path("1001"), locally_validated(alice))
		with data.acme.api.products.claims.introspection as writes_sensitive
	d.allow == true
}

test_a_sensitive_route_requires_introspection_for_any_method if {
	routes := [{"product": "claims", "method": "GET", "pattern": ["v1", "claims", "enrollee", "{id}"], "action": "read_record", "sensitive": true}]
	i := authz.introspection with input as req("GET", record_path("1001"), locally_validated(alice))
		with data.acme.api.routes as routes
	i.required == true
	d := authz.decision with input as req("GET", record_path("1001"), locally_validated(alice))
		with data.acme.api.routes as routes
	d.reason == "introspection_required"
}

test_on_unavailable_local_is_passed_to_the_authorizer if {
	i := authz.introspection with input as req("POST", record_path("1001"), locally_validated(alice))
		with data.acme.api.products.claims.introspection as {"access": ["write"], "on_unavailable": "local"}
	i == {"required": true, "on_unavailable": "local"}
}

test_insufficient_scope_is_reported_before_introspection if {
	token := member("1001", "primary", ["claims:read"], [])
	d := authz.decision with input as req("POST", record_path("1001"), locally_validated(token))
		with data.acme.api.products.claims.introspection as writes_sensitive
	d.reason == "insufficient_scope"
}

# --- partner client certificates (data.acme.api.client_certificates, input.clientCert) ---

partner_bindings := {"0oa-audit": {"subject_cn": "audit.partner.example", "sha256": ["ab12"]}}

cert(cn, fingerprint) := {"subjectCN": cn, "fingerprintSha256": fingerprint, "subjectDN": concat("", ["CN=", cn]), "issuerDN": "CN=Acme Partner CA"}

with_cert(method, path, token, c) := object.union(req(method, path, token), {"clientCert": c})

test_bound_partner_with_its_certificate_reads if {
	d := authz.decision with input as with_cert("GET", record_path("1001"), auditor, cert("audit.partner.example", "ff00"))
		with data.acme.api.client_certificates as partner_bindings
	d.allow == true
	d.reason == "audit_read"
}

test_bound_partner_matched_by_fingerprint if {
	d := authz.decision with input as with_cert("GET", record_path("1001"), auditor, cert("renamed.partner.example", "ab12"))
		with data.acme.api.client_certificates as partner_bindings
	d.allow == true
}

test_bound_partner_without_a_certificate_is_refused if {
	d := authz.decision with input as req("GET", record_path("1001"), auditor)
		with data.acme.api.client_certificates as partner_bindings
	d == {"allow": false, "reason": "client_certificate_required"}
}

test_bound_partner_with_another_certificate_is_refused if {
	d := authz.decision with input as with_cert("GET", record_path("1001"), auditor, cert("someone.else.example", "0000"))
		with data.acme.api.client_certificates as partner_bindings
	d.reason == "client_certificate_required"
}

test_partner_certificate_with_another_clients_token_is_refused if {
	d := authz.decision with input as with_cert("GET", record_path("1001"), alice, cert("audit.partner.example", "ff00"))
		with data.acme.api.client_certificates as partner_bindings
	d == {"allow": false, "reason": "client_certificate_mismatch"}
}

test_unbound_clients_need_no_certificate if {
	d := authz.decision with input as req("GET", record_path("1001"), alice)
		with data.acme.api.client_certificates as partner_bindings
	d.allow == true
}
